//! Crash reports: filing them for a project that presents its key (within its rate), and what
//! they left on their tickets, the stored reports and their counts per hour, which viewers read.

use super::Desk;
use super::tickets::load;
use crate::auth::secret::random_id;
use crate::ingest::grouping::group;
use crate::ingest::rate::{Bucket, IngestLimiter, Rate};
use crate::storage::{CrashReport, MAX_ATTEMPTS, SpikeRule, StoredEvent, Written, back_off};
use app::accounts::Principal;
use app::crash::{CrashEvent, OccurrenceHistory, StoredCrashEvent};
use app::ids::ProjectId;
use app::model::{Role, TicketRef};
use app::service::{CrashService, HelpDeskError};

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

/// The rules of crash intake: how many reports a project may send, and what makes a spike.
pub struct CrashRules {
    /// Per-project rate limits.
    pub limiter: IngestLimiter,
    /// When a burst of reports makes a problem critical.
    pub spike: SpikeRule,
}

impl Default for CrashRules {
    fn default() -> Self {
        CrashRules {
            limiter: IngestLimiter::new(0),
            spike: SpikeRule {
                reports: 50,
                window: std::time::Duration::from_secs(300),
            },
        }
    }
}

/// How old a remembered project may be when a key it does not accept is checked again.
const KEY_REREAD_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a report's receipt is kept: a report sent again within it (its first answer lost)
/// is not counted twice. SDKs and the `reporter` resend within minutes; three days also covers
/// a sender that was cut off over a weekend.
pub const RECEIPTS_KEPT: time::Duration = time::Duration::hours(72);

/// How often old receipts are removed.
pub const RECEIPT_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Removes receipts older than [`RECEIPTS_KEPT`] now and every [`RECEIPT_SWEEP_EVERY`] after,
/// for as long as the returned task runs, so that the table holds days of reports, not all.
pub fn sweep_crash_receipts(store: crate::storage::Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(RECEIPT_SWEEP_EVERY);
        loop {
            every.tick().await;
            let before = time::OffsetDateTime::now_utc() - RECEIPTS_KEPT;
            match store.remove_receipts_before(before).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "old crash receipts removed"),
                Err(error) => tracing::warn!(%error, "could not remove old crash receipts"),
            }
        }
    })
}

/// Why a crash report was refused before it was read.
#[derive(Debug, PartialEq, Eq)]
pub enum IntakeRefusal {
    /// No key was presented.
    NoKey,
    /// The key is not this project's (or there is no such project).
    WrongKey,
    /// The project was disabled.
    Disabled,
    /// The project is over its rate; try again after this long.
    Throttled(std::time::Duration),
}

impl Desk {
    /// The caller behind a crash report: the project, when `key` is its key, or its previous
    /// key within the grace period (compared in constant time), and the project is active and
    /// within its rate.
    pub async fn project_caller(
        &self,
        project: ProjectId,
        key: Option<&str>,
    ) -> Result<Result<Principal, IntakeRefusal>, HelpDeskError> {
        use subtle::ConstantTimeEq;
        let Some(key) = key else {
            return Ok(Err(IntakeRefusal::NoKey));
        };
        let accepts = |record: &crate::storage::ProjectRecord| {
            let current: bool = record.public_key.as_bytes().ct_eq(key.as_bytes()).into();
            let previous = super::projects::previous_key_expiry(record).is_some()
                && record
                    .previous_key
                    .as_ref()
                    .is_some_and(|previous| bool::from(previous.as_bytes().ct_eq(key.as_bytes())));
            current || previous
        };
        let Some(mut record) = self.store().recent_project(project.number()).await? else {
            return Ok(Err(IntakeRefusal::WrongKey));
        };
        if !accepts(&record) {
            // The key may have been replaced on another server since this one read it: read
            // again, at most every few seconds (wrong keys must not cost a read each).
            match self
                .store()
                .project_read_within(project.number(), KEY_REREAD_AFTER)
                .await?
            {
                Some(fresh) if accepts(&fresh) => record = fresh,
                _ => return Ok(Err(IntakeRefusal::WrongKey)),
            }
        }
        if record.active == Some(false) {
            return Ok(Err(IntakeRefusal::Disabled));
        }
        let admitted = self
            .crash_rules
            .limiter
            .admit(project.number(), |rate| {
                self.claim_reports(project.number(), rate)
            })
            .await?;
        if let Err(wait) = admitted {
            return Ok(Err(IntakeRefusal::Throttled(wait)));
        }
        Ok(Ok(Principal::Project(project)))
    }

