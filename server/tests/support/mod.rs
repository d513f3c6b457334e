//! Test support: the real application on a random port with a fresh in-memory database.

#![allow(dead_code)]

pub mod contract;

use app::accounts::{NewAgent, NewToken};
use app::model::Role;

use serde_json::{Value, json};
use server::auth::{AuthService, AuthSettings};
use server::site::SiteSettings;
use server::storage::{DatabaseSettings, Store};
use std::sync::Arc;

/// The first admin of every test application.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Their password.
pub const ADMIN_PASSWORD: &str = "admin password 1";

pub struct TestApp {
    pub address: String,
    /// Sends the admin's API token with every request.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub anonymous: reqwest::Client,
    /// The admin's API token, which `client` sends.
    pub token: String,
    pub auth: Arc<AuthService>,
    /// The store the application runs on.
    store: Store,
    /// The whole application, to serve again after [`TestApp::stop`].
    router: axum::Router,
    listening: std::net::SocketAddr,
    serving: tokio::task::JoinHandle<()>,
    /// Answers that do not match the served OpenAPI document; the test fails when dropped.
    violations: contract::Violations,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let violations = std::mem::take(&mut *self.violations.lock().unwrap());
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "{} answer(s) did not match the OpenAPI document:\n{}",
                violations.len(),
                violations.join("\n")
            );
        }
    }
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// Starts the whole application on 127.0.0.1:0 over a new `mem://` database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AuthSettings::default()).await
}

/// The same, with these session settings.
pub async fn spawn_app_with(auth_settings: AuthSettings) -> TestApp {
    spawn(auth_settings, 0, 50).await
}

/// The same, with a limit on crash reports per project and minute.
pub async fn spawn_app_with_ingest_limit(per_minute: u32) -> TestApp {
    spawn(AuthSettings::default(), per_minute, 50).await
}

/// The same, with this many reports in five minutes making a spike.
pub async fn spawn_app_with_spike(reports: u64) -> TestApp {
    spawn(AuthSettings::default(), 0, reports).await
}

