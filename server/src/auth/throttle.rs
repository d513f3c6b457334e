//! Sign-in throttling: failed attempts are counted per address and per account.
//!
//! - An address that fails [`ADDRESS_LIMIT`] times in a [`WINDOW`] is refused until the window
//!   ends, whatever account it tries.
//! - An account that fails [`ACCOUNT_LIMIT`] times in a window is refused until the window ends,
//!   except from addresses that signed in to it successfully before. An attacker can therefore
//!   slow down guessing of one account from many addresses, but cannot lock its owner out: the
//!   owner's usual address keeps working, and any lock-out ends one window after the last failure
//!   that caused it.
//!
//! An attempt counts as a failure from the moment it starts ([`LoginThrottle::begin`]) until it
//! succeeds, so that guesses sent together cannot all pass the limit. Accounts are counted by
//! their normalised email, IPv6 addresses by their /64 network.
//!
//! The counts live in the database, so that every server on it counts together: guesses spread
//! over N servers behind a balancer meet the limits, not N times them. Each attempt reads the
//! counts, decides here ([`decide`]) and writes them back over the revision read, again when
//! another server wrote first. The tables are bounded in size whether or not entries have lapsed:
//! lapsed entries go with ended sessions (`AuthService::sweep_sessions`), and beyond [`MAX_ENTRIES`] the oldest go, checked
//! whenever this server has added a tenth of that.

use crate::storage::{
    FailureCount, MAX_ATTEMPTS, SignInCounts, StorageError, Store, StoredFailures, Written,
    back_off,
};
use app::service::HelpDeskError;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures from one address within a window before it is refused.
pub const ADDRESS_LIMIT: u32 = 20;
/// Failures for one account within a window before unknown addresses are refused.
pub const ACCOUNT_LIMIT: u32 = 5;
/// How long a successful sign-in makes an address known for its account.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The most entries each table keeps; the oldest are dropped beyond it.
pub const MAX_ENTRIES: u64 = 100_000;

fn seconds(duration: Duration) -> i64 {
    duration.as_secs() as i64
}

/// How long `failures` lock what they count against, if they reach `limit` within a window of
/// `now` (seconds since the Unix epoch).
fn lock_wait(failures: Option<StoredFailures>, limit: u32, now: i64) -> Option<Duration> {
    let failures = failures?;
    let ends = failures.last.saturating_add(seconds(WINDOW));
    (failures.failures >= i64::from(limit) && ends > now)
        .then(|| Duration::from_secs((ends - now) as u64))
}

/// `failures` with one more at `now`; lapsed ones start again from none. Each failure keeps the
/// window open: a lock-out ends one window after the last failure.
fn one_more(failures: Option<StoredFailures>, now: i64) -> FailureCount {
    let before = failures
        .filter(|failures| failures.last.saturating_add(seconds(WINDOW)) > now)
        .map_or(0, |failures| failures.failures.max(0));
    FailureCount {
        failures: before + 1,
        last: now,
    }
}

/// Whether an attempt with `counts` as read may go on at `now` (seconds since the Unix epoch):
/// the new counts of its address and account, or how long it must wait.
pub fn decide(counts: &SignInCounts, now: i64) -> Result<(FailureCount, FailureCount), Duration> {
    let by_address = lock_wait(counts.address, ADDRESS_LIMIT, now);
    let known = counts
        .known_since
        .is_some_and(|since| since.saturating_add(seconds(KNOWN_FOR)) > now);
    let by_account = if known {
        None
    } else {
        lock_wait(counts.account, ACCOUNT_LIMIT, now)
    };
    if let Some(wait) = by_address.max(by_account) {
        return Err(wait);
    }
    Ok((one_more(counts.address, now), one_more(counts.account, now)))
}

/// The account an attempt is counted against: its email as signing in reads it (trimmed, lower
/// case), cut to the longest email there can be, so that no key is longer.
pub fn account_key(account: &str) -> String {
    account
        .trim()
        .chars()
        .take(app::fields::MAX_EMAIL_CHARS)
        .collect::<String>()
        .to_lowercase()
}