    /// Claims a share of `project`'s bucket, shared by every server on the database: read,
    /// claim (see [`Rate::claim`]), and write back over the revision read, again when another
    /// server wrote first. Answers the tokens taken, or how long until one refills.
    async fn claim_reports(
        &self,
        project: u64,
        rate: Rate,
    ) -> Result<Result<u32, std::time::Duration>, HelpDeskError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let read = self.store().rate_bucket(project).await?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
            let bucket = read.map(|stored| Bucket {
                tokens: stored.tokens,
                at: stored.updated,
            });
            let claimed = rate.claim(bucket, now);
            if claimed.taken == 0 {
                return Ok(Err(claimed.wait));
            }
            let written = self
                .store()
                .write_rate_bucket(
                    project,
                    read.as_ref(),
                    claimed.after.tokens,
                    claimed.after.at,
                )
                .await?;
            match written {
                Written::Yes => return Ok(Ok(claimed.taken)),
                Written::Stale if attempt < MAX_ATTEMPTS => back_off(attempt).await,
                Written::Stale => {
                    return Err(HelpDeskError::Unavailable(
                        "a project's rate bucket kept changing while it was claimed".into(),
                    ));
                }
            }
        }
    }

    /// Files a crash report for the calling project: grouped into its problem's ticket (a new
    /// one for a new problem, counted, reopened on a regression, raised on a spike) and stored
    /// before this returns. Answers the report's event id.
    pub async fn file_crash(
        &self,
        caller: &Principal,
        event: &CrashEvent,
        payload: &[u8],
        fallback_id: Option<&str>,
    ) -> Result<String, HelpDeskError> {
        let Principal::Project(project) = caller else {
            return Err(HelpDeskError::Forbidden(
                "crash reports are filed with a project's key".into(),
            ));
        };
        // A new problem's ticket is filed for the user the report names, else for the project
        // (its name read again only then: the key check read it a moment ago, from the cache).
        let customer = match &event.user {
            Some(user) => user.clone(),
            None => {
                let name = self
                    .store()
                    .recent_project(project.number())
                    .await?
                    .map(|record| record.name)
                    .unwrap_or_default();
                format!("Project {name}")
            }
        };
        let grouping = group(event);
        let event_id = event
            .event_id
            .clone()
            .or_else(|| fallback_id.map(str::to_string))
            .unwrap_or_else(|| format!("{}{}", random_id(), random_id()));
        let report = CrashReport {
            project: project.number(),
            fingerprint: grouping.fingerprint,
            event_id: event_id.clone(),
            title: grouping.title,
            description: describe(event),
            customer,
            environment: [
                event
                    .release
                    .as_deref()
                    .map(|release| format!("release {release}")),
                event
                    .environment
                    .as_deref()
                    .map(|name| format!("environment {name}")),
                event
                    .platform
                    .as_deref()
                    .map(|platform| format!("platform {platform}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
            urgency: grouping.urgency,
            release: event.release.clone(),
            deployment: event.environment.clone(),
            user: event.user.clone(),
            customer_key: event
                .tags
                .iter()
                .find(|(key, _)| key == "customer")
                .and_then(|(_, name)| app::customers::identity_key(name)),
            payload: String::from_utf8_lossy(payload).into_owned(),
            reopens: reopens_ticket,
        };
        self.store()
            .record_crash(report, self.crash_rules.spike)
            .await?;
        Ok(event_id)
    }
}

/// Whether a report reopens its resolved ticket: unless it comes from a release older than the
/// one the ticket was resolved in (then it is the old bug, only counted). Releases compare by
/// their version numbers; those without (commit hashes, words) by when the project first knew
/// them (reported them, or named one as a fix), as Sentry orders them: a release first known
/// before the fix is older. Releases that cannot be compared reopen: a wrong reopen costs an
/// agent a look, a wrong silence hides a live crash.
fn reopens_ticket(
    report_release: Option<&str>,
    fixed_in: Option<&str>,
    known_since: &crate::storage::ReleaseTimes,
) -> bool {
    let (Some(release), Some(fixed)) = (report_release, fixed_in) else {
        return true;
    };
    match crate::ingest::release::version_order(release, fixed) {
        Some(order) => order != std::cmp::Ordering::Less,
        None => match (known_since.get(release), known_since.get(fixed)) {
            (Some(report_known), Some(fixed_known)) => report_known >= fixed_known,
            _ => true,
        },
    }
}

/// The ticket description of a new problem: the error chain and where it happened.
fn describe(event: &CrashEvent) -> String {
    let mut lines = Vec::new();
    for exception in event.exceptions.iter().rev() {
        lines.push(format!("{}: {}", exception.kind, exception.value));
    }
    if let Some(message) = &event.message {
        lines.push(message.formatted.clone());
    }
    if let Some(exception) = event.primary_exception() {
        let frames: Vec<String> = exception
            .frames
            .iter()
            .rev()
            .filter(|frame| frame.in_app != Some(false))
            .take(10)
            .map(|frame| {
                let function = frame.function.as_deref().unwrap_or("?");
                match (&frame.filename, frame.lineno) {
                    (Some(file), Some(line)) => format!("  at {function} ({file}:{line})"),
                    _ => format!("  at {function}"),
                }
            })
            .collect();
        lines.extend(frames);
    }
    lines
        .join("\n")
        .chars()
        .take(app::model::MAX_TEXT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_without_versions_are_ordered_by_when_they_were_first_known() {
        let start = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let known: crate::storage::ReleaseTimes = [
            ("f00dfeed".to_string(), start),
            ("0a1b2c3".to_string(), start - time::Duration::hours(1)),
            ("zzz9999".to_string(), start + time::Duration::hours(1)),
        ]
        .into();
        // First known before the fix: the old bug. After it, or the fix itself: a regression.
        assert!(!reopens_ticket(Some("0a1b2c3"), Some("f00dfeed"), &known));
        assert!(reopens_ticket(Some("zzz9999"), Some("f00dfeed"), &known));
        assert!(reopens_ticket(Some("f00dfeed"), Some("f00dfeed"), &known));
        // Never known (first reported in this very batch), or no fix known: reopens.
        assert!(reopens_ticket(Some("1234abc"), Some("f00dfeed"), &known));
        assert!(reopens_ticket(Some("0a1b2c3"), Some("cafe"), &known));
        // Version numbers decide when both have them, whatever was known when.
        assert!(!reopens_ticket(Some("2.0.1"), Some("2.1.0"), &known));
        assert!(reopens_ticket(Some("2.1.1"), Some("2.1.0"), &known));
        assert!(reopens_ticket(None, Some("2.1.0"), &known));
        assert!(reopens_ticket(Some("2.0.0"), None, &known));
    }
}
