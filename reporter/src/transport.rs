//! The sender: one background thread that posts the spool's reports, oldest first, retries with
//! backoff while the server cannot take them, and keeps to the server's rate limits.

use crate::dsn::Dsn;
use crate::spool::{NotLocked, Spool};
use std::cell::Cell;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const LONGEST_BACKOFF: Duration = Duration::from_secs(300);
/// How often the spool is looked at when nothing is due, for reports other processes left.
const RESCAN: Duration = Duration::from_secs(60);
/// How soon to try again when another process is sending from the same spool.
const LOCK_RETRY: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

thread_local! {
    /// Set on the sender's thread, so that what happens there (a log event of the HTTP client,
    /// say) is never itself reported.
    static ON_SENDER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is the sender's (or the writer's).
pub(crate) fn on_sender_thread() -> bool {
    ON_SENDER_THREAD.with(Cell::get)
}

/// Marks the calling thread as one of the reporter's own, whose events are never reported.
pub(crate) fn mark_sender_thread() {
    ON_SENDER_THREAD.with(|flag| flag.set(true));
}

enum Command {
    /// A new report is in the spool.
    Wake,
    /// A report that could not be written to the spool, to send from memory.
    Deliver(Vec<u8>),
    /// Send what can be sent now; answer whether nothing is left.
    Flush(SyncSender<bool>),
    /// Like flush, then stop.
    Shutdown(SyncSender<bool>),
}

