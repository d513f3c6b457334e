//! One page per file.

pub mod account;
pub mod agents;
pub mod article;
pub mod article_editor;
pub mod articles;
pub mod crash_report;
pub mod customers;
pub mod login;
pub mod new_ticket;
pub mod occurrence_chart;
pub mod projects;
pub mod queue;
pub mod search;
pub mod ticket;
