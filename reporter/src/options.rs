//! What `init` is told: where to report, who and what is running, and the spool's limits. Every
//! option has a builder method; the DSN, release, environment and spool directory fall back to
//! environment variables.

use crate::event::User;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The options of [`init`](crate::init), built with methods:
///
/// ```
/// let options = reporter::Options::new()
///     .dsn("http://0123456789abcdef0123456789abcdef@127.0.0.1:3000/1")
///     .release(reporter::release_name!())
///     .environment("production")
///     .tag("region", "eu-west");
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) dsn: Option<String>,
    pub(crate) release: Option<String>,
    pub(crate) environment: Option<String>,
    pub(crate) server_name: Option<String>,
    pub(crate) user: Option<User>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) in_app_crates: Vec<String>,
    pub(crate) spool_directory: Option<PathBuf>,
    pub(crate) panic_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) max_spooled_reports: usize,
    pub(crate) max_spool_bytes: u64,
    pub(crate) max_spool_age: Duration,
    pub(crate) max_breadcrumbs: usize,
    pub(crate) capture_panics: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options::new()
    }
}

/// The first of these environment variables that is set and not empty.
fn from_environment(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|value| value.trim().to_string())
        .find(|value| !value.is_empty())
}

impl Options {
    /// The defaults: panics are reported, a panicking thread waits at most 2 seconds for its
    /// report to be sent (it stays in the spool otherwise), and the spool keeps at most 1,000
    /// reports, 50 MiB, for 30 days.
    pub fn new() -> Options {
        Options {
            dsn: None,
            release: None,
            environment: None,
            server_name: None,
            user: None,
            tags: BTreeMap::new(),
            in_app_crates: Vec::new(),
            spool_directory: None,
            panic_timeout: Duration::from_secs(2),
            shutdown_timeout: Duration::from_secs(2),
            max_spooled_reports: 1_000,
            max_spool_bytes: 50 * 1024 * 1024,
            max_spool_age: Duration::from_secs(30 * 24 * 3_600),
            max_breadcrumbs: 100,
            capture_panics: true,
        }
    }

    /// Where to report: the project's DSN from the help desk's Projects page. Without one,
    /// `REPORTER_DSN` or `SENTRY_DSN` is used; without any, reporting is off.
    pub fn dsn(mut self, dsn: impl Into<String>) -> Options {
        self.dsn = Some(dsn.into());
        self
    }

    /// The version that is running, such as `shop@2.1.0` (see [`release_name!`](crate::release_name)).
    /// Defaults to `REPORTER_RELEASE` or `SENTRY_RELEASE`.
    pub fn release(mut self, release: impl Into<String>) -> Options {
        self.release = Some(release.into());
        self
    }

    /// Where it runs, such as `production`. Defaults to `REPORTER_ENVIRONMENT` or
    /// `SENTRY_ENVIRONMENT`.
    pub fn environment(mut self, environment: impl Into<String>) -> Options {
        self.environment = Some(environment.into());
        self
    }

    /// The machine's name, as reports show it.
    pub fn server_name(mut self, name: impl Into<String>) -> Options {
        self.server_name = Some(name.into());
        self
    }

    /// Who uses the program, and for which customer; see also [`set_user`](crate::set_user).
    pub fn user(mut self, user: User) -> Options {
        self.user = Some(user);
        self
    }

    /// A tag sent with every report.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Options {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Marks a crate's frames as the application's own. Without any, a frame is the
    /// application's unless it comes from the standard library, a known runtime crate, or the
    /// sources of a Cargo registry or git dependency.
    pub fn in_app_crate(mut self, crate_name: impl Into<String>) -> Options {
        self.in_app_crates.push(crate_name.into().replace('-', "_"));
        self
    }

    /// Where reports wait until the server has them. Defaults to `REPORTER_SPOOL_DIR`, else a
    /// directory named after the program in this user's state directory (`~/.local/state/reporter`
    /// on Linux). It must belong to this user: it is created readable by its owner only, and one
    /// of another user's is refused.
    pub fn spool_directory(mut self, directory: impl Into<PathBuf>) -> Options {
        self.spool_directory = Some(directory.into());
        self
    }

    /// How long a panicking thread waits for its report to be written and sent before the panic
    /// goes on (2 s by default), and how long `capture_error` and `capture_message` wait for
    /// their report to be written to the spool. A report not sent by then is sent later, by this
    /// run or the next. (`error!` events of the tracing layer are written without waiting.)
    pub fn panic_timeout(mut self, timeout: Duration) -> Options {
        self.panic_timeout = timeout;
        self
    }

