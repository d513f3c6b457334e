//! Per-project rate limits on crash reports: a token bucket per project, shared by every server
//! on the database.
//!
//! A project may send `per_minute` reports a minute, in bursts of up to that many; beyond it the
//! server answers 429 with `Retry-After` and `X-Sentry-Rate-Limits`, which Sentry SDKs (and the
//! `reporter`) honour by holding back.
//!
//! The bucket lives in the database, so that N servers behind a balancer allow the limit, not N
//! times it. A server does not spend a database round trip on every report: it claims a share of
//! the bucket at a time ([`Rate::claim_size`], a second's worth) and admits reports from its
//! share. A share is used within [`SHARE_LIFETIME`] or dropped, so a project gets at most the
//! limit plus one share per server, and at worst one unused share per server less. A project
//! refused is refused locally until a token would have refilled, without reading the bucket
//! again. How a bucket refills and what a claim takes is decided here; reading it and writing it
//! back over the revision read is the caller's (the desk's).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a server may keep tokens it claimed and has not used.
pub const SHARE_LIFETIME: Duration = Duration::from_secs(60);

/// A bucket as it was written: its tokens at a moment (seconds since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// Tokens left then.
    pub tokens: f64,
    /// When, in seconds since the Unix epoch.
    pub at: f64,
}

/// What a claim took from a bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claimed {
    /// Tokens taken (0: none left).
    pub taken: u32,
    /// The bucket to write back.
    pub after: Bucket,
    /// When none were taken: how long until one refills.
    pub wait: Duration,
}

/// A project's allowance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    per_minute: u32,
}

impl Rate {
    /// `per_minute` reports a minute; 0 means no limit.
    pub fn new(per_minute: u32) -> Rate {
        Rate { per_minute }
    }

    fn capacity(&self) -> f64 {
        f64::from(self.per_minute)
    }

    fn per_second(&self) -> f64 {
        self.capacity() / 60.0
    }

    /// How many tokens one claim takes at most: a second's worth, at least one.
    pub fn claim_size(&self) -> u32 {
        (self.per_minute / 60).max(1)
    }

    /// Takes up to [`Rate::claim_size`] tokens at `now` from `bucket` as it was written (a
    /// bucket never written is full).
    pub fn claim(&self, bucket: Option<Bucket>, now: f64) -> Claimed {
        let tokens = match bucket {
            None => self.capacity(),
            Some(bucket) => {
                let elapsed = (now - bucket.at).max(0.0);
                (bucket.tokens + elapsed * self.per_second()).min(self.capacity())
            }
        };
        let whole = tokens.floor().max(0.0);
        let taken = whole.min(f64::from(self.claim_size())) as u32;
        let wait = if taken == 0 {
            Duration::from_secs_f64(((1.0 - tokens) / self.per_second()).max(0.001))
        } else {
            Duration::ZERO
        };
        Claimed {
            taken,
            after: Bucket {
                tokens: tokens - f64::from(taken),
                at: now,
            },
            wait,
        }
    }
}

/// What this server holds of one project's bucket.
#[derive(Default)]
struct Share {
    /// Tokens claimed and not used yet.
    left: u32,
    /// When they were claimed.
    claimed: Option<Instant>,
    /// Refused until then without asking the database.
    refused_until: Option<Instant>,
}

/// The limiter of one server, over the buckets in the database.
pub struct IngestLimiter {
    rate: Rate,
    shares: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<Share>>>>,
}

