//! Who is calling: passwords, sessions, API tokens and sign-in throttling. The access rules of
//! every route and the guard that enforces them are the HTTP surface's (`http::rules`,
//! `http::guard`); what each caller may do is the desk's.

pub mod password;
pub mod secret;
pub mod service;
pub mod throttle;

pub use service::{AuthService, AuthSettings};
