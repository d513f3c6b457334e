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

/// Sends one crash report with the key of `dsn`; answers the status and the error code.
async fn report_with(app: &support::TestApp, dsn: &str) -> (u16, String) {
    let dsn = Dsn::parse(dsn).unwrap();
    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/{}/store/", dsn.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", dsn.public_key),
        )
        .json(&json!({ "message": "Crash after the key changed" }))
        .send()
        .await
        .unwrap();
    let (status, body) = support::read(response).await;
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_replaced_key_works_for_its_grace_period_and_a_leaked_one_stops_at_once() {
    let app = spawn_app().await;
    let (_, project) = app
        .post("/api/v1/projects", &json!({ "name": "Shop" }))
        .await;
    let id = project["id"].as_u64().unwrap();
    let first_dsn = project["dsn"].as_str().unwrap().to_string();
    assert_eq!(report_with(&app, &first_dsn).await.0, 200);

    // Replaced with a day's grace: both keys work, and the project shows both DSNs.
    let (status, rotated) = app
        .post(
            &format!("/api/v1/projects/{id}/key"),
            &json!({ "grace_hours": 24 }),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second_dsn = rotated["dsn"].as_str().unwrap().to_string();
    assert_ne!(second_dsn, first_dsn);
    assert_eq!(rotated["previous_dsn"], first_dsn.as_str());
    assert!(rotated["previous_key_expires_at"].is_string(), "{rotated}");
    assert_eq!(report_with(&app, &second_dsn).await.0, 200);
    assert_eq!(report_with(&app, &first_dsn).await.0, 200);

    // Replaced again because it leaked: the leaked key stops at once, and so does the first.
    let (status, leaked) = app
        .post(
            &format!("/api/v1/projects/{id}/key"),
            &json!({ "grace_hours": 0 }),
        )
        .await;
    assert_eq!(status, 200, "{leaked}");
    assert!(leaked.get("previous_dsn").is_none(), "{leaked}");
    let third_dsn = leaked["dsn"].as_str().unwrap().to_string();
    assert_eq!(
        report_with(&app, &second_dsn).await,
        (403, "wrong_key".into())
    );
    assert_eq!(
        report_with(&app, &first_dsn).await,
        (403, "wrong_key".into())
    );
    assert_eq!(report_with(&app, &third_dsn).await.0, 200);

    // Bounds, unknown projects and roles.
    let (status, refused) = app
        .post(
            &format!("/api/v1/projects/{id}/key"),
            &json!({ "grace_hours": 721 }),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["field"], "grace_hours");
    let (status, _) = app.post("/api/v1/projects/999/key", &json!({})).await;
    assert_eq!(status, 404);
    let (_, listed) = app.get("/api/v1/projects").await;
    assert_eq!(listed[0]["dsn"], third_dsn.as_str());
}

#[tokio::test]
async fn a_disabled_project_files_nothing_until_it_is_enabled() {
    let app = spawn_app().await;
    let (_, project) = app
        .post("/api/v1/projects", &json!({ "name": "Retired app" }))
        .await;
    let id = project["id"].as_u64().unwrap();
    let dsn = project["dsn"].as_str().unwrap().to_string();
    assert_eq!(project["active"], true);

    let (status, disabled) = app
        .patch(
            &format!("/api/v1/projects/{id}"),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["active"], false);
    assert_eq!(
        report_with(&app, &dsn).await,
        (403, "project_disabled".into())
    );
    let (_, tickets) = app.get("/api/v1/tickets?status=all&channel=crash").await;
    assert_eq!(
        tickets["items"].as_array().unwrap().len(),
        0,
        "nothing was filed"
    );
    // A wrong key learns nothing about the project.
    let wrong = dsn.replacen(&Dsn::parse(&dsn).unwrap().public_key, &"0".repeat(32), 1);
    assert_eq!(report_with(&app, &wrong).await, (403, "wrong_key".into()));

    let (status, enabled) = app
        .patch(
            &format!("/api/v1/projects/{id}"),
            &json!({ "active": true, "name": "Revived app" }),
        )
        .await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(
        (enabled["active"].as_bool(), enabled["name"].as_str()),
        (Some(true), Some("Revived app"))
    );
    assert_eq!(report_with(&app, &dsn).await.0, 200);
    let (status, _) = app
        .patch("/api/v1/projects/0", &json!({ "active": false }))
        .await;
    assert_eq!(status, 404);
}
