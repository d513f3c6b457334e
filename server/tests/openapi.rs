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
