//! Who is calling and what they may do: passwords, sessions, API tokens, sign-in throttling, the
//! access rules of every route and the guard that enforces them.

pub mod guard;
pub mod password;
pub mod rules;
pub mod secret;
pub mod service;
pub mod throttle;

pub use service::{AuthService, AuthSettings};