/// The address an attempt is counted against: an IPv4 address, or the /64 network of an IPv6
/// one (whoever holds one IPv6 address usually holds its whole /64).
pub fn address_key(address: IpAddr) -> String {
    let address = match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(network.into())
            }
        },
    };
    address.to_string()
}

fn now_seconds() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A sign-in attempt under way, already counted as a failure until it proves otherwise.
#[must_use = "an attempt is settled with `succeeded` or `abandoned`, or stays a failure"]
pub struct Attempt {
    account: String,
    address: String,
}

/// The sign-in throttle, kept in the database with every other server on it.
pub struct LoginThrottle {
    store: Store,
    /// The most entries each table keeps.
    cap: u64,
    /// Entries this server added since it last trimmed the tables.
    added: AtomicU64,
    /// Whether a trim is under way.
    trimming: Arc<AtomicBool>,
}

impl LoginThrottle {
    /// The throttle over `store`'s tables, each kept to at most [`MAX_ENTRIES`].
    pub fn new(store: Store) -> LoginThrottle {
        LoginThrottle::with_cap(store, MAX_ENTRIES)
    }

    /// The throttle over `store`'s tables, each kept to at most `cap` entries (checked whenever
    /// this server has added a tenth of that).
    pub fn with_cap(store: Store, cap: u64) -> LoginThrottle {
        LoginThrottle {
            store,
            cap: cap.max(1),
            added: AtomicU64::new(0),
            trimming: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts an attempt of `address` at `account`: refused with the wait when either is locked,
    /// else counted as a failure at once, before the password is checked, so that guesses sent
    /// together cannot all pass the limit while the first ones are being checked.
    pub async fn begin(&self, account: &str, address: IpAddr) -> Result<Attempt, HelpDeskError> {
        let account = account_key(account);
        let address = address_key(address);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let read = self.store.sign_in_counts(&account, &address).await?;
            let (at_address, at_account) =
                decide(&read, now_seconds()).map_err(|wait| HelpDeskError::Throttled {
                    retry_after_seconds: wait.as_secs().max(1),
                })?;
            let written = self
                .store
                .write_sign_in_failures(&account, &address, &read, at_address, at_account)
                .await?;
            match written {
                Written::Yes => {
                    let added =
                        u64::from(read.address.is_none()) + u64::from(read.account.is_none());
                    self.added_entries(added);
                    return Ok(Attempt { account, address });
                }
                Written::Stale if attempt < MAX_ATTEMPTS => back_off(attempt).await,
                Written::Stale => {
                    return Err(HelpDeskError::Unavailable(
                        "sign-in attempts at this account kept colliding; try again".into(),
                    ));
                }
            }
        }
    }

    /// The attempt succeeded: it is not a failure, and the address becomes known for the
    /// account. Failures of the same address at other accounts stay counted.
    pub async fn succeeded(&self, attempt: Attempt) {
        self.settle(attempt, Some(now_seconds())).await;
        self.added_entries(1);
    }

    /// The attempt was not decided (the server could not check the password): not a failure.
    pub async fn abandoned(&self, attempt: Attempt) {
        self.settle(attempt, None).await;
    }

    async fn settle(&self, attempt: Attempt, known_since: Option<i64>) {
        if let Err(error) = self
            .store
            .take_back_sign_in_failure(&attempt.account, &attempt.address, known_since)
            .await
        {
            // The attempt stays counted as a failure, which lapses with its window.
            tracing::warn!(%error, "could not take back a sign-in attempt");
        }
    }

    /// Counts entries this server added, and trims the tables in the background whenever they
    /// reach a tenth of the cap since the last trim.
    fn added_entries(&self, added: u64) {
        let since_trim = self.added.fetch_add(added, Ordering::Relaxed) + added;
        if since_trim < (self.cap / 10).max(1) || self.trimming.swap(true, Ordering::AcqRel) {
            return;
        }
        self.added.store(0, Ordering::Relaxed);
        let store = self.store.clone();
        let cap = self.cap;
        let trimming = self.trimming.clone();
        tokio::spawn(async move {
            if let Err(error) = store.trim_sign_ins(cap).await {
                tracing::warn!(%error, "could not trim the sign-in tables");
            }
            trimming.store(false, Ordering::Release);
        });
    }

    /// Removes lapsed entries, then the oldest beyond the cap; answers how many went.
    pub async fn sweep(&self) -> Result<u64, StorageError> {
        let now = now_seconds();
        let lapsed = self
            .store
            .remove_lapsed_sign_ins(now - seconds(WINDOW), now - seconds(KNOWN_FOR))
            .await?;
        Ok(lapsed + self.store.trim_sign_ins(self.cap).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn failures(failures: i64, last: i64) -> Option<StoredFailures> {
        Some(StoredFailures {
            failures,
            last,
            revision: 1,
        })
    }

    #[test]
    fn an_account_is_locked_at_its_limit_until_a_window_after_its_last_failure() {
        let counts = SignInCounts {
            account: failures(i64::from(ACCOUNT_LIMIT), NOW),
            ..SignInCounts::default()
        };
        assert_eq!(decide(&counts, NOW), Err(WINDOW));
        assert_eq!(
            decide(&counts, NOW + 60),
            Err(WINDOW - Duration::from_secs(60))
        );
        let (_, account) = decide(&counts, NOW + seconds(WINDOW)).expect("the window ended");
        assert_eq!(account.failures, 1, "lapsed failures start again");
        let below = SignInCounts {
            account: failures(i64::from(ACCOUNT_LIMIT) - 1, NOW),
            ..SignInCounts::default()
        };
        let (_, account) = decide(&below, NOW).expect("below the limit");
        assert_eq!(
            account,
            FailureCount {
                failures: i64::from(ACCOUNT_LIMIT),
                last: NOW
            }
        );
    }

    #[test]
    fn an_address_known_for_the_account_passes_the_accounts_lock_but_not_its_own() {
        let locked_account = SignInCounts {
            account: failures(i64::from(ACCOUNT_LIMIT) + 10, NOW),
            known_since: Some(NOW - 3600),
            ..SignInCounts::default()
        };
        assert!(decide(&locked_account, NOW).is_ok());
        let forgotten = SignInCounts {
            known_since: Some(NOW - seconds(KNOWN_FOR)),
            ..locked_account
        };
        assert!(decide(&forgotten, NOW).is_err());
        let locked_address = SignInCounts {
            address: failures(i64::from(ADDRESS_LIMIT), NOW - 1),
            ..locked_account
        };
        assert_eq!(
            decide(&locked_address, NOW),
            Err(WINDOW - Duration::from_secs(1))
        );
    }

    #[test]
    fn the_longer_of_two_locks_is_the_wait() {
        let counts = SignInCounts {
            address: failures(i64::from(ADDRESS_LIMIT), NOW - 600),
            account: failures(i64::from(ACCOUNT_LIMIT), NOW - 60),
            known_since: None,
        };
        assert_eq!(decide(&counts, NOW), Err(WINDOW - Duration::from_secs(60)));
    }

    #[test]
    fn keys_are_normalised_so_that_spellings_and_neighbours_count_together() {
        for spelling in [" Ada@Example.com", "ada@example.com ", "ADA@EXAMPLE.COM"] {
            assert_eq!(account_key(spelling), "ada@example.com");
        }
        assert_eq!(
            account_key(&"a".repeat(10_000)).chars().count(),
            app::fields::MAX_EMAIL_CHARS
        );
        let neighbour = |last: u16| IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, last]);
        assert_eq!(address_key(neighbour(1)), address_key(neighbour(999)));
        assert_eq!(address_key(neighbour(1)), "2001:db8:0:1::");
        let elsewhere = IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]);
        assert_ne!(address_key(neighbour(1)), address_key(elsewhere));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1");
    }
}
