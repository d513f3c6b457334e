//! Idempotency keys: a client that retries a request with the `Idempotency-Key` it first sent
//! gets the first answer instead of a second ticket or entry.
//!
//! The rules: a key is its agent's own (two agents may use the same key), an answer is kept for
//! [`RequestKey::KEPT_HOURS`] and then removed in the background, and a key sent with a
//! different request within that time is refused. The answer is stored by the write itself, in
//! its transaction, so that a request is never written without its answer; two attempts racing
//! with one key both try, one commits, and the other is answered from what the first kept.

use super::Desk;
use crate::storage::{KeyedRequest, Store};
use app::accounts::AgentPrincipal;
use app::service::{HelpDeskError, RequestKey};
use serde::de::DeserializeOwned;
use std::time::Duration;
use time::OffsetDateTime;

/// How often answers past their time are removed.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

/// The moment before which answers are no longer kept.
fn kept_since() -> OffsetDateTime {
    OffsetDateTime::now_utc() - time::Duration::hours(RequestKey::KEPT_HOURS)
}

/// `agent`'s key as the store keeps it.
pub(super) fn keyed(agent: &AgentPrincipal, once: Option<RequestKey>) -> Option<KeyedRequest> {
    once.map(|once| KeyedRequest {
        owner: agent.agent_id.clone(),
        key: once.key().to_string(),
        fingerprint: once.fingerprint().to_string(),
        kept_since: kept_since(),
    })
}

impl Desk {
    /// The answer kept for a keyed request: none when the key is new (or its answer expired),
    /// [`HelpDeskError::KeyReused`] when it answered a different request.
    pub(super) async fn kept_answer<T: DeserializeOwned>(
        &self,
        once: Option<&KeyedRequest>,
    ) -> Result<Option<T>, HelpDeskError> {
        let Some(once) = once else {
            return Ok(None);
        };
        let Some(kept) = self
            .store()
            .kept_answer(&once.owner, &once.key, once.kept_since)
            .await?
        else {
            return Ok(None);
        };
        if kept.fingerprint != once.fingerprint {
            return Err(HelpDeskError::KeyReused);
        }
        serde_json::from_str(&kept.answer)
            .map(Some)
            .map_err(|error| HelpDeskError::Storage(format!("a kept answer: {error}").into()))
    }

    /// After a keyed write failed: the answer another attempt with the same key kept meanwhile
    /// (the write failed because it did), or else the write's own error.
    pub(super) async fn answered_meanwhile<T: DeserializeOwned>(
        &self,
        once: Option<&KeyedRequest>,
        error: HelpDeskError,
    ) -> Result<T, HelpDeskError> {
        match self.kept_answer(once).await {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => Err(error),
            Err(HelpDeskError::KeyReused) => Err(HelpDeskError::KeyReused),
            Err(_) => Err(error),
        }
    }
}

/// Removes answers past their time now and every [`SWEEP_EVERY`] after, for as long as the
/// returned task runs.
pub fn sweep_request_keys(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match store.remove_answers_before(kept_since()).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "expired idempotency keys removed"),
                Err(error) => tracing::warn!(%error, "could not remove expired idempotency keys"),
            }
        }
    })
}
