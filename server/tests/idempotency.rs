//! Retries with an `Idempotency-Key` against the real server: a client that times out and sends
//! the same request again gets the first answer, never a second ticket or entry.

mod support;

use app::model::Role;
use serde_json::{Value, json};
use server::storage::KeyedRequest;
use support::{ADMIN_EMAIL, TestApp, client_for, read, spawn_app};

/// Posts `body` to `path` with this `Idempotency-Key` through `client`.
async fn post_keyed(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    key: &str,
    body: &str,
) -> (u16, Value) {
    let response = client
        .post(app.url(path))
        .header("Idempotency-Key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request sent");
    read(response).await
}

/// Sends `count` copies of one keyed request at once; answers them all.
async fn race(app: &TestApp, path: &str, key: &str, body: &str, count: usize) -> Vec<(u16, Value)> {
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..count {
        let request = app
            .client
            .post(app.url(path))
            .header("Idempotency-Key", key)
            .header("content-type", "application/json")
            .body(body.to_string());
        attempts.spawn(async move { read(request.send().await.expect("request sent")).await });
    }
    attempts.join_all().await
}

/// How many tickets exist, every status included.
async fn ticket_count(app: &TestApp) -> usize {
    let (status, page) = app.get("/api/v1/tickets?status=all&limit=200").await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().expect("items").len()
}

/// How many entries a ticket's timeline holds.
async fn entry_count(app: &TestApp, reference: &str) -> usize {
    let (status, ticket) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(status, 200, "{ticket}");
    ticket["entries"].as_array().expect("entries").len()
}

#[tokio::test]
async fn a_retried_creation_gets_the_first_ticket_and_files_no_second() {
    let app = spawn_app().await;
    let first = r#"{"title": "Printer jams", "customer": "Ada", "urgency": "high"}"#;
    let (status, created) = post_keyed(&app, &app.client, "/api/v1/tickets", "key-1", first).await;
    assert_eq!(status, 201, "{created}");
    // The same request, its JSON spaced and ordered differently, as a retrying client may.
    let again = r#"{ "urgency":"high","customer":"Ada","title":"Printer jams" }"#;
    let (status, replayed) = post_keyed(&app, &app.client, "/api/v1/tickets", "key-1", again).await;
    assert_eq!(status, 201, "{replayed}");
    assert_eq!(
        replayed, created,
        "a retry gets the first answer, unchanged"
    );
    assert_eq!(ticket_count(&app).await, 1);

    // Changing the ticket since does not change what the key answers: the first answer.
    let reference = created["reference"].as_str().unwrap();
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{reference}"),
            &json!({ "title": "Printer jams on tray 2" }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, replayed) = post_keyed(&app, &app.client, "/api/v1/tickets", "key-1", first).await;
    assert_eq!(replayed["title"], "Printer jams");

    // Without a key, or with another, the same body is a new ticket.
    let (status, _) = app
        .post(
            "/api/v1/tickets",
            &serde_json::from_str::<Value>(first).unwrap(),
        )
        .await;
    assert_eq!(status, 201);
    let (status, other) = post_keyed(&app, &app.client, "/api/v1/tickets", "key-2", first).await;
    assert_eq!(status, 201);
    assert_ne!(other["reference"], created["reference"]);
    assert_eq!(ticket_count(&app).await, 3);
}

