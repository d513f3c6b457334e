//! Test support: the real application on a random port with a fresh in-memory database.

#![allow(dead_code)]

use app::service::SharedHelpDesk;
use serde_json::{Value, json};
use server::site::SiteSettings;
use server::storage::{DatabaseSettings, Store};
use std::sync::Arc;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
}

/// Starts the whole application on 127.0.0.1:0 over a new `mem://` database.
pub async fn spawn_app() -> TestApp {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let settings = DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
    };
    let store = Store::open(&settings)
        .await
        .expect("the in-memory database opens");
    let help_desk: SharedHelpDesk = Arc::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().unwrap();
    let router = server::app_router(
        help_desk,
        SiteSettings {
            site_root: "target/site".into(),
            address,
        },
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    TestApp {
        address: format!("http://{address}"),
        client: reqwest::Client::new(),
    }
}

impl TestApp {
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

/// POSTs JSON to an absolute URL and reads the answer.
pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    read(
        client
            .post(url)
            .json(body)
            .send()
            .await
            .expect("request sent"),
    )
    .await
}

/// GETs an absolute URL and reads the JSON answer.
pub async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    read(client.get(url).send().await.expect("request sent")).await
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
