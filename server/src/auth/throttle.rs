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
//! Counts are kept in this process's memory, bounded in size whether or not entries have lapsed. Several servers behind one balancer
//! each count separately, which multiplies the limits by the number of servers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures from one address within a window before it is refused.
pub const ADDRESS_LIMIT: u32 = 20;
/// Failures for one account within a window before unknown addresses are refused.
pub const ACCOUNT_LIMIT: u32 = 5;
/// How long a successful sign-in makes an address known for its account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The most entries each table keeps; the oldest are dropped beyond it.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    /// The last failure; the count lapses one window after it.
    window_started: Instant,
}

#[derive(Default)]
struct Tables {
    by_address: HashMap<IpAddr, Failures>,
    by_account: HashMap<String, Failures>,
    known: HashMap<(String, IpAddr), Instant>,
}

/// The sign-in throttle of one server.
#[derive(Default)]
pub struct LoginThrottle {
    tables: Mutex<Tables>,
}

fn remaining(failures: Option<&Failures>, limit: u32, now: Instant) -> Option<Duration> {
    let failures = failures?;
    let ends = failures.window_started + WINDOW;
    (failures.count >= limit && ends > now).then(|| ends - now)
}

/// Makes room for one more entry in a table of at most [`MAX_ENTRIES`]: first by dropping what
/// has lapsed, then, when every entry is still live, the oldest tenth (so that a flood of new
/// keys costs one scan per tenth of the table, not one per key).
fn make_room<Key: std::hash::Hash + Eq + Clone, Value>(
    table: &mut HashMap<Key, Value>,
    lapsed: impl Fn(&Value) -> bool,
    age: impl Fn(&Value) -> Instant,
) {
    if table.len() < MAX_ENTRIES {
        return;
    }
    table.retain(|_, value| !lapsed(value));
    if table.len() < MAX_ENTRIES {
        return;
    }
    let mut ages: Vec<(Instant, Key)> = table
        .iter()
        .map(|(key, value)| (age(value), key.clone()))
        .collect();
    ages.sort_unstable_by_key(|(age, _)| *age);
    for (_, key) in ages.into_iter().take(MAX_ENTRIES / 10) {
        table.remove(&key);
    }
}

fn record<Key: std::hash::Hash + Eq + Clone>(
    table: &mut HashMap<Key, Failures>,
    key: Key,
    now: Instant,
) {
    make_room(
        table,
        |failures| failures.window_started + WINDOW <= now,
        |failures| failures.window_started,
    );
    let entry = table.entry(key).or_insert(Failures {
        count: 0,
        window_started: now,
    });
    if entry.window_started + WINDOW <= now {
        *entry = Failures {
            count: 0,
            window_started: now,
        };
    }
    entry.count += 1;
    // Each failure keeps the window open: a lock-out ends one window after the last failure.
    entry.window_started = now;
}

fn take_back<Key: std::hash::Hash + Eq>(table: &mut HashMap<Key, Failures>, key: &Key) {
    if let Some(failures) = table.get_mut(key) {
        failures.count = failures.count.saturating_sub(1);
    }
}

/// The account an attempt is counted against: its email as signing in reads it (trimmed, lower
/// case), cut to the longest email there can be, so that no key is longer.
fn account_key(account: &str) -> String {
    account
        .trim()
        .chars()
        .take(app::fields::MAX_EMAIL_CHARS)
        .collect::<String>()
        .to_lowercase()
}

/// The address an attempt is counted against: an IPv4 address, or the /64 network of an IPv6
/// one (whoever holds one IPv6 address usually holds its whole /64).
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(network.into())
            }
        },
    }
}

/// A sign-in attempt under way, already counted as a failure until it proves otherwise.
#[must_use = "an attempt is settled with `succeeded` or `abandoned`, or stays a failure"]
pub struct Attempt {
    account: String,
    address: IpAddr,
}

impl LoginThrottle {
    /// Starts an attempt of `address` at `account`: refused with the wait when either is locked,
    /// else counted as a failure at once, before the password is checked, so that guesses sent
    /// together cannot all pass the limit while the first ones are being checked.
    pub fn begin(&self, account: &str, address: IpAddr) -> Result<Attempt, Duration> {
        self.begin_at(account, address, Instant::now())
    }

    fn begin_at(&self, account: &str, address: IpAddr, now: Instant) -> Result<Attempt, Duration> {
        let account = account_key(account);
        let address = address_key(address);
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let by_address = remaining(tables.by_address.get(&address), ADDRESS_LIMIT, now);
        let known = tables
            .known
            .get(&(account.clone(), address))
            .is_some_and(|since| *since + KNOWN_FOR > now);
        let by_account = if known {
            None
        } else {
            remaining(tables.by_account.get(&account), ACCOUNT_LIMIT, now)
        };
        if let Some(wait) = by_address.max(by_account) {
            return Err(wait);
        }
        record(&mut tables.by_address, address, now);
        record(&mut tables.by_account, account.clone(), now);
        Ok(Attempt { account, address })
    }

