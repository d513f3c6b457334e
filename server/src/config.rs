//! Configuration from command-line flags and environment variables.

use crate::storage::{DatabaseSettings, EmbeddedMemory};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The help desk server: dashboard, REST API and storage.
#[derive(Clone, Debug, Parser)]
#[command(name = "helpdesk", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HELPDESK_ADDRESS", default_value = "127.0.0.1:3000")]
    pub address: SocketAddr,

    /// Directory of the embedded on-disk database (used when no database URL is given).
    #[arg(long, env = "HELPDESK_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL instead of the data directory: `mem://`, `surrealkv://PATH`, or a remote
    /// SurrealDB server as `ws://HOST:PORT` / `wss://HOST:PORT`.
    #[arg(long, env = "HELPDESK_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Root user for a remote database.
    #[arg(long, env = "HELPDESK_DATABASE_USER", requires = "database_password")]
    pub database_user: Option<String>,

    /// Root password for a remote database.
    #[arg(
        long,
        env = "HELPDESK_DATABASE_PASSWORD",
        hide_env_values = true,
        requires = "database_user"
    )]
    pub database_password: Option<String>,

    /// SurrealDB namespace.
    #[arg(long, env = "HELPDESK_NAMESPACE", default_value = "helpdesk")]
    pub namespace: String,

    /// SurrealDB database.
    #[arg(long, env = "HELPDESK_DATABASE", default_value = "helpdesk")]
    pub database: String,

    /// Memory, in MiB, in which the embedded on-disk database gathers writes before flushing them
    /// to disk; also the largest transaction it accepts.
    #[arg(
        long,
        env = "HELPDESK_DATABASE_WRITE_BUFFER_MIB",
        default_value_t = EmbeddedMemory::DEFAULT_WRITE_BUFFER_MIB,
        value_parser = clap::value_parser!(u64).range(8..=65536)
    )]
    pub database_write_buffer_mib: u64,

    /// Memory, in MiB, in which the embedded on-disk database caches what it reads from disk.
    #[arg(
        long,
        env = "HELPDESK_DATABASE_READ_CACHE_MIB",
        default_value_t = EmbeddedMemory::DEFAULT_READ_CACHE_MIB,
        value_parser = clap::value_parser!(u64).range(1..=1048576)
    )]
    pub database_read_cache_mib: u64,

    /// Directory of the built site (the wasm bundle, CSS and public files).
    #[arg(long, env = "HELPDESK_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Log filter, e.g. `info` or `server=debug,info`.
    #[arg(long, env = "HELPDESK_LOG", default_value = "info")]
    pub log: String,

    /// Log format: `text` or `json`.
    #[arg(long, env = "HELPDESK_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Where clients reach this server, for the DSNs of projects (default: http:// and the address).
    #[arg(long, env = "HELPDESK_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Other names clients reach this server by, besides the public URL's host, `localhost`
    /// and IP addresses (requests naming any other host are refused, against DNS rebinding);
    /// comma-separated in the environment variable.
    #[arg(
        long = "allowed-host",
        env = "HELPDESK_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,

    /// The one-time code that setting up the first admin in the dashboard needs (default: a
    /// random one, printed in a link at start-up while there is no agent).
    #[arg(long, env = "HELPDESK_SETUP_CODE", hide_env_values = true)]
    pub setup_code: Option<String>,

    /// Seconds a request may take before it is answered 503 with `Retry-After`.
    #[arg(long, env = "HELPDESK_REQUEST_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,

    /// Tickets one transaction of a schema migration rewrites (on a database from an older
    /// release); smaller batches make smaller transactions.
    #[arg(long, env = "HELPDESK_MIGRATION_BATCH", default_value_t = crate::storage::DEFAULT_MIGRATION_BATCH, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub migration_batch: usize,

    /// Crash reports each project may send a minute, in bursts of up to as many; 0 for no limit.
    #[arg(long, env = "HELPDESK_INGEST_PER_MINUTE", default_value_t = 6000)]
    pub ingest_per_minute: u32,

    /// A spike: this many reports of one problem within `--spike-minutes` make its ticket
    /// critical (0: never).
    #[arg(long, env = "HELPDESK_SPIKE_REPORTS", default_value_t = 50)]
    pub spike_reports: u64,

    /// The window of a spike, in minutes.
    #[arg(long, env = "HELPDESK_SPIKE_MINUTES", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub spike_minutes: u64,

    /// Mark the session cookie `Secure` (implied by an https `--public-url`).
    #[arg(long, env = "HELPDESK_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Hours a dashboard session lasts at most.
    #[arg(long, env = "HELPDESK_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_hours: u64,

    /// Minutes without a request after which a dashboard session ends.
    #[arg(long, env = "HELPDESK_IDLE_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=43200))]
    pub idle_minutes: u64,

    /// Addresses of reverse proxies whose `X-Forwarded-For` header names the real client (for
    /// sign-in throttling); comma-separated in the environment variable.
    #[arg(
        long = "trusted-proxy",
        env = "HELPDESK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// An administrative task instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Administrative tasks, run against the configured database while no server holds it (an