    /// How long dropping the guard waits for waiting reports to be sent.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Options {
        self.shutdown_timeout = timeout;
        self
    }

    /// The spool's caps: past them, the oldest reports are dropped.
    pub fn spool_limits(
        mut self,
        max_reports: usize,
        max_bytes: u64,
        max_age: Duration,
    ) -> Options {
        self.max_spooled_reports = max_reports.max(1);
        self.max_spool_bytes = max_bytes;
        self.max_spool_age = max_age;
        self
    }

    /// How many recent breadcrumbs are kept and sent with a report.
    pub fn max_breadcrumbs(mut self, count: usize) -> Options {
        self.max_breadcrumbs = count;
        self
    }

    /// Whether panics are reported (they are by default).
    pub fn capture_panics(mut self, capture: bool) -> Options {
        self.capture_panics = capture;
        self
    }

    /// Fills what was not set from the environment.
    pub(crate) fn with_environment_fallbacks(mut self) -> Options {
        if self.dsn.is_none() {
            self.dsn = from_environment(&["REPORTER_DSN", "SENTRY_DSN"]);
        }
        if self.release.is_none() {
            self.release = from_environment(&["REPORTER_RELEASE", "SENTRY_RELEASE"]);
        }
        if self.environment.is_none() {
            self.environment = from_environment(&["REPORTER_ENVIRONMENT", "SENTRY_ENVIRONMENT"]);
        }
        if self.spool_directory.is_none() {
            self.spool_directory = from_environment(&["REPORTER_SPOOL_DIR"]).map(PathBuf::from);
        }
        self
    }

    /// The spool directory to use: the configured one, else one per program in this user's own
    /// state directory (see [`default_spool_root`]).
    pub(crate) fn resolved_spool_directory(&self) -> PathBuf {
        self.spool_directory.clone().unwrap_or_else(|| {
            let program = std::env::current_exe()
                .ok()
                .and_then(|path| {
                    path.file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "program".into());
            default_spool_root(|name| std::env::var_os(name)).join(program)
        })
    }
}

/// Where programs of this user spool their reports, given the environment: the user's state
/// directory (`$XDG_STATE_HOME`, else `~/.local/state`; `%LOCALAPPDATA%` on Windows;
/// `~/Library/Application Support` on macOS), else, without a home, a directory of this user's
/// own in the temporary directory. Never one directory shared by every user.
pub(crate) fn default_spool_root(variable: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let absolute = |name: &str| {
        variable(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    let state = if cfg!(windows) {
        absolute("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        absolute("HOME").map(|home| home.join("Library/Application Support"))
    } else {
        absolute("XDG_STATE_HOME")
            .or_else(|| absolute("HOME").map(|home| home.join(".local/state")))
    };
    match state {
        Some(state) => state.join("reporter"),
        None => std::env::temp_dir().join(per_user_temporary()),
    }
}

#[cfg(unix)]
fn per_user_temporary() -> String {
    format!("reporter-{}", rustix::process::geteuid().as_raw())
}

#[cfg(not(unix))]
fn per_user_temporary() -> String {
    let user = std::env::var("USERNAME").unwrap_or_default();
    let user: String = user
        .chars()
        .filter(|character| character.is_alphanumeric())
        .collect();
    format!("reporter-{user}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn root(variables: &[(&str, &str)]) -> PathBuf {
        default_spool_root(|name| {
            variables
                .iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| OsString::from(value))
        })
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn the_default_spool_is_in_this_users_state_directory_never_a_shared_one() {
        assert_eq!(
            root(&[
                ("XDG_STATE_HOME", "/home/ada/.state"),
                ("HOME", "/home/ada")
            ]),
            PathBuf::from("/home/ada/.state/reporter")
        );
        assert_eq!(
            root(&[("HOME", "/home/ada")]),
            PathBuf::from("/home/ada/.local/state/reporter")
        );
        // A relative state directory is ignored, as the XDG specification says.
        assert_eq!(
            root(&[("XDG_STATE_HOME", "state"), ("HOME", "/home/ada")]),
            PathBuf::from("/home/ada/.local/state/reporter")
        );
        // Without a home, a directory of this user's own in the temporary directory.
        let uid = rustix::process::geteuid().as_raw();
        assert_eq!(
            root(&[]),
            std::env::temp_dir().join(format!("reporter-{uid}"))
        );
    }
}
