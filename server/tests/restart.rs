//! Durability: tickets written to an on-disk database survive a killed and restarted server.

mod support;

use serde_json::{Value, json};

async fn start(data_dir: &std::path::Path) -> support::RunningProcess {
    support::start_helpdesk(&["--data-dir", data_dir.to_str().expect("a UTF-8 path")]).await
}

#[tokio::test]
async fn tickets_on_disk_survive_a_killed_server() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut created = Vec::new();
    {
        let server = start(data.path()).await;
        for index in 0..25 {
            let response = client
                .post(format!("{}/api/v1/tickets", server.address))
                .json(&json!({ "title": format!("Durable {index}"), "customer": "Disk" }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let ticket: Value = response.json().await.unwrap();
            created.push(ticket["reference"].as_str().unwrap().to_string());
        }
        let response = client
            .post(format!("{}/api/v1/tickets/TCK-3/entries", server.address))
            .json(&json!({ "kind": "attempt", "body": "Cleared the cache", "outcome": "partly" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        // Dropping the server kills the process: no orderly shutdown.
    }

    let server = start(data.path()).await;
    let page: Value = client
        .get(format!("{}/api/v1/tickets?limit=200", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut listed = support::references(&page);
    listed.sort_by_key(|reference| reference[4..].parse::<u32>().unwrap());
    assert_eq!(listed, created);

    let detail: Value = client
        .get(format!("{}/api/v1/tickets/TCK-3", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["entries"][1]["body"], "Cleared the cache");

    // The sequence continues after a restart: references are never reused.
    let response = client
        .post(format!("{}/api/v1/tickets", server.address))
        .json(&json!({ "title": "After restart", "customer": "Disk" }))
        .send()
        .await
        .unwrap();
    let ticket: Value = response.json().await.unwrap();
    assert_eq!(ticket["reference"], "TCK-26");
}