#[tokio::test]
async fn a_key_sent_with_another_request_is_refused_and_files_nothing() {
    let app = spawn_app().await;
    let (status, _) = post_keyed(
        &app,
        &app.client,
        "/api/v1/tickets",
        "reused",
        r#"{"title": "Printer jams", "customer": "Ada"}"#,
    )
    .await;
    assert_eq!(status, 201);
    let (status, refused) = post_keyed(
        &app,
        &app.client,
        "/api/v1/tickets",
        "reused",
        r#"{"title": "Scanner jams", "customer": "Ada"}"#,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    assert_eq!(refused["error"]["field"], "Idempotency-Key");
    assert_eq!(ticket_count(&app).await, 1);

    // Nor may a ticket's key add an entry.
    let (status, refused) = post_keyed(
        &app,
        &app.client,
        "/api/v1/tickets/TCK-1/entries",
        "reused",
        r#"{"kind": "note", "body": "Checked the tray"}"#,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(entry_count(&app, "TCK-1").await, 1);
}

#[tokio::test]
async fn keys_are_each_agents_own() {
    let app = spawn_app().await;
    let colleague = client_for(&app, Role::Agent).await;
    let body = r#"{"title": "Printer jams", "customer": "Ada"}"#;
    let (status, mine) = post_keyed(&app, &app.client, "/api/v1/tickets", "shared", body).await;
    assert_eq!(status, 201);
    let (status, theirs) = post_keyed(&app, &colleague, "/api/v1/tickets", "shared", body).await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(mine["reference"], theirs["reference"]);
    // Another body under the same key is still refused only within the key's owner.
    let (status, _) = post_keyed(
        &app,
        &colleague,
        "/api/v1/tickets",
        "shared",
        r#"{"title": "Other", "customer": "Ada"}"#,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(ticket_count(&app).await, 2);
}

#[tokio::test]
async fn a_retried_entry_is_added_once_and_answered_as_first() {
    let app = spawn_app().await;
    let reference = app.create_ticket("Printer jams", "high").await;
    let path = format!("/api/v1/tickets/{reference}/entries");
    let body = r#"{"kind": "attempt", "body": "Cleaned the rollers", "outcome": "failed"}"#;
    let (status, first) = post_keyed(&app, &app.client, &path, "entry-1", body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post_keyed(&app, &app.client, &path, "entry-1", body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    assert_eq!(entry_count(&app, &reference).await, 2);

    // The answer is the entry as the timeline keeps it.
    let (_, ticket) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(ticket["entries"][1], first);

    // The same key and body on another ticket is another request.
    let other = app.create_ticket("Scanner jams", "low").await;
    let (status, refused) = post_keyed(
        &app,
        &app.client,
        &format!("/api/v1/tickets/{other}/entries"),
        "entry-1",
        body,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(entry_count(&app, &other).await, 1);
}

#[tokio::test]
async fn concurrent_attempts_with_one_key_file_one_ticket() {
    let app = spawn_app().await;
    let body = r#"{"title": "Printer jams", "customer": "Ada"}"#;
    let answers = race(&app, "/api/v1/tickets", "raced", body, 12).await;
    for (status, answer) in &answers {
        assert_eq!(*status, 201, "{answer}");
        assert_eq!(answer, &answers[0].1, "every attempt gets the one ticket");
    }
    assert_eq!(ticket_count(&app).await, 1);

    let reference = answers[0].1["reference"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tickets/{reference}/entries");
    let body = r#"{"kind": "note", "body": "Looked at it"}"#;
    let answers = race(&app, &path, "raced-entry", body, 12).await;
    for (status, answer) in &answers {
        assert_eq!(*status, 201, "{answer}");
        assert_eq!(answer, &answers[0].1);
    }
    assert_eq!(entry_count(&app, &reference).await, 2);
}

#[tokio::test]
async fn malformed_keys_are_refused_before_anything_is_filed() {
    let app = spawn_app().await;
    let body = r#"{"title": "Printer jams", "customer": "Ada"}"#;
    for key in ["", "has space", &"k".repeat(256), "naïve"] {
        let (status, refused) = post_keyed(&app, &app.client, "/api/v1/tickets", key, body).await;
        assert_eq!(status, 400, "{key:?}: {refused}");
        assert_eq!(refused["error"]["field"], "Idempotency-Key");
    }
    let (status, _) =
        post_keyed(&app, &app.client, "/api/v1/tickets", &"k".repeat(255), body).await;
    assert_eq!(status, 201);
    assert_eq!(ticket_count(&app).await, 1);
}

#[tokio::test]
async fn answers_past_their_day_give_way_and_are_removed() {
    let app = spawn_app().await;
    let body = r#"{"title": "Printer jams", "customer": "Ada"}"#;
    let (_, first) = post_keyed(&app, &app.client, "/api/v1/tickets", "daily", body).await;
    let (_, agents) = app.get("/api/v1/agents").await;
    let admin_id = agents
        .as_array()
        .and_then(|agents| agents.iter().find(|agent| agent["email"] == ADMIN_EMAIL))
        .and_then(|admin| admin["id"].as_str())
        .expect("the admin's id")
        .to_string();

    // An answer past its day that is not yet removed gives way to a request with its key: here
    // the key's day is made to start a second from now, so the first answer is past it.
    let store = app.store();
    let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let draft = app::requests::NewTicket {
        title: "Written over an old key".into(),
        customer: "Ada".into(),
        ..Default::default()
    }
    .parse(app::model::Channel::Api)
    .unwrap();
    let keyed = KeyedRequest {
        owner: admin_id,
        key: "daily".into(),
        fingerprint: "another request".into(),
        kept_since: later,
    };
    store
        .insert_ticket(draft, "Admin".into(), Some(keyed))
        .await
        .expect("the old answer gives way");
    let (status, refused) = post_keyed(&app, &app.client, "/api/v1/tickets", "daily", body).await;
    assert_eq!(
        status, 422,
        "the key now answers the other request: {refused}"
    );

    // The sweep removes what is past its day, and the key is free again.
    assert_eq!(store.remove_answers_before(later).await.unwrap(), 1);
    let (status, third) = post_keyed(&app, &app.client, "/api/v1/tickets", "daily", body).await;
    assert_eq!(status, 201, "{third}");
    assert_ne!(third["reference"], first["reference"]);
    assert_eq!(ticket_count(&app).await, 3);
}
