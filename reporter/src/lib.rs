//! Files a program's panics, errors and messages as tickets in the help desk.
//!
//! Reports travel in the Sentry ingestion protocol to the project's DSN, which the help desk's
//! Projects page shows. The server groups them into one ticket per problem, counts how often it
//! happens, and reopens a resolved ticket when the problem comes back.
//!
//! # Quick start
//!
//! ```no_run
//! // Keep the guard alive for the life of the program: dropping it sends what is waiting.
//! let _guard = reporter::init(
//!     reporter::Options::new()
//!         .dsn("http://0123456789abcdef0123456789abcdef@127.0.0.1:3000/1")
//!         .release(reporter::release_name!()),
//! );
//!
//! if let Err(error) = std::fs::read_to_string("/etc/shop.toml") {
//!     reporter::capture_error(&error);
//! }
//! reporter::capture_message("stock is running low", reporter::Level::Warning);
//!
//! let items: Vec<u32> = Vec::new();
//! let _ = items[3]; // a panic: reported with its stack trace, then it goes on as usual
//! ```
//!
//! The DSN, release and environment may also come from `REPORTER_DSN` (or `SENTRY_DSN`),
//! `REPORTER_RELEASE` and `REPORTER_ENVIRONMENT`; without a DSN, reporting is off.
//!
//! # Nothing is lost
//!
//! Every report is first written to a spool directory (whole or not at all) and removed only when
//! the server has accepted it or refused it for good. A background thread sends it; when the
//! server is down, overloaded or asks to slow down (`429`, `Retry-After`,
//! `X-Sentry-Rate-Limits`), it waits and tries again with backoff, and what is still waiting when
//! the program ends is sent by its next run. So a panic in a program built with
//! `panic = "abort"`, while the server is down, still becomes a ticket. A panicking thread waits
//! at most [`Options::panic_timeout`] for its report to be written and sent.
//!
//! The thread that reports takes only its stack's addresses: a background thread resolves the
//! symbols and writes the report. `capture_error` and `capture_message` wait for it to be written
//! (at most the panic timeout); `error!` events of the tracing layer do not wait at all. [`flush`],
//! and dropping the guard, wait for everything queued.
//!
//! # Tracing
//!
//! With the `tracing` feature, [`tracing_layer`] turns `error!` events into reports and keeps the
//! events before them as breadcrumbs.

#![warn(missing_docs)]

mod client;
mod dsn;
mod event;
mod options;
mod panic;
mod spool;
mod stacktrace;
#[cfg(feature = "tracing")]
mod tracing_layer;
mod transport;
mod writer;

pub use dsn::{Dsn, DsnError};
pub use event::{Breadcrumb, Level, User};
pub use options::Options;
#[cfg(feature = "tracing")]
pub use tracing_layer::{ReporterLayer, tracing_layer};

use client::Client;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

static CLIENT: RwLock<Option<Arc<Client>>> = RwLock::new(None);

pub(crate) fn current_client() -> Option<Arc<Client>> {
    CLIENT
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// `"<crate name>@<crate version>"` of the crate where it is written, for [`Options::release`].
#[macro_export]
macro_rules! release_name {
    () => {
        concat!(env!("CARGO_PKG_NAME"), "@", env!("CARGO_PKG_VERSION"))
    };
}

/// Why reporting could not start.
#[derive(Debug)]
pub enum InitError {
    /// The DSN is malformed.
    Dsn(DsnError),
    /// The spool directory cannot be created.
    Spool {
        /// The directory.
        directory: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The sender thread cannot be started.
    Sender(std::io::Error),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::Dsn(error) => write!(formatter, "{error}"),
            InitError::Spool { directory, source } => write!(
                formatter,
                "cannot create the spool directory {}: {source}",
                directory.display()
            ),
            InitError::Sender(error) => {
                write!(formatter, "cannot start the sender thread: {error}")
            }
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::Dsn(error) => Some(error),
            InitError::Spool { source, .. } => Some(source),
            InitError::Sender(error) => Some(error),
        }
    }
}