    /// The attempt succeeded: it is not a failure, and the address becomes known for the
    /// account. Failures of the same address at other accounts stay counted.
    pub fn succeeded(&self, attempt: Attempt) {
        let now = Instant::now();
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        take_back(&mut tables.by_address, &attempt.address);
        take_back(&mut tables.by_account, &attempt.account);
        make_room(
            &mut tables.known,
            |since| *since + KNOWN_FOR <= now,
            |since| *since,
        );
        tables.known.insert((attempt.account, attempt.address), now);
    }

    /// The attempt was not decided (the server could not check the password): not a failure.
    pub fn abandoned(&self, attempt: Attempt) {
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        take_back(&mut tables.by_address, &attempt.address);
        take_back(&mut tables.by_account, &attempt.account);
    }

    /// How many entries the tables hold (for tests of their bound).
    #[cfg(test)]
    fn sizes(&self) -> (usize, usize, usize) {
        let tables = self.tables.lock().unwrap();
        (
            tables.by_address.len(),
            tables.by_account.len(),
            tables.known.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    /// A failed attempt at `at`.
    fn fail(throttle: &LoginThrottle, account: &str, from: IpAddr, at: Instant) {
        let _stays_a_failure = throttle
            .begin_at(account, from, at)
            .expect("not locked yet");
    }

    #[test]
    fn an_account_is_locked_after_repeated_failures_then_unlocks_after_the_window() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for attempt in 0..ACCOUNT_LIMIT {
            fail(&throttle, "ada", address(attempt as u8), start);
        }
        assert!(throttle.begin_at("ada", address(99), start).is_err());
        assert!(throttle.begin_at("grace", address(99), start).is_ok());
        assert!(
            throttle
                .begin_at("ada", address(99), start + WINDOW)
                .is_ok()
        );
    }

    #[test]
    fn attempts_under_way_count_before_their_passwords_are_checked() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        // Many guesses at once: only as many as the limit are let through to be checked.
        let admitted: Vec<Attempt> = (0..50)
            .filter_map(|guess| throttle.begin_at("ada", address(guess), start).ok())
            .collect();
        assert_eq!(admitted.len(), ACCOUNT_LIMIT as usize);
    }

    #[test]
    fn the_owners_known_address_is_not_locked_out_by_others_failures() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        let owner = throttle.begin_at("ada", address(1), start).unwrap();
        throttle.succeeded(owner);
        for attempt in 0..ACCOUNT_LIMIT {
            fail(&throttle, "ada", address(66 + attempt as u8), start);
        }
        assert!(throttle.begin_at("ada", address(2), start).is_err());
        assert!(throttle.begin_at("ada", address(1), start).is_ok());
    }

    #[test]
    fn an_address_guessing_many_accounts_is_refused_even_after_signing_in_to_its_own() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for account in 0..ADDRESS_LIMIT - 1 {
            fail(&throttle, &format!("user{account}"), address(7), start);
        }
        // Signing in to an account of one's own takes back only that attempt.
        let own = throttle.begin_at("mallory", address(7), start).unwrap();
        throttle.succeeded(own);
        fail(&throttle, "user-last", address(7), start);
        let wait = throttle
            .begin_at("someone-else", address(7), start)
            .err()
            .expect("the address is locked");
        assert!(wait <= WINDOW);
        assert!(throttle.begin_at("someone-else", address(8), start).is_ok());
    }

    #[test]
    fn keys_are_normalised_so_that_spellings_and_neighbours_count_together() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for spelling in [
            " Ada@Example.com",
            "ada@example.com ",
            "ADA@EXAMPLE.COM",
            "ada@example.com",
            "Ada@example.COM",
        ] {
            fail(&throttle, spelling, address(spelling.len() as u8), start);
        }
        assert!(
            throttle
                .begin_at("ada@example.com", address(200), start)
                .is_err()
        );
        // Every address of one IPv6 /64 is one address.
        let neighbour = |last: u16| IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, last]);
        for account in 0..ADDRESS_LIMIT {
            fail(
                &throttle,
                &format!("user{account}"),
                neighbour(account as u16),
                start,
            );
        }
        assert!(throttle.begin_at("someone", neighbour(999), start).is_err());
        let elsewhere = IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]);
        assert!(throttle.begin_at("someone", elsewhere, start).is_ok());
    }

    #[test]
    fn the_tables_stay_bounded_when_every_entry_is_live() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for index in 0..MAX_ENTRIES as u32 + 1_000 {
            let from = IpAddr::from(index.to_be_bytes());
            let attempt = throttle
                .begin_at(&format!("user{index}"), from, start)
                .unwrap();
            throttle.succeeded(attempt);
        }
        let (addresses, accounts, known) = throttle.sizes();
        assert!(addresses <= MAX_ENTRIES, "{addresses}");
        assert!(accounts <= MAX_ENTRIES, "{accounts}");
        assert!(known <= MAX_ENTRIES, "{known}");
    }
}
