//! Per-project rate limits on crash reports: a token bucket per project.
//!
//! A project may send `per_minute` reports a minute, in bursts of up to that many; beyond it the
//! server answers 429 with `Retry-After` and `X-Sentry-Rate-Limits`, which Sentry SDKs (and the
//! `reporter`) honour by holding back. Buckets live in this process's memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The limiter of one server.
pub struct IngestLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

impl IngestLimiter {
    /// Allows `per_minute` reports a minute per project; 0 means no limit.
    pub fn new(per_minute: u32) -> IngestLimiter {
        IngestLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one report's token for `project`, or says how long to wait for one.
    pub fn admit(&self, project: u64) -> Result<(), Duration> {
        self.admit_at(project, Instant::now())
    }

    fn admit_at(&self, project: u64, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(project).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / per_second;
            Err(Duration::from_secs_f64(wait.max(0.001)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_up_to_the_limit_passes_then_waits_for_the_refill() {
        let limiter = IngestLimiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.admit_at(1, start).is_ok());
        }
        let wait = limiter.admit_at(1, start).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        // Another project has its own bucket.
        assert!(limiter.admit_at(2, start).is_ok());
        // One second refills one report.
        assert!(limiter.admit_at(1, start + Duration::from_secs(1)).is_ok());
        assert!(limiter.admit_at(1, start + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = IngestLimiter::new(0);
        let start = Instant::now();
        assert!((0..10_000).all(|_| limiter.admit_at(1, start).is_ok()));
    }
}
