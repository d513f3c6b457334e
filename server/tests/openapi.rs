//! The OpenAPI document is exact: it names values as the API speaks them, and the answers the
//! tests receive are checked against it (`support::contract`), a check shown here to refuse what
//! the document does not say.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::contract::check;
use support::spawn_app;

#[tokio::test]
async fn the_openapi_document_names_every_value_as_the_api_speaks_it() {
    use app::model::{ArticleStatus, Channel, EntryKind, Outcome, Role, Scope, Status, Urgency};
    fn wire<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
        all.iter().map(ToString::to_string).collect()
    }
    let app = spawn_app().await;
    let (_, document) = app.get("/api/v1/openapi.json").await;
    let schemas = &document["components"]["schemas"];
    for (name, values) in [
        ("Urgency", wire(Urgency::ALL)),
        ("Status", wire(Status::ALL)),
        ("Channel", wire(Channel::ALL)),
        ("Scope", wire(Scope::ALL)),
        ("EntryKind", wire(EntryKind::ALL)),
        ("Outcome", wire(Outcome::ALL)),
        ("Role", wire(Role::ALL)),
        ("ArticleStatus", wire(ArticleStatus::ALL)),
    ] {
        let documented: Vec<String> = schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no enum in the document"))
            .iter()
            .map(|value| value.as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(documented, values, "{name}");
    }
}

#[tokio::test]
async fn every_operation_has_its_own_id() {
    // Generators name functions and types after operation ids; OpenAPI requires them unique.
    let app = spawn_app().await;
    let (_, document) = app.get("/api/v1/openapi.json").await;
    let mut seen = std::collections::HashSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operation id");
            assert!(seen.insert(id.to_string()), "{method} {path}: `{id}` again");
        }
    }
}

#[tokio::test]
async fn the_contract_check_refuses_answers_the_document_does_not_describe() {
    let app = spawn_app().await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Printer on fire", "customer": "Ada", "channel": "phone" }),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let created = |body: &serde_json::Value| {
        check(
            &Method::POST,
            "/api/v1/tickets",
            StatusCode::CREATED,
            Some("application/json"),
            body.to_string().as_bytes(),
            false,
        )
    };
    created(&ticket).expect("the server's own answer matches");

    let mut missing = ticket.clone();
    missing.as_object_mut().unwrap().remove("reference");
    let problem = created(&missing).unwrap_err();
    assert!(problem.contains("reference"), "{problem}");

    let mut rust_name = ticket.clone();
    rust_name["channel"] = json!("Phone");
    assert!(created(&rust_name).is_err(), "a variant's Rust name passed");

    let mut not_a_time = ticket.clone();
    not_a_time["created_at"] = json!("yesterday");
    assert!(created(&not_a_time).is_err(), "a date-time format passed");

    let teapot = check(
        &Method::GET,
        "/api/v1/tickets",
        StatusCode::IM_A_TEAPOT,
        Some("application/json"),
        b"{}",
        false,
    )
    .unwrap_err();
    assert!(teapot.contains("not documented"), "{teapot}");

    let text = check(
        &Method::GET,
        "/api/v1/tickets/TCK-1",
        StatusCode::OK,
        Some("text/plain"),
        b"fine",
        false,
    )
    .unwrap_err();
    assert!(text.contains("content type"), "{text}");

    let error = check(
        &Method::GET,
        "/api/v1/tickets/TCK-1",
        StatusCode::NOT_FOUND,
        Some("application/json"),
        br#"{"message": "no error object"}"#,
        false,
    );
    assert!(error.is_err(), "an error without the error body passed");
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing_and_answers_the_resource() {
    // `{}` is a valid patch by the document: every resource answers itself, unchanged.
    let app = spawn_app().await;
    let reference = app.create_ticket("Nothing to change", "low").await;
    let path = format!("/api/v1/tickets/{reference}");
    let (_, before) = app.get(&path).await;
    let (status, ticket) = app.patch(&path, &json!({})).await;
    assert_eq!(status, 200, "{ticket}");
    let (status, nulls) = app.patch(&path, &json!({ "title": null })).await;
    assert_eq!(status, 200, "{nulls}");
    let (_, after) = app.get(&path).await;
    assert_eq!(
        after, before,
        "an empty patch changed the ticket or its timeline"
    );
    assert_eq!(ticket["updated_at"], before["updated_at"]);

    let (_, customer) = app
        .post("/api/v1/customers", &json!({ "name": "Acme" }))
        .await;
    let path = format!("/api/v1/customers/{}", customer["id"]);
    let (status, same) = app.patch(&path, &json!({})).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same, customer);
    let (status, same) = app.patch(&path, &json!({ "name": "Acme" })).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["updated_at"], customer["updated_at"]);
    // An array is not a patch, though serde would read one as a struct.
    let (status, error) = app.patch(&path, &json!([null, null])).await;
    assert_eq!(status, 422, "{error}");

    let (_, article) = app
        .post("/api/v1/articles", &json!({ "title": "Printer jams" }))
        .await;
    let path = format!("/api/v1/articles/{}", article["id"]);
    let (status, same) = app
        .patch(&path, &json!({ "revision": article["revision"] }))
        .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(
        same["revision"], article["revision"],
        "a revision of nothing"
    );
    let (_, history) = app.get(&format!("{path}/history")).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");

    let (_, agents) = app.get("/api/v1/agents").await;
    let admin = &agents.as_array().unwrap()[0];
    let (status, same) = app
        .patch(
            &format!("/api/v1/agents/{}", admin["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(&same, admin);
}

#[tokio::test]
async fn parameters_are_refused_where_the_document_says_they_are_required_or_bounded() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v1/suggestions").await;
    assert_eq!(status, 400, "a required `text` was not asked for: {body}");
    let (status, body) = app.get("/api/v1/suggestions?text=").await;
    assert_eq!(status, 200, "{body}");
    for (path, bound) in [
        ("/api/v1/tickets?limit=", 200),
        ("/api/v1/customers?limit=", 100),
        ("/api/v1/articles?limit=", 100),
    ] {
        for limit in [0, bound + 1] {
            let (status, body) = app.get(&format!("{path}{limit}")).await;
            assert_eq!(status, 400, "{path}{limit}: {body}");
        }
        let (status, body) = app.get(&format!("{path}{bound}")).await;
        assert_eq!(status, 200, "{path}{bound}: {body}");
    }
}