async fn spawn(auth_settings: AuthSettings, ingest_per_minute: u32, spike_reports: u64) -> TestApp {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let settings = DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
        embedded_memory: Default::default(),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
    };
    let store = Store::open(&settings)
        .await
        .expect("the in-memory database opens");
    let auth = Arc::new(AuthService::new(store.clone(), auth_settings));
    let admin = NewAgent {
        email: ADMIN_EMAIL.into(),
        name: "Admin".into(),
        role: Some(Role::Admin),
        password: ADMIN_PASSWORD.into(),
    }
    .parse()
    .unwrap();
    auth.create_agent_from_console(admin).await.unwrap();
    let token = auth
        .issue_token_for(
            ADMIN_EMAIL,
            NewToken {
                name: "tests".into(),
                role: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().unwrap();
    let router = server::app_router(
        store.clone(),
        auth.clone(),
        SiteSettings {
            site_root: "target/site".into(),
            address,
            public_url: format!("http://{address}"),
            allowed_hosts: Vec::new(),
            request_timeout: server::REQUEST_TIMEOUT,
            ingest_per_minute,
            spike: server::storage::SpikeRule {
                reports: spike_reports,
                window: std::time::Duration::from_secs(300),
            },
        },
    );
    let violations = contract::Violations::default();
    let router = router.layer(axum::middleware::from_fn_with_state(
        violations.clone(),
        contract::layer,
    ));
    let serving = serve_on(listener, router.clone());
    TestApp {
        address: format!("http://{address}"),
        client: client_with_token(&token.secret),
        anonymous: reqwest::Client::new(),
        token: token.secret.clone(),
        auth,
        store,
        router,
        listening: address,
        serving,
        violations,
    }
}

fn serve_on(
    listener: tokio::net::TcpListener,
    router: axum::Router,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(server::serve::serve(
        listener,
        router,
        server::serve::ServeSettings {
            header_read_timeout: std::time::Duration::from_secs(2),
            ..Default::default()
        },
        std::future::pending(),
    ))
}

impl TestApp {
    /// Stops listening (connections are refused), keeping the database.
    pub async fn stop(&mut self) {
        self.serving.abort();
        let _ = (&mut self.serving).await;
    }

    /// Listens again on the same address, over the same database.
    pub async fn resume(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.listening)
            .await
            .expect("the address is free again");
        self.serving = serve_on(listener, self.router.clone());
    }

    /// The store the application runs on, for what no request can do (such as the passing of
    /// a day).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent");
        read(response).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .patch(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent");
        read(response).await
    }

    /// Creates a ticket with the given urgency and returns its reference.
    pub async fn create_ticket(&self, title: &str, urgency: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/tickets",
                &json!({ "title": title, "customer": "Ada Lovelace", "urgency": urgency }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["reference"].as_str().expect("a reference").to_string()
    }

    /// Creates a ticket with every detail verification needs.
    pub async fn create_verifiable_ticket(&self, title: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/tickets",
                &json!({
                    "title": title,
                    "customer": "Grace Hopper",
                    "channel": "phone",
                    "environment": "Windows 11, client 4.2",
                    "occurred_at": "2026-11-28T08:15:00Z",
                    "manner": "while printing the monthly report"
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["reference"].as_str().unwrap().to_string()
    }

    /// Takes a verifiable ticket through verification and work to resolved.
    pub async fn resolve(&self, reference: &str, resolution: &str) -> Value {
        for to in ["verified", "in_progress"] {
            let (status, body) = self.transition(reference, json!({ "to": to })).await;
            assert_eq!(status, 200, "{to}: {body}");
        }
        let (status, body) = self
            .transition(
                reference,
                json!({ "to": "resolved", "resolution": resolution }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn transition(&self, reference: &str, body: Value) -> (u16, Value) {
        self.post(&format!("/api/v1/tickets/{reference}/transitions"), &body)
            .await
    }
}

pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A child process that is killed (not shut down) when dropped.
pub struct RunningProcess {
    pub child: std::process::Child,
    pub address: String,
}

impl Drop for RunningProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs an administrative command of the real binary and returns what it printed.
pub fn helpdesk_command(arguments: &[&str], environment: &[(&str, &str)]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--log", "warn"])
        .args(arguments)
        .envs(environment.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the server binary runs");
    assert!(
        output.status.success(),
        "helpdesk {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Creates the first admin and an API token of theirs with the real binary's commands, against
/// the database that `database_arguments` select; returns the token.
pub fn bootstrap_admin_token(database_arguments: &[&str]) -> String {
    let mut create = database_arguments.to_vec();
    create.extend(["create-admin", "--email", ADMIN_EMAIL, "--name", "Admin"]);
    helpdesk_command(&create, &[("HELPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)]);
    let mut token = database_arguments.to_vec();
    token.extend([
        "create-token",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "tests",
        "--role",
        "admin",
    ]);
    helpdesk_command(&token, &[])
}

/// Starts the real `helpdesk` binary with these arguments on a free port, once it is ready.
pub async fn start_helpdesk(arguments: &[&str]) -> RunningProcess {
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--address", &format!("127.0.0.1:{port}"), "--log", "warn"])
        .args(arguments)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let server = RunningProcess {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    server.wait_until_ready("/readyz").await
}

impl RunningProcess {
    /// Waits until `path` answers 200, failing fast if the process exits first.
    pub async fn wait_until_ready(mut self, path: &str) -> RunningProcess {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(response) = client.get(format!("{}{path}", self.address)).send().await
                && response.status() == 200
            {
                return self;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the process exited with {status} before it was ready");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the process did not become ready at {path}");
    }
}

/// POSTs JSON to an absolute URL and reads the answer, checked against the OpenAPI document.
pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .json(body)
        .send()
        .await
        .expect("request sent");
    contract::read_checked(reqwest::Method::POST, response).await
}

/// GETs an absolute URL and reads the JSON answer, checked against the OpenAPI document.
pub async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.expect("request sent");
    contract::read_checked(reqwest::Method::GET, response).await
}

/// The references of a queue page, in order.
pub fn references(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["reference"].as_str().unwrap().to_string())
        .collect()
}

/// Signs in through the dashboard's form endpoint; returns the answer and the session cookie.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> (u16, Option<String>) {
    sign_in_at(&app.address, email, password).await
}

/// Signs in with the form at the server at `address` (`http://host:port`); answers the status
/// and the session cookie, if one was set.
pub async fn sign_in_at(address: &str, email: &str, password: &str) -> (u16, Option<String>) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{address}/rpc/sign_in"))
        .header("origin", address)
        .form(&[("email", email), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("helpdesk_session=") && !value.contains("Max-Age=0"))
        .map(|value| value.split(';').next().unwrap().to_string());
    (status, cookie)
}

/// The password of the agents tests create.
pub const AGENT_PASSWORD: &str = "long enough password";

/// Creates an agent with this role (through the API, as the admin) and returns their email.
pub async fn create_agent(app: &TestApp, role: Role) -> String {
    let email = format!("{role}-{}@example.com", server::auth::secret::random_id());
    let (status, body) = app
        .post(
            "/api/v1/agents",
            &json!({ "email": email, "name": format!("A {role}"), "role": role, "password": AGENT_PASSWORD }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    email
}

/// Creates an agent with this role and returns a client holding a token of theirs.
pub async fn client_for(app: &TestApp, role: Role) -> reqwest::Client {
    let email = create_agent(app, role).await;
    let token = app
        .auth
        .issue_token_for(
            &email,
            NewToken {
                name: "access test".into(),
                role: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    client_with_token(&token.secret)
}

/// Fills a new database as the first release left it: schema version 1 and `count` tickets,
/// each "found on floor N" with a note on its timeline. Ticket 1 is about a fax offline, ticket
/// 555 (if there is one) about toner smudges; ticket 777's note says the fuser was reseated.
pub async fn fill_version_one<C: surrealdb::Connection>(db: &surrealdb::Surreal<C>, count: u64) {
    let created_at = time::OffsetDateTime::now_utc();
    let old_tickets: Vec<Value> = (1..=count)
        .map(|number| {
            json!({
                "number": number,
                "title": match number {
                    1 => "Fax offline",
                    555 => "Toner smudges",
                    _ => "Paper jam",
                },
                "note": if number == 777 { "Reseated the fuser" } else { "Called back" },
                "queue_key": app::queue::queue_key(
                    app::model::Status::New,
                    app::model::Urgency::Low,
                    created_at,
                    number
                ),
            })
        })
        .collect();
    let version_one = server::storage::MIGRATIONS
        .iter()
        .find(|migration| migration.version == 1)
        .unwrap();
    db.query(
        "DEFINE TABLE schema_migration SCHEMAFULL;
         DEFINE FIELD name ON schema_migration TYPE string;
         DEFINE FIELD applied_at ON schema_migration TYPE datetime;",
    )
    .query(version_one.statements)
    .query("CREATE schema_migration:1 SET name = 'first', applied_at = time::now()")
    .query(
        "UPSERT sequence:ticket SET value = $count;
         FOR $row IN $rows {
             CREATE type::record('ticket', $row.number) CONTENT {
                 number: $row.number, reference: 'TCK-' + <string>$row.number,
                 title: $row.title, description: 'Found on floor ' + <string>$row.number,
                 urgency: 'low', status: 'new', channel: 'phone', customer: 'Old Customer',
                 scope: 'external', environment: '', manner: '', queue_key: $row.queue_key,
                 revision: 1, entry_count: 1, created_at: time::now(), updated_at: time::now()
             };
             CREATE type::record('entry', [$row.number, 1]) CONTENT {
                 ticket_number: $row.number, position: 1, kind: 'note', author: 'Ada',
                 body: $row.note, created_at: time::now()
             };
         };",
    )
    .bind(("rows", old_tickets))
    .bind(("count", count as i64))
    .await
    .unwrap()
    .check()
    .unwrap();
}
