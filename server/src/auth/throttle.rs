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
//! Counts are kept in this process's memory, bounded in size. Several servers behind one balancer
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

fn record<Key: std::hash::Hash + Eq>(table: &mut HashMap<Key, Failures>, key: Key, now: Instant) {
    if table.len() >= MAX_ENTRIES {
        table.retain(|_, failures| failures.window_started + WINDOW > now);
    }
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

impl LoginThrottle {
    /// How long `address` must wait before trying `account`, if it must.
    pub fn wait(&self, account: &str, address: IpAddr) -> Option<Duration> {
        self.wait_at(account, address, Instant::now())
    }

    fn wait_at(&self, account: &str, address: IpAddr, now: Instant) -> Option<Duration> {
        let tables = self
            .tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let by_address = remaining(tables.by_address.get(&address), ADDRESS_LIMIT, now);
        let known = tables
            .known
            .get(&(account.to_string(), address))
            .is_some_and(|since| *since + KNOWN_FOR > now);
        let by_account = if known {
            None
        } else {
            remaining(tables.by_account.get(account), ACCOUNT_LIMIT, now)
        };
        by_address.max(by_account)
    }

    /// Counts a failed attempt.
    pub fn failed(&self, account: &str, address: IpAddr) {
        self.failed_at(account, address, Instant::now());
    }

    fn failed_at(&self, account: &str, address: IpAddr, now: Instant) {
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        record(&mut tables.by_address, address, now);
        record(&mut tables.by_account, account.to_string(), now);
    }

    /// Remembers a successful sign-in: the address becomes known for the account.
    pub fn succeeded(&self, account: &str, address: IpAddr) {
        let now = Instant::now();
        let mut tables = self
            .tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if tables.known.len() >= MAX_ENTRIES {
            tables.known.retain(|_, since| *since + KNOWN_FOR > now);
        }
        tables.known.insert((account.to_string(), address), now);
        tables.by_address.remove(&address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_account_is_locked_after_repeated_failures_then_unlocks_after_the_window() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for attempt in 0..ACCOUNT_LIMIT {
            assert_eq!(throttle.wait_at("ada", address(attempt as u8), start), None);
            throttle.failed_at("ada", address(attempt as u8), start);
        }
        assert!(throttle.wait_at("ada", address(99), start).is_some());
        assert_eq!(throttle.wait_at("grace", address(99), start), None);
        assert_eq!(throttle.wait_at("ada", address(99), start + WINDOW), None);
    }

    #[test]
    fn the_owners_known_address_is_not_locked_out_by_others_failures() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        throttle.succeeded("ada", address(1));
        for _ in 0..ACCOUNT_LIMIT * 3 {
            throttle.failed_at("ada", address(66), start);
        }
        assert!(throttle.wait_at("ada", address(66), start).is_some());
        assert!(throttle.wait_at("ada", address(2), start).is_some());
        assert_eq!(throttle.wait_at("ada", address(1), start), None);
    }

    #[test]
    fn an_address_guessing_many_accounts_is_refused() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for account in 0..ADDRESS_LIMIT {
            throttle.failed_at(&format!("user{account}"), address(7), start);
        }
        let wait = throttle.wait_at("someone-else", address(7), start).unwrap();
        assert!(wait <= WINDOW);
        assert_eq!(throttle.wait_at("someone-else", address(8), start), None);
    }
}