impl IngestLimiter {
    /// Allows `per_minute` reports a minute per project; 0 means no limit.
    pub fn new(per_minute: u32) -> IngestLimiter {
        IngestLimiter {
            rate: Rate::new(per_minute),
            shares: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one report of `project`, or says how long to wait. When this server's share is
    /// used up, `claim` takes a new one from the shared bucket (see [`Rate::claim`]) and answers
    /// how many tokens it took or how long until one refills. Reports of one project wait for
    /// each other only while a claim is under way.
    pub async fn admit<E, F, Claim>(
        &self,
        project: u64,
        claim: F,
    ) -> Result<Result<(), Duration>, E>
    where
        F: FnOnce(Rate) -> Claim,
        Claim: Future<Output = Result<Result<u32, Duration>, E>>,
    {
        if self.rate.per_minute == 0 {
            return Ok(Ok(()));
        }
        let share = self
            .shares
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(project)
            .or_default()
            .clone();
        let mut share = share.lock().await;
        let now = Instant::now();
        if let Some(until) = share.refused_until {
            if until > now {
                return Ok(Err(until - now));
            }
            share.refused_until = None;
        }
        let fresh = share
            .claimed
            .is_some_and(|claimed| now.duration_since(claimed) < SHARE_LIFETIME);
        if share.left > 0 && fresh {
            share.left -= 1;
            return Ok(Ok(()));
        }
        match claim(self.rate).await? {
            Ok(taken) if taken > 0 => {
                share.left = taken - 1;
                share.claimed = Some(Instant::now());
                Ok(Ok(()))
            }
            Ok(_) => {
                share.left = 0;
                Ok(Err(Duration::from_secs(1)))
            }
            Err(wait) => {
                share.left = 0;
                share.refused_until = Some(Instant::now() + wait);
                Ok(Err(wait))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn a_full_bucket_gives_a_seconds_worth_per_claim_and_refills_with_time() {
        let rate = Rate::new(6_000);
        let first = rate.claim(None, 1_000.0);
        assert_eq!(first.taken, 100);
        assert_eq!(first.after.tokens, 5_900.0);
        // Empty: nothing to take, and the wait is until one token refills (10 ms).
        let empty = rate.claim(
            Some(Bucket {
                tokens: 0.5,
                at: 1_000.0,
            }),
            1_000.0,
        );
        assert_eq!(empty.taken, 0);
        assert!(empty.wait > Duration::ZERO && empty.wait <= Duration::from_millis(10));
        // One second refills a second's worth, and never past the capacity.
        let refilled = rate.claim(
            Some(Bucket {
                tokens: 0.0,
                at: 1_000.0,
            }),
            1_001.0,
        );
        assert_eq!(refilled.taken, 100);
        let capped = rate.claim(
            Some(Bucket {
                tokens: 10.0,
                at: 0.0,
            }),
            1_000_000.0,
        );
        assert_eq!(capped.after.tokens + f64::from(capped.taken), 6_000.0);
        // A clock that went back refills nothing.
        let back = rate.claim(
            Some(Bucket {
                tokens: 0.0,
                at: 1_000.0,
            }),
            900.0,
        );
        assert_eq!(back.taken, 0);
    }

    #[test]
    fn small_limits_claim_one_token_at_a_time() {
        let rate = Rate::new(5);
        assert_eq!(rate.claim_size(), 1);
        let mut bucket = None;
        let mut admitted = 0;
        for _ in 0..10 {
            let claimed = rate.claim(bucket, 50.0);
            admitted += claimed.taken;
            bucket = Some(claimed.after);
        }
        assert_eq!(admitted, 5, "a burst of the limit, then nothing");
        let wait = rate.claim(bucket, 50.0).wait;
        assert!(wait <= Duration::from_secs(12) && wait > Duration::from_secs(11));
    }

    /// A bucket in memory, standing in for the database.
    struct Shared {
        bucket: Mutex<Option<Bucket>>,
        claims: AtomicU32,
    }

    impl Shared {
        async fn claim(&self, rate: Rate) -> Result<Result<u32, Duration>, ()> {
            self.claims.fetch_add(1, Ordering::SeqCst);
            let mut bucket = self.bucket.lock().unwrap();
            let claimed = rate.claim(*bucket, 100.0);
            *bucket = Some(claimed.after);
            Ok(if claimed.taken > 0 {
                Ok(claimed.taken)
            } else {
                Err(claimed.wait)
            })
        }
    }

    #[tokio::test]
    async fn servers_sharing_a_bucket_admit_the_limit_between_them_not_each() {
        let shared = Shared {
            bucket: Mutex::new(None),
            claims: AtomicU32::new(0),
        };
        let servers = [IngestLimiter::new(600), IngestLimiter::new(600)];
        let mut admitted = 0;
        for round in 0..1_000 {
            let server = &servers[round % 2];
            if server
                .admit(7, |rate| shared.claim(rate))
                .await
                .unwrap()
                .is_ok()
            {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 600, "the bucket's 600, shared");
        // Ten reports per claim (a second's worth of 600 a minute), and one refusal per server
        // read the bucket; later refusals were answered locally.
        assert_eq!(shared.claims.load(Ordering::SeqCst), 60 + 2);
        // Another project has its own bucket (here, the same stand-in, now empty: refused).
        let other = IngestLimiter::new(600);
        assert!(
            other
                .admit(8, |rate| shared.claim(rate))
                .await
                .unwrap()
                .is_err()
        );
    }

    #[tokio::test]
    async fn zero_means_no_limit_and_no_claim() {
        let limiter = IngestLimiter::new(0);
        for _ in 0..10_000 {
            let admitted = limiter
                .admit(1, |_| async { Err::<Result<u32, Duration>, ()>(()) })
                .await;
            assert_eq!(admitted, Ok(Ok(())));
        }
    }
}
