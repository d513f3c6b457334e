//! One page per file.

pub mod new_ticket;
pub mod queue;
pub mod ticket;