pub(crate) struct Transport {
    commands: Mutex<mpsc::Sender<Command>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Transport {
    /// Starts the sender, which first sends what earlier runs left in the spool.
    pub fn start(spool: Spool) -> std::io::Result<Transport> {
        let (commands, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("reporter-sender".into())
            .spawn(move || Sender::new(spool).run(receiver))?;
        Ok(Transport {
            commands: Mutex::new(commands),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn send(&self, command: Command) -> bool {
        let commands = self
            .commands
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        commands.send(command).is_ok()
    }

    pub fn wake(&self) {
        self.send(Command::Wake);
    }

    pub fn deliver_from_memory(&self, envelope: Vec<u8>) {
        self.send(Command::Deliver(envelope));
    }

    /// Waits up to `timeout` for every report to be sent; answers whether they all were.
    pub fn flush(&self, timeout: Duration) -> bool {
        if on_sender_thread() {
            return false;
        }
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Command::Flush(reply)) && answer.recv_timeout(timeout).unwrap_or(false)
    }

    /// Flushes for up to `timeout`, then stops the sender. What was not sent stays in the spool.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        let (reply, answer) = mpsc::sync_channel(1);
        if !self.send(Command::Shutdown(reply)) {
            return false;
        }
        match answer.recv_timeout(timeout) {
            Ok(all_sent) => {
                let thread = self
                    .thread
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take();
                if let Some(thread) = thread {
                    let _ = thread.join();
                }
                all_sent
            }
            // Still busy with a slow server: it is left to finish or to die with the process.
            Err(_) => false,
        }
    }
}

/// What the server made of a report.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Accepted,
    /// Will never be accepted (malformed, wrong key): dropped, with a word on standard error.
    Refused(String),
    /// Not now: down, overloaded or unreachable.
    RetryLater(String),
}

struct Sender {
    spool: Spool,
    client: Option<reqwest::blocking::Client>,
    /// Reports that could not be written to the spool, oldest first, bounded like the spool.
    in_memory: VecDeque<Vec<u8>>,
    /// Spooled reports that were delivered but could not be removed (a read-only spool): never
    /// sent again by this process.
    delivered_but_kept: HashSet<PathBuf>,
    /// Whether the spool was found unusable (said once on standard error).
    spool_unusable: bool,
    /// Sending is paused until then at the server's request (429 or `X-Sentry-Rate-Limits`).
    rate_limited_until: Option<Instant>,
    /// After a failure, the next timed retry.
    retry_at: Option<Instant>,
    backoff: Duration,
    lock_busy: bool,
}

impl Sender {
    fn new(spool: Spool) -> Sender {
        Sender {
            spool,
            client: None,
            in_memory: VecDeque::new(),
            delivered_but_kept: HashSet::new(),
            spool_unusable: false,
            rate_limited_until: None,
            retry_at: None,
            backoff: FIRST_BACKOFF,
            lock_busy: false,
        }
    }

    fn run(mut self, commands: Receiver<Command>) {
        mark_sender_thread();
        self.attempt();
        loop {
            let command = commands.recv_timeout(self.next_wait());
            match command {
                // A new report waits for the backoff like the others: an outage is not probed
                // again for every report made during it.
                Ok(Command::Wake) => self.attempt_when_due(),
                Ok(Command::Deliver(envelope)) => {
                    self.keep_in_memory(envelope);
                    self.attempt_when_due();
                }
                // Asked for explicitly (a panic, the end of the program): one try now.
                Ok(Command::Flush(reply)) => {
                    self.attempt();
                    let _ = reply.send(self.nothing_left());
                }
                Ok(Command::Shutdown(reply)) => {
                    self.attempt();
                    let _ = reply.send(self.nothing_left());
                    return;
                }
                Err(RecvTimeoutError::Timeout) => self.attempt_when_due(),
                Err(RecvTimeoutError::Disconnected) => {
                    self.attempt();
                    return;
                }
            }
        }
    }

    /// Queues a report that the spool could not take, dropping the oldest beyond the spool's
    /// caps.
    fn keep_in_memory(&mut self, envelope: Vec<u8>) {
        let caps = self.spool.caps();
        self.in_memory.push_back(envelope);
        let mut bytes: u64 = self
            .in_memory
            .iter()
            .map(|report| report.len() as u64)
            .sum();
        while self.in_memory.len() > 1
            && (self.in_memory.len() > caps.max_reports || bytes > caps.max_bytes)
        {
            if let Some(dropped) = self.in_memory.pop_front() {
                bytes -= dropped.len() as u64;
                eprintln!("reporter: too many reports wait in memory; dropping the oldest");
            }
        }
    }

    fn nothing_left(&self) -> bool {
        self.in_memory.is_empty() && self.waiting_in_spool().is_empty()
    }

    /// The spool's reports this process has still to send.
    fn waiting_in_spool(&self) -> Vec<PathBuf> {
        self.spool
            .pending()
            .into_iter()
            .filter(|path| !self.delivered_but_kept.contains(path))
            .collect()
    }

    fn attempt_when_due(&mut self) {
        if self.retry_at.is_none_or(|at| Instant::now() >= at) {
            self.attempt();
        }
    }

    fn next_wait(&self) -> Duration {
        let now = Instant::now();
        if self.lock_busy {
            return LOCK_RETRY;
        }
        let due = [self.rate_limited_until, self.retry_at]
            .into_iter()
            .flatten()
            .max();
        match due {
            Some(due) => due
                .saturating_duration_since(now)
                .max(Duration::from_millis(10)),
            None => RESCAN,
        }
    }

    /// Sends what is waiting, oldest first, until done or until the server cannot take more.
    fn attempt(&mut self) {
        if self
            .rate_limited_until
            .is_some_and(|until| Instant::now() < until)
        {
            return;
        }
        self.rate_limited_until = None;
        // This process's own reports in memory need no right to the spool.
        while let Some(envelope) = self.in_memory.pop_front() {
            if !self.deliver(&envelope, None) {
                self.in_memory.push_front(envelope);
                return;
            }
        }
        let _lock = match self.spool.try_lock() {
            Ok(lock) => lock,
            Err(NotLocked::Busy) => {
                self.lock_busy = true;
                return;
            }
            Err(NotLocked::Unusable(error)) => {
                self.lock_busy = false;
                if !self.spool_unusable {
                    eprintln!(
                        "reporter: the spool in {} cannot be used ({error}); reports go from memory",
                        self.spool.directory().display()
                    );
                }
                self.spool_unusable = true;
                return;
            }
        };
        self.lock_busy = false;
        self.spool_unusable = false;
        let pending = self.spool.pending();
        self.delivered_but_kept
            .retain(|path| pending.binary_search(path).is_ok());
        for path in pending {
            if self.delivered_but_kept.contains(&path) {
                continue;
            }
            let Ok(envelope) = std::fs::read(&path) else {
                continue;
            };
            if !self.deliver(&envelope, Some(&path)) {
                return;
            }
        }
    }

    /// Sends one report; answers whether to go on with the next.
    fn deliver(&mut self, envelope: &[u8], path: Option<&PathBuf>) -> bool {
        match self.post(envelope) {
            Outcome::Accepted => {
                if let Some(path) = path
                    && !self.spool.remove(path)
                {
                    self.delivered_but_kept.insert(path.clone());
                }
                self.retry_at = None;
                self.backoff = FIRST_BACKOFF;
                self.rate_limited_until.is_none()
            }
            Outcome::Refused(reason) => {
                eprintln!("reporter: the server refused a report for good ({reason}); dropping it");
                if let Some(path) = path
                    && !self.spool.remove(path)
                {
                    self.delivered_but_kept.insert(path.clone());
                }
                self.rate_limited_until.is_none()
            }
            Outcome::RetryLater(reason) => {
                if self.rate_limited_until.is_none() {
                    self.retry_at = Some(Instant::now() + self.backoff);
                    self.backoff = (self.backoff * 2).min(LONGEST_BACKOFF);
                }
                if std::env::var_os("REPORTER_DEBUG").is_some() {
                    eprintln!("reporter: a report will be sent later ({reason})");
                }
                false
            }
        }
    }

    fn post(&mut self, envelope: &[u8]) -> Outcome {
        let dsn = match envelope_dsn(envelope) {
            Ok(dsn) => dsn,
            Err(reason) => return Outcome::Refused(reason),
        };
        if self.client.is_none() {
            match reqwest::blocking::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
                .user_agent(concat!("reporter/", env!("CARGO_PKG_VERSION")))
                .build()
            {
                Ok(client) => self.client = Some(client),
                Err(error) => return Outcome::RetryLater(format!("no HTTP client: {error}")),
            }
        }
        let Some(client) = &self.client else {
            return Outcome::RetryLater("no HTTP client".into());
        };
        let response = client
            .post(dsn.envelope_url())
            .header("X-Sentry-Auth", dsn.auth_header())
            .header("Content-Type", "application/x-sentry-envelope")
            .body(envelope.to_vec())
            .send();
        let response = match response {
            Ok(response) => response,
            Err(error) => return Outcome::RetryLater(error.to_string()),
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        if let Some(pause) = rate_limit(
            status,
            header("retry-after").as_deref(),
            header("x-sentry-rate-limits").as_deref(),
        ) {
            self.rate_limited_until = Some(Instant::now() + pause);
        }
        let outcome = classify(status);
        match outcome {
            Classified::Accepted => Outcome::Accepted,
            Classified::RetryLater => Outcome::RetryLater(format!("status {status}")),
            Classified::Refused => {
                let body = response.text().unwrap_or_default();
                let body: String = body.chars().take(300).collect();
                Outcome::Refused(format!("status {status}: {body}"))
            }
        }
    }
}

/// The DSN an envelope is addressed to, from its header line.
fn envelope_dsn(envelope: &[u8]) -> Result<Dsn, String> {
    let header_line = envelope.split(|byte| *byte == b'\n').next().unwrap_or(&[]);
    let header: serde_json::Value = serde_json::from_slice(header_line)
        .map_err(|error| format!("a spooled report has an unreadable header: {error}"))?;
    let dsn = header
        .get("dsn")
        .and_then(serde_json::Value::as_str)
        .ok_or("a spooled report names no DSN")?;
    Dsn::parse(dsn).map_err(|error| error.to_string())
}

#[derive(Debug, PartialEq, Eq)]
enum Classified {
    Accepted,
    Refused,
    RetryLater,
}

fn classify(status: u16) -> Classified {
    match status {
        200..=299 => Classified::Accepted,
        408 | 425 | 429 | 500..=599 => Classified::RetryLater,
        _ => Classified::Refused,
    }
}

/// How long the server asks us to pause: `X-Sentry-Rate-Limits` when it limits error events (or
/// every category), else `Retry-After` (seconds) on a 429, else a minute on a 429.
fn rate_limit(
    status: u16,
    retry_after: Option<&str>,
    sentry_limits: Option<&str>,
) -> Option<Duration> {
    let from_limits = sentry_limits.and_then(|limits| {
        limits
            .split(',')
            .filter_map(|limit| {
                let mut parts = limit.trim().split(':');
                let seconds: f64 = parts.next()?.trim().parse().ok()?;
                let categories = parts.next().unwrap_or("");
                let applies = categories.is_empty()
                    || categories
                        .split(';')
                        .any(|category| matches!(category.trim(), "error" | "default"));
                (applies && seconds.is_finite() && seconds >= 0.0).then_some(seconds)
            })
            .reduce(f64::max)
            .map(|seconds| Duration::from_secs_f64(seconds.min(86_400.0)))
    });
    if from_limits.is_some() {
        return from_limits;
    }
    (status == 429).then(|| {
        retry_after
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(|seconds| Duration::from_secs(seconds.min(86_400)))
            .unwrap_or(Duration::from_secs(60))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decide_between_done_dropped_and_later() {
        assert_eq!(classify(200), Classified::Accepted);
        for status in [400, 401, 403, 404, 413] {
            assert_eq!(classify(status), Classified::Refused, "{status}");
        }
        for status in [408, 429, 500, 502, 503] {
            assert_eq!(classify(status), Classified::RetryLater, "{status}");
        }
    }

    #[test]
    fn sentry_rate_limits_pause_error_events_and_win_over_retry_after() {
        let limit = |status, retry, limits| rate_limit(status, retry, limits);
        assert_eq!(
            limit(429, Some("5"), Some("60:error;transaction:key")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            limit(429, Some("5"), Some("30::organization, 90:transaction:key")),
            Some(Duration::from_secs(30))
        );
        // Limits on other categories leave errors alone.
        assert_eq!(limit(200, None, Some("90:transaction;session:key")), None);
        assert_eq!(limit(429, Some("7"), None), Some(Duration::from_secs(7)));
        assert_eq!(limit(429, None, None), Some(Duration::from_secs(60)));
        assert_eq!(
            limit(429, Some("soon"), None),
            Some(Duration::from_secs(60))
        );
        assert_eq!(limit(200, Some("7"), None), None);
    }

    #[test]
    fn a_spooled_envelope_names_its_own_dsn() {
        let envelope = b"{\"event_id\":\"ab\",\"dsn\":\"http://key@127.0.0.1:9/4\"}\n{}\n";
        assert_eq!(envelope_dsn(envelope).unwrap().project_id(), 4);
        assert!(envelope_dsn(b"not json\n").is_err());
        assert!(envelope_dsn(b"{\"event_id\":\"ab\"}\n").is_err());
    }
}
