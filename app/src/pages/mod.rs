//! One page per file.

pub mod agents;
pub mod login;
pub mod new_ticket;
pub mod queue;
pub mod ticket;
pub mod tokens;
