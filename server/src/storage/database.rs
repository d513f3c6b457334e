//! The database handle: SurrealDB embedded in this process, or a remote SurrealDB server.
//!
//! The embedded engines (`surrealkv://`, `mem://`) are opened here rather than by the `surrealdb`
//! crate's `connect`, which takes its settings only from the URL. Opening them ourselves is the
//! only way to bound SurrealKV's memory: left to itself, it sizes its write buffer and its read
//! cache from the machine's memory (1 GiB and 11 GiB on a 24 GiB host). Every query goes through
//! [`Database::query`], which runs on either kind of handle.

use std::borrow::Cow;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db;
use surrealdb::method::IntoVariables;
use surrealdb::opt::auth::Root;
use surrealdb_cnf::ConfigMap;
use surrealdb_engine_local::Datastore;

use super::{DatabaseSettings, StorageError};

const MIB: u64 = 1024 * 1024;

/// How much memory the embedded on-disk engine (SurrealKV) may hold, apart from what queries use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbeddedMemory {
    /// Writes are gathered in memory up to this size, then flushed to a table on disk. It is also
    /// the largest transaction the engine accepts.
    pub write_buffer_bytes: u64,
    /// Blocks read from the tables on disk are cached up to this size.
    pub read_cache_bytes: u64,
}

impl EmbeddedMemory {
    /// The write buffer's default size. SurrealKV holds up to three buffers while it flushes
    /// them; measured with crash ingestion, smaller buffers cost no speed (docs/performance.md "Memory").
    pub const DEFAULT_WRITE_BUFFER_MIB: u64 = 16;
    /// The read cache's default size: what keeps searches of a 100,000-ticket help desk under
    /// 50 ms (measured: 16 MiB took them to 80 ms; docs/performance.md "Memory").
    pub const DEFAULT_READ_CACHE_MIB: u64 = 64;

    /// From sizes in MiB, as the command line gives them.
    pub fn from_mib(write_buffer: u64, read_cache: u64) -> EmbeddedMemory {
        EmbeddedMemory {
            write_buffer_bytes: write_buffer * MIB,
            read_cache_bytes: read_cache * MIB,
        }
    }
}

impl Default for EmbeddedMemory {
    fn default() -> Self {
        EmbeddedMemory::from_mib(
            EmbeddedMemory::DEFAULT_WRITE_BUFFER_MIB,
            EmbeddedMemory::DEFAULT_READ_CACHE_MIB,
        )
    }
}

/// A handle to the database, cheap to clone.
#[derive(Clone)]
pub(crate) enum Database {
    /// SurrealDB running in this process, on disk or in memory.
    Embedded(Surreal<Db>),
    /// A SurrealDB server reached over the network.
    Remote(Surreal<Any>),
}

/// Whether the URL names an engine that runs in this process.
fn is_embedded(url: &str) -> bool {
    url == "memory" || url.starts_with("mem://") || on_disk_directory(url).is_some()
}

/// The directory of an embedded on-disk database (`surrealkv://PATH` or `surrealkv:PATH`, with
/// or without settings after a `?`), or `None` for any other URL.
pub(super) fn on_disk_directory(url: &str) -> Option<&str> {
    let location = url
        .strip_prefix("surrealkv://")
        .or_else(|| url.strip_prefix("surrealkv:"))?;
    location.split('?').next()
}

fn internal(error: impl std::fmt::Display) -> surrealdb::Error {
    surrealdb::Error::internal(error.to_string())
}

impl Database {
    /// Opens or connects, signs in to a remote server, and selects the namespace and database.
    pub(crate) async fn open(settings: &DatabaseSettings) -> Result<Database, StorageError> {
        let embedded = is_embedded(&settings.url);
        if embedded && settings.credentials.is_some() {
            return Err(StorageError::Settings(format!(
                "a user and password are for a remote database server; {} is embedded and has no users",
                settings.url
            )));
        }
        let database = if embedded {
            Database::Embedded(open_embedded(&settings.url, settings.embedded_memory).await?)
        } else {
            let db = surrealdb::engine::any::connect(settings.url.as_str()).await?;
            if let Some((username, password)) = &settings.credentials {
                db.signin(Root {
                    username: username.clone(),
                    password: password.clone(),
                })
                .await?;
            }
            Database::Remote(db)
        };
        let (namespace, name) = (settings.namespace.as_str(), settings.database.as_str());
        // Both answer with the namespace and database now selected, which we already know.
        let _selected = match &database {
            Database::Embedded(db) => db.use_ns(namespace).use_db(name).await?,
            Database::Remote(db) => db.use_ns(namespace).use_db(name).await?,
        };
        Ok(database)
    }

    /// A query of one or more statements, run as the `surrealdb` crate's `query` runs it.
    pub(crate) fn query<'a>(&'a self, statements: impl Into<Cow<'a, str>>) -> Query<'a> {
        match self {
            Database::Embedded(db) => Query::Embedded(db.query(statements)),
            Database::Remote(db) => Query::Remote(db.query(statements)),
        }
    }
}

