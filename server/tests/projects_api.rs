//! Projects over the REST API: created by admins, listed with the DSN their reporters use.

mod support;

use serde_json::json;
use server::ingest::dsn::Dsn;
use support::spawn_app;

#[tokio::test]
async fn an_admin_creates_projects_and_everyone_sees_their_dsns() {
    let app = spawn_app().await;
    let (status, shop) = app
        .post("/api/v1/projects", &json!({ "name": "  Shop backend " }))
        .await;
    assert_eq!(status, 201, "{shop}");
    assert_eq!(shop["id"], 1);
    assert_eq!(shop["name"], "Shop backend");
    let dsn = Dsn::parse(shop["dsn"].as_str().unwrap()).expect("a DSN of the Sentry form");
    assert_eq!(dsn.project_id, "1");
    assert_eq!(dsn.public_key.len(), 32);
    assert_eq!(format!("http://{}", dsn.authority), app.address);

    let (status, billing) = app
        .post("/api/v1/projects", &json!({ "name": "Billing" }))
        .await;
    assert_eq!(status, 201);
    assert_eq!(billing["id"], 2);
    assert_ne!(billing["dsn"], shop["dsn"], "every project has its own key");

    let (status, list) = app.get("/api/v1/projects").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|project| project["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shop backend", "Billing"]);
    assert_eq!(list[0]["dsn"], shop["dsn"]);
}

#[tokio::test]
async fn a_project_needs_a_name() {
    let app = spawn_app().await;
    for body in [
        json!({ "name": "  " }),
        json!({}),
        json!({ "name": "x", "key": "mine" }),
    ] {
        let (status, answer) = app.post("/api/v1/projects", &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
    }
    let (_, list) = app.get("/api/v1/projects").await;
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing was created");
}
