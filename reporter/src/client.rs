//! The client behind the free functions: fills each report with the program's context and queues
//! it for the writer, which resolves its stack, spools it and wakes the sender. The caller's
//! thread takes the stack's addresses only, and waits for nothing.

use crate::dsn::Dsn;
use crate::event::{Breadcrumb, Event, Exception, Mechanism, User, Values, error_type};
use crate::options::Options;
use crate::spool::{Caps, Spool};
use crate::stacktrace::InApp;
use crate::transport::Transport;
use crate::writer::{Pending, Target, Writer};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Client {
    release: Option<String>,
    environment: Option<String>,
    server_name: Option<String>,
    user: Mutex<Option<User>>,
    tags: Mutex<BTreeMap<String, String>>,
    breadcrumbs: Mutex<VecDeque<Breadcrumb>>,
    max_breadcrumbs: usize,
    spool: Spool,
    writer: Writer,
    transport: Arc<Transport>,
    pub(crate) panic_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) capture_panics: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock must not stop reports.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Client {
    pub fn start(dsn: Dsn, options: &Options) -> Result<Client, crate::InitError> {
        let directory = options.resolved_spool_directory();
        let spool = Spool::open(
            directory.clone(),
            Caps {
                max_reports: options.max_spooled_reports,
                max_bytes: options.max_spool_bytes,
                max_age: options.max_spool_age,
            },
        )
        .map_err(|source| crate::InitError::Spool { directory, source })?;
        let transport =
            Arc::new(Transport::start(spool.clone()).map_err(crate::InitError::Sender)?);
        let writer = Writer::start(Target {
            dsn: dsn.to_string(),
            in_app: InApp {
                crates: options.in_app_crates.clone(),
            },
            spool: spool.clone(),
            transport: transport.clone(),
        })
        .map_err(crate::InitError::Sender)?;
        Ok(Client {
            release: options.release.clone(),
            environment: options.environment.clone(),
            server_name: options.server_name.clone(),
            user: Mutex::new(options.user.clone()),
            tags: Mutex::new(options.tags.clone()),
            breadcrumbs: Mutex::new(VecDeque::new()),
            max_breadcrumbs: options.max_breadcrumbs,
            spool,
            writer,
            transport,
            panic_timeout: options.panic_timeout,
            shutdown_timeout: options.shutdown_timeout,
            capture_panics: options.capture_panics,
        })
    }

    pub fn spool_directory(&self) -> &std::path::Path {
        self.spool.directory()
    }

    pub fn set_user(&self, user: Option<User>) {
        *lock(&self.user) = user;
    }

    pub fn set_tag(&self, key: String, value: String) {
        lock(&self.tags).insert(key, value);
    }

    pub fn add_breadcrumb(&self, breadcrumb: Breadcrumb) {
        if self.max_breadcrumbs == 0 {
            return;
        }
        let mut breadcrumbs = lock(&self.breadcrumbs);
        while breadcrumbs.len() >= self.max_breadcrumbs {
            breadcrumbs.pop_front();
        }
        breadcrumbs.push_back(breadcrumb);
    }

    /// Fills in the program's context and queues the report, with the stack of its outermost
    /// exception (`stack`) to resolve. Answers the id, and something to wait on until the report
    /// is written (none when it was dropped).
    pub fn submit(
        &self,
        mut event: Event,
        stack: Option<backtrace::Backtrace>,
    ) -> (String, Option<Pending>) {
        event.release = event.release.or_else(|| self.release.clone());
        event.environment = event.environment.or_else(|| self.environment.clone());
        event.server_name = event.server_name.or_else(|| self.server_name.clone());
        let user = lock(&self.user).clone();
        if let Some(customer) = user.as_ref().and_then(|user| user.customer.clone()) {
            event.tags.entry("customer".into()).or_insert(customer);
        }
        event.user = event.user.or(user);
        for (key, value) in lock(&self.tags).iter() {
            event
                .tags
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
        let breadcrumbs: Vec<Breadcrumb> = lock(&self.breadcrumbs).iter().cloned().collect();
        if !breadcrumbs.is_empty() {
            event.breadcrumbs = Some(Values {
                values: breadcrumbs,
            });
        }
        let id = event.event_id.clone();
        (id, self.writer.queue(event, stack))
    }

    /// Waits up to `timeout` for every report to be written and sent; answers whether they were.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.writer.drain(deadline)
            && self
                .transport
                .flush(deadline.saturating_duration_since(Instant::now()))
    }

    /// Writes what is queued and sends what it can within the shutdown timeout, then stops.
    pub fn shutdown(&self) -> bool {
        let deadline = Instant::now() + self.shutdown_timeout;
        let written = self.writer.stop(deadline);
        self.transport
            .shutdown(deadline.saturating_duration_since(Instant::now()))
            && written
    }

    /// An error and its sources as one report: the chain's innermost cause first, the error
    /// itself last (whose stack is the caller's: submit it with [`crate::stacktrace::unresolved`]).
    pub fn error_event(&self, error: &(dyn std::error::Error + 'static)) -> Event {
        let mut chain = Vec::new();
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(error) = current {
            if chain.len() == 50 {
                break;
            }
            chain.push(Exception {
                kind: error_type(error),
                value: error.to_string(),
                stacktrace: None,
                mechanism: None,
            });
            current = error.source();
        }
        if let Some(outermost) = chain.first_mut() {
            outermost.mechanism = Some(Mechanism {
                kind: "generic",
                handled: true,
            });
        }
        chain.reverse();
        let mut event = Event::new(crate::Level::Error);
        event.exception = Some(Values { values: chain });
        event
    }
}