/// Opens an embedded engine the way the `surrealdb` crate's `connect` does, with our memory sizes.
async fn open_embedded(url: &str, memory: EmbeddedMemory) -> Result<Surreal<Db>, surrealdb::Error> {
    let config = ConfigMap::empty()
        .with_key_value(
            "surrealkv_max_memtable_size",
            memory.write_buffer_bytes.to_string(),
        )
        .with_key_value(
            "surrealkv_block_cache_capacity",
            memory.read_cache_bytes.to_string(),
        )
        // Every commit is on disk (fsync) before it is answered: a 200 for a crash report or a
        // 201 for a ticket promises that. SurrealKV's default today, stated so that a change of
        // default cannot weaken the promise.
        .with_key_value("datastore_sync", "every");
    // As `connect` does: the maintenance tasks write, so they start only once the datastore has
    // its version key (a write before it would make a new datastore look like an old one).
    let datastore = Datastore::builder()
        .with_config(config)
        .without_maintenance_tasks()
        .build_with_path(url)
        .await
        .map_err(internal)?;
    datastore.check_version().await.map_err(internal)?;
    datastore.bootstrap().await.map_err(internal)?;
    datastore.start_maintenance_tasks();
    // Marked unstable (it exposes the core's types), which is why the versions of the SurrealDB
    // crates are pinned together in the workspace's manifest.
    Surreal::<Db>::unstable_from_datastore(datastore, None).await
}

/// A query on either kind of handle: bind variables, then await it.
pub(crate) enum Query<'a> {
    Embedded(surrealdb::method::Query<'a, Db>),
    Remote(surrealdb::method::Query<'a, Any>),
}

impl Query<'_> {
    /// Binds variables, as the `surrealdb` crate's `Query::bind` does.
    pub(crate) fn bind(self, variables: impl IntoVariables) -> Self {
        match self {
            Query::Embedded(query) => Query::Embedded(query.bind(variables)),
            Query::Remote(query) => Query::Remote(query.bind(variables)),
        }
    }
}

impl<'a> IntoFuture for Query<'a> {
    type Output = Result<surrealdb::IndexedResults, surrealdb::Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        match self {
            Query::Embedded(query) => query.into_future(),
            Query::Remote(query) => query.into_future(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One transaction writing `records` records of a kilobyte each (small enough to stay in the
    /// write buffer rather than go to SurrealKV's value log).
    async fn write_in_one_transaction(db: &Surreal<Db>, records: usize) -> surrealdb::Result<()> {
        db.use_ns("test").use_db("test").await?;
        db.query("FOR $n IN 0..$records { CREATE filler SET text = string::repeat('x', 1000) }")
            .bind(("records", records))
            .await?
            .check()?;
        Ok(())
    }

    #[tokio::test]
    async fn the_write_buffer_size_reaches_the_storage_engine() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("surrealkv://{}", directory.path().display());
        let small = EmbeddedMemory {
            write_buffer_bytes: MIB,
            read_cache_bytes: MIB,
        };
        let db = open_embedded(&url, small).await.unwrap();

        let refused = write_in_one_transaction(&db, 2_000).await;
        let fits = write_in_one_transaction(&db, 200).await;

        let refusal = refused
            .expect_err("2 MB fitted in a 1 MiB write buffer")
            .to_string();
        assert!(refusal.contains("arena is full"), "{refusal}");
        fits.expect("200 kB fits in a 1 MiB write buffer");
        let mut response = db.query("SELECT VALUE text FROM filler").await.unwrap();
        let texts: Vec<String> = response.take(0).unwrap();
        assert_eq!(
            texts.len(),
            200,
            "the refused transaction left nothing behind"
        );
    }

    #[test]
    fn the_directory_of_an_on_disk_database_is_read_from_either_spelling_of_its_url() {
        assert_eq!(on_disk_directory("surrealkv://data"), Some("data"));
        assert_eq!(
            on_disk_directory("surrealkv:/var/lib/helpdesk?sync=every"),
            Some("/var/lib/helpdesk")
        );
        assert_eq!(on_disk_directory("mem://"), None);
        assert_eq!(on_disk_directory("ws://db:8000"), None);
        assert!(is_embedded("surrealkv:data") && is_embedded("memory") && !is_embedded("wss://db"));
    }

    #[tokio::test]
    async fn credentials_for_an_embedded_database_are_refused_rather_than_ignored() {
        let settings = DatabaseSettings {
            url: "mem://".into(),
            credentials: Some(("root".into(), "secret".into())),
            namespace: "test".into(),
            database: "test".into(),
            embedded_memory: EmbeddedMemory::default(),
            migration_batch: crate::storage::DEFAULT_MIGRATION_BATCH,
        };

        let refusal = Database::open(&settings).await.err().expect("a refusal");

        assert!(matches!(refusal, StorageError::Settings(_)), "{refusal}");
        assert!(
            refusal.to_string().contains("remote database server"),
            "{refusal}"
        );
    }

    #[tokio::test]
    async fn the_default_write_buffer_takes_what_a_small_one_refuses() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("surrealkv://{}", directory.path().display());
        let db = open_embedded(&url, EmbeddedMemory::default())
            .await
            .unwrap();

        write_in_one_transaction(&db, 2_000).await.unwrap();
    }
}
