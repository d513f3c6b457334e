//! Crash-report ingestion in the Sentry protocol: envelopes, events and how they are grouped into
//! one ticket per problem.
//!
//! These modules are the pure core (parsing and grouping, no IO); the endpoints and the storage of
//! occurrences build on them.

pub mod body;
pub mod dsn;
pub mod envelope;
pub mod event;
pub mod grouping;