/// Keeps reporting on. Dropping it waits up to [`Options::shutdown_timeout`] for waiting reports
/// to be sent (what is not sent stays in the spool for the next run) and stops reporting.
#[must_use = "reporting stops when the guard is dropped"]
pub struct Guard {
    client: Option<Arc<Client>>,
}

impl Guard {
    /// Whether reports are being sent (there was a usable DSN).
    pub fn is_enabled(&self) -> bool {
        self.client.is_some()
    }

    /// Where reports wait until the server has them.
    pub fn spool_directory(&self) -> Option<&std::path::Path> {
        self.client.as_deref().map(Client::spool_directory)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        {
            let mut current = CLIENT
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if current
                .as_ref()
                .is_some_and(|installed| Arc::ptr_eq(installed, &client))
            {
                *current = None;
            }
        }
        client.shutdown();
    }
}

/// Starts reporting: installs the panic hook and the sender, and sends what earlier runs left in
/// the spool. Without a DSN (in the options or the environment) reporting is off; with a broken
/// one, or no spool directory, it is off too and standard error says why. See [`try_init`].
pub fn init(options: Options) -> Guard {
    try_init(options).unwrap_or_else(|error| {
        eprintln!("reporter: reports are off: {error}");
        Guard { client: None }
    })
}

/// Like [`init`], but says why reporting could not start.
pub fn try_init(options: Options) -> Result<Guard, InitError> {
    let options = options.with_environment_fallbacks();
    let Some(dsn) = options.dsn.as_deref() else {
        return Ok(Guard { client: None });
    };
    let dsn = Dsn::parse(dsn).map_err(InitError::Dsn)?;
    let client = Arc::new(Client::start(dsn, &options)?);
    if options.capture_panics {
        panic::install();
    }
    let previous = CLIENT
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .replace(client.clone());
    if let Some(previous) = previous {
        previous.shutdown();
    }
    Ok(Guard {
        client: Some(client),
    })
}

/// Reports an error with its chain of `source()`s and the caller's stack. Answers the report's
/// id, or `None` when reporting is off.
pub fn capture_error(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let client = current_client()?;
    let stack = stacktrace::unresolved();
    let event = client.error_event(error);
    Some(submit_and_wait(&client, event, Some(stack)))
}

/// Queues a report and waits up to the panic timeout for it to be written, so that a program
/// that exits right after reporting (without dropping its guard) keeps the report.
fn submit_and_wait(
    client: &Client,
    event: event::Event,
    stack: Option<backtrace::Backtrace>,
) -> String {
    let deadline = std::time::Instant::now() + client.panic_timeout;
    let (id, written) = client.submit(event, stack);
    if let Some(written) = written {
        written.wait_until(deadline);
    }
    id
}

/// Reports a message. Answers the report's id, or `None` when reporting is off.
pub fn capture_message(message: &str, level: Level) -> Option<String> {
    let client = current_client()?;
    let mut event = event::Event::new(level);
    event.logentry = Some(event::LogEntry {
        message: Some(message.to_string()),
        formatted: message.to_string(),
    });
    Some(submit_and_wait(&client, event, None))
}

/// Remembers something that happened; the next reports carry the most recent ones.
pub fn add_breadcrumb(breadcrumb: Breadcrumb) {
    if let Some(client) = current_client() {
        client.add_breadcrumb(breadcrumb);
    }
}

/// Sets (or with `None` clears) who the next reports are about.
pub fn set_user(user: Option<User>) {
    if let Some(client) = current_client() {
        client.set_user(user);
    }
}

/// Sets a tag on the next reports.
pub fn set_tag(key: impl Into<String>, value: impl Into<String>) {
    if let Some(client) = current_client() {
        client.set_tag(key.into(), value.into());
    }
}

/// Waits up to `timeout` for waiting reports to be sent; answers whether none is left.
pub fn flush(timeout: Duration) -> bool {
    current_client().is_some_and(|client| client.flush(timeout))
}
