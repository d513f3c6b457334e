//! SurrealDB's server (`surreal start …`), the same code as the official binary, built from the
//! `surrealdb-server` crate so that tests can run the help desk against a remote database.

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}
