//! One page per file.

pub mod account;
pub mod agents;
pub mod crash_report;
pub mod customers;
pub mod knowledge;
pub mod login;
pub mod new_ticket;
pub mod occurrence_chart;
pub mod projects;
pub mod queue;
pub mod ticket;
