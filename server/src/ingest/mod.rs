//! Crash-report ingestion in the Sentry protocol: envelopes, events and how they are grouped into
//! one ticket per problem.
//!
//! Reading an event is `app::crash`, shared with the dashboard. These modules are the pure core (parsing, grouping, rate limits; no IO); the endpoints are in
//! `http::ingest` and the storage of occurrences in `storage::crashes`.

pub mod body;
pub mod dsn;
pub mod envelope;
pub mod grouping;
pub mod rate;
pub mod release;
