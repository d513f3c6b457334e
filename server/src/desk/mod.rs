//! The desk: the help desk's rules, one module per resource, between the surfaces and storage.
//!
//! REST handlers, server functions and crash ingestion parse their input and call the desk with
//! the caller's [`Principal`]; the desk decides who may do what, checks what parsing cannot
//! (references to other records, revisions), generates keys, and has storage read and write.
//! Storage knows no rules. The same noun names the file on every floor: `http/customers.rs` →
//! `desk/customers.rs` → `storage/customers.rs`.

mod accounts;
mod articles;
mod crashes;
mod customers;
mod projects;
mod request_keys;
mod search;
mod tickets;

use crate::storage::Store;
use std::sync::Arc;

pub use crashes::{CrashRules, IntakeRefusal, sweep_crash_receipts};
pub use request_keys::sweep_request_keys;

/// The desk over a store: implements the services of `app::service`, one resource per module.
#[derive(Clone)]
pub struct Desk {
    store: Store,
    /// Where clients reach the server (`http://host:port`), for the DSNs of projects.
    public_url: Arc<str>,
    /// How many crash reports a project may send, and what makes a spike.
    crash_rules: Arc<CrashRules>,
}

impl Desk {
    /// A desk over the store; `public_url` is where clients reach this server.
    pub fn new(store: Store, public_url: impl Into<Arc<str>>) -> Desk {
        Desk {
            store,
            public_url: public_url.into(),
            crash_rules: Arc::new(CrashRules::default()),
        }
    }

    /// The same desk with these crash intake rules.
    pub fn with_crash_rules(self, crash_rules: CrashRules) -> Desk {
        Desk {
            crash_rules: Arc::new(crash_rules),
            ..self
        }
    }

    /// The store, for the desk's modules.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}

#[async_trait::async_trait]
impl app::service::Readiness for Desk {
    async fn ready(&self) -> Result<(), app::service::HelpDeskError> {
        Ok(self.store().ready().await?)
    }
}
