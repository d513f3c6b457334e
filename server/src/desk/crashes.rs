//! What crash reports left on their tickets: the stored reports and their counts per hour.
//! Viewers read them.

use super::Desk;
use super::tickets::load;
use crate::storage::StoredEvent;
use app::accounts::Principal;
use app::crash::{OccurrenceHistory, StoredCrashEvent};
use app::model::{Role, TicketRef};
use app::service::{CrashService, HelpDeskError, Readiness};

#[async_trait::async_trait]
impl CrashService for Desk {
    async fn crash_events(
        &self,
        caller: &Principal,
        reference: TicketRef,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredCrashEvent>, HelpDeskError> {
        caller.require(Role::Viewer)?;
        load(self.store(), reference).await?;
        Ok(self
            .store()
            .stored_crash_events(reference.number(), after, limit)
            .await?
            .into_iter()
            .map(StoredEvent::into_wire)
            .collect())
    }

    async fn latest_crash_event(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<Option<StoredCrashEvent>, HelpDeskError> {
        caller.require(Role::Viewer)?;
        load(self.store(), reference).await?;
        Ok(self
            .store()
            .latest_stored_crash_event(reference.number())
            .await?
            .map(StoredEvent::into_wire))
    }

    async fn crash_occurrences(
        &self,
        caller: &Principal,
        reference: TicketRef,
        since_hour: i64,
    ) -> Result<OccurrenceHistory, HelpDeskError> {
        caller.require(Role::Viewer)?;
        load(self.store(), reference).await?;
        let current_hour = time::OffsetDateTime::now_utc()
            .unix_timestamp()
            .div_euclid(3_600);
        Ok(OccurrenceHistory {
            current_hour,
            hours: self
                .store()
                .crash_hours(reference.number(), since_hour)
                .await?,
        })
    }
}

#[async_trait::async_trait]
impl Readiness for Desk {
    async fn ready(&self) -> Result<(), HelpDeskError> {
        Ok(self.store().ready().await?)
    }
}