/// embedded database admits one process at a time; a remote one, any number).
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Creates an admin agent. The password is read from HELPDESK_ADMIN_PASSWORD, or else from
    /// the first line of standard input.
    CreateAdmin {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// The name shown on the timeline.
        #[arg(long)]
        name: String,
    },
    /// Creates a personal API token for an agent and prints it (for automation).
    CreateToken {
        /// The agent's email.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// admin, agent or viewer; no higher than the agent's role.
        #[arg(long, default_value = "agent")]
        role: String,
    },
}

impl Config {
    /// Where clients reach this server.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .map(|url| url.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{}", self.address))
    }

    /// How sessions behave.
    pub fn auth_settings(&self) -> crate::auth::AuthSettings {
        crate::auth::AuthSettings {
            // Served over https (as the public URL says), the cookie is never sent in clear.
            secure_cookies: self.secure_cookies || self.public_url().starts_with("https://"),
            session_lifetime: std::time::Duration::from_secs(self.session_hours * 3600),
            idle_timeout: std::time::Duration::from_secs(self.idle_minutes * 60),
            trusted_proxies: self.trusted_proxies.clone(),
            setup_code: self.setup_code.clone(),
        }
    }

    /// Where the database is.
    pub fn database_settings(&self) -> DatabaseSettings {
        let url = self
            .database_url
            .clone()
            .unwrap_or_else(|| format!("surrealkv://{}", self.data_dir.display()));
        DatabaseSettings {
            url,
            credentials: self
                .database_user
                .clone()
                .zip(self.database_password.clone()),
            namespace: self.namespace.clone(),
            database: self.database.clone(),
            embedded_memory: EmbeddedMemory::from_mib(
                self.database_write_buffer_mib,
                self.database_read_cache_mib,
            ),
            migration_batch: self.migration_batch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_public_url_makes_cookies_secure() {
        let parse = |arguments: &[&str]| {
            Config::try_parse_from(std::iter::once("helpdesk").chain(arguments.iter().copied()))
                .unwrap()
        };
        assert!(!parse(&[]).auth_settings().secure_cookies);
        assert!(parse(&["--secure-cookies"]).auth_settings().secure_cookies);
        let behind_tls = parse(&["--public-url", "https://desk.example.com/"]);
        assert!(behind_tls.auth_settings().secure_cookies);
        assert_eq!(behind_tls.public_url(), "https://desk.example.com");
        assert_eq!(parse(&[]).public_url(), "http://127.0.0.1:3000");
    }

    #[test]
    fn the_embedded_database_memory_comes_from_two_flags_in_mib() {
        let parse = |arguments: &[&str]| {
            Config::try_parse_from(std::iter::once("helpdesk").chain(arguments.iter().copied()))
        };
        let defaults = parse(&[]).unwrap().database_settings();
        assert_eq!(defaults.embedded_memory, EmbeddedMemory::default());

        let chosen = parse(&[
            "--database-write-buffer-mib",
            "128",
            "--database-read-cache-mib",
            "512",
        ])
        .unwrap()
        .database_settings();
        assert_eq!(chosen.embedded_memory.write_buffer_bytes, 128 << 20);
        assert_eq!(chosen.embedded_memory.read_cache_bytes, 512 << 20);

        let too_small = parse(&["--database-write-buffer-mib", "1"]).unwrap_err();
        assert!(too_small.to_string().contains("8..=65536"), "{too_small}");
    }
}
