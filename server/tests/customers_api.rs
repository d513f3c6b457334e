//! The customers resource: create, read, change, list by name, and find as you type.

mod support;

use serde_json::{Value, json};
use support::{TestApp, spawn_app};

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, customer) = app.post("/api/v1/customers", &body).await;
    assert_eq!(status, 201, "{customer}");
    customer
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|customer| customer["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_customer_is_created_read_and_changed() {
    let app = spawn_app().await;
    let created = create(
        &app,
        json!({
            "name": "  Navy Payroll ",
            "notes": "Calls before 9am are urgent.",
            "contacts": [{ "name": "Grace Hopper", "email": "Grace@Navy.example", "phone": "+1 (555) 010-4477" }],
            "environment": "Payroll 5.2 on two servers, nightly export at 02:00",
            "properties": [{ "key": "os", "value": "Windows Server 2022" }, { "key": "payroll", "value": "5.2" }]
        }),
    )
    .await;
    assert_eq!(created["name"], "Navy Payroll");
    assert_eq!(created["contacts"][0]["email"], "grace@navy.example");
    let id = created["id"].as_u64().unwrap();

    let (status, read) = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read, created);

    let (status, changed) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &json!({ "contacts": [
                { "name": "Grace Hopper", "email": "grace@navy.example" },
                { "name": "Katherine Johnson", "phone": "555 0199" }
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Navy Payroll", "fields not named stay");
    assert_eq!(changed["contacts"].as_array().unwrap().len(), 2);
    assert_eq!(changed["properties"], created["properties"]);

    // Found by the new contact at once.
    let (_, found) = app.get("/api/v1/customers?q=kath").await;
    assert_eq!(names(&found), ["Navy Payroll"]);
}

#[tokio::test]
async fn bad_customers_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "name": "" }), "name"),
        (
            json!({ "name": "Acme", "contacts": [{ "name": "Ann" }, { "name": "Bob", "email": "bob at acme" }] }),
            "contacts[1].email",
        ),
        (
            json!({ "name": "Acme", "contacts": [{ "name": "Ann", "phone": "ring ring" }] }),
            "contacts[0].phone",
        ),
        (
            json!({ "name": "Acme", "properties": [{ "key": "OS", "value": "a" }, { "key": "os", "value": "b" }] }),
            "properties[1].key",
        ),
    ];
    for (body, field) in cases {
        let (status, error) = app.post("/api/v1/customers", &body).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["error"]["field"], field, "{error}");
    }
    let (status, _) = app
        .post(
            "/api/v1/customers",
            &json!({ "name": "Acme", "colour": "red" }),
        )
        .await;
    assert!((400..500).contains(&status), "unknown fields are refused");
    let (_, page) = app.get("/api/v1/customers").await;
    assert_eq!(names(&page), Vec::<String>::new());

    let id = create(&app, json!({ "name": "Acme" })).await["id"]
        .as_u64()
        .unwrap();
    let (status, _) = app
        .patch(&format!("/api/v1/customers/{id}"), &json!({ "name": " " }))
        .await;
    assert_eq!(status, 422, "a blank name");
    let (status, _) = app
        .patch("/api/v1/customers/999", &json!({ "name": "Ghost" }))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/api/v1/customers/abc").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn customers_are_listed_by_name_in_pages_and_found_as_you_type() {
    let app = spawn_app().await;
    for (name, contact, phone) in [
        ("beta Logistics", "Alan Turing", "+44 20 7946 0000"),
        ("Acme Printing", "Ada Lovelace", "+44 20 7946 0001"),
        ("Analytical Engines", "Ada Byron", "+44 161 496 0000"),
    ] {
        create(
            &app,
            json!({ "name": name, "contacts": [{ "name": contact, "phone": phone }] }),
        )
        .await;
    }

    let (status, first) = app.get("/api/v1/customers?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(names(&first), ["Acme Printing", "Analytical Engines"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get(&format!(
            "/api/v1/customers?limit=2&cursor={}",
            urlencode(cursor)
        ))
        .await;
    assert_eq!(names(&second), ["beta Logistics"]);
    assert!(second["next_cursor"].is_null());

    let search = |q: &str| {
        let app = &app;
        let q = urlencode(q);
        async move { names(&app.get(&format!("/api/v1/customers?q={q}")).await.1) }
    };
    assert_eq!(search("ad").await, ["Acme Printing", "Analytical Engines"]);
    assert_eq!(search("ada lov").await, ["Acme Printing"]);
    assert_eq!(search("TUR").await, ["beta Logistics"]);
    assert_eq!(search("44161").await, ["Analytical Engines"]);
    assert_eq!(search("zebra").await, Vec::<String>::new());
    let (status, error) = app.get("/api/v1/customers?q=--").await;
    assert_eq!(status, 400, "{error}");
    let (status, _) = app.get("/api/v1/customers?limit=0").await;
    assert_eq!(status, 400);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn reference_list(tickets: &Value) -> Vec<String> {
    tickets["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["reference"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_customers_tickets_are_those_filed_for_it_and_crashes_that_name_it() {
    let app = spawn_app().await;
    let navy = create(
        &app,
        json!({
            "name": "Navy Payroll",
            "contacts": [{ "name": "Grace Hopper", "email": "grace@navy.example" }]
        }),
    )
    .await;
    let navy_id = navy["id"].as_u64().unwrap();
    let other = create(&app, json!({ "name": "Acme Printing" })).await;
    let other_id = other["id"].as_u64().unwrap();

    // Filed for the customer by an agent: one open, one resolved.
    let (status, open) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Payslips print blank", "customer": "Grace Hopper, Navy Payroll", "customer_id": navy_id, "urgency": "low" }),
        )
        .await;
    assert_eq!(status, 201, "{open}");
    assert_eq!(open["customer_id"], navy_id);
    let resolved = app
        .create_verifiable_ticket("Export stopped at 02:00")
        .await;
    let (status, linked) = app
        .patch(
            &format!("/api/v1/tickets/{resolved}"),
            &json!({ "customer_id": navy_id }),
        )
        .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["customer_id"], navy_id);
    app.resolve(&resolved, "Restarted the export job").await;
    // Another customer's ticket, and one for nobody in particular.
    let (status, _) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Toner", "customer": "Acme", "customer_id": other_id }),
        )
        .await;
    assert_eq!(status, 201);
    app.create_ticket("Unrelated", "high").await;

    // Crash reports from the official SDK: one tagged with the customer's name (in other
    // letter case), one from a user with its contact's email, one from someone else.
    let (status, project) = app
        .post("/api/v1/projects", &json!({ "name": "Payroll app" }))
        .await;
    assert_eq!(status, 201);
    let dsn = project["dsn"].as_str().unwrap().to_string();
    tokio::task::spawn_blocking(move || {
        let mut options = sentry::ClientOptions::default();
        options.shutdown_timeout = std::time::Duration::from_secs(10);
        let guard = sentry::init((dsn, options));
        sentry::with_scope(
            |scope| scope.set_tag("customer", "  NAVY   payroll "),
            || sentry::capture_message("Tax table missing", sentry::Level::Error),
        );
        sentry::with_scope(
            |scope| {
                scope.set_user(Some(sentry::User {
                    email: Some("grace@navy.example".into()),
                    ..Default::default()
                }))
            },
            || sentry::capture_message("Printer queue stuck", sentry::Level::Fatal),
        );
        sentry::capture_message("Somebody else's crash", sentry::Level::Error);
        assert!(guard.flush(Some(std::time::Duration::from_secs(10))));
    })
    .await
    .unwrap();

    let (status, tickets) = app
        .get(&format!("/api/v1/customers/{navy_id}/tickets"))
        .await;
    assert_eq!(status, 200, "{tickets}");
    let titles: Vec<&str> = tickets["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["title"].as_str().unwrap())
        .collect();
    // Open ones first (new, by urgency: the fatal crash is high), the resolved one last.
    assert_eq!(
        titles,
        [
            "Printer queue stuck",
            "Tax table missing",
            "Payslips print blank",
            "Export stopped at 02:00"
        ],
        "{tickets:#}"
    );
    assert_eq!(tickets["truncated"], false);
    let tagged = &tickets["items"][1];
    assert_eq!(tagged["channel"], "crash");
    assert_eq!(tagged["customers"], json!(["navy payroll"]));

    let (_, others) = app
        .get(&format!("/api/v1/customers/{other_id}/tickets"))
        .await;
    assert_eq!(reference_list(&others).len(), 1);

    // Unlinking takes the ticket off the customer's list.
    let (status, unlinked) = app
        .patch(
            &format!("/api/v1/tickets/{resolved}"),
            &json!({ "customer_id": null }),
        )
        .await;
    assert_eq!(status, 200, "{unlinked}");
    assert!(unlinked.get("customer_id").is_none(), "{unlinked}");
    let (_, tickets) = app
        .get(&format!("/api/v1/customers/{navy_id}/tickets"))
        .await;
    assert!(!reference_list(&tickets).contains(&resolved));
}

#[tokio::test]
async fn a_ticket_cannot_name_a_customer_that_does_not_exist() {
    let app = spawn_app().await;
    let (status, error) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Lost", "customer": "Nobody", "customer_id": 404 }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["field"], "customer_id");
    let (_, page) = app.get("/api/v1/tickets").await;
    assert_eq!(page["items"], json!([]), "nothing was stored");

    let reference = app.create_ticket("Found", "low").await;
    let (status, error) = app
        .patch(
            &format!("/api/v1/tickets/{reference}"),
            &json!({ "customer_id": 404 }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["field"], "customer_id");
    let (status, _) = app.get("/api/v1/customers/404/tickets").await;
    assert_eq!(status, 404);
}

/// A server function's answer to a form post, as the dashboard's calls send it.
async fn call_server_function(app: &TestApp, name: &str, form: &[(&str, &str)]) -> u16 {
    app.client
        .post(app.url(&format!("/rpc/{name}")))
        .form(form)
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_api_and_the_dashboard_read_customer_ids_and_cursors_alike() {
    let app = spawn_app().await;
    let (status, customer) = app
        .post("/api/v1/customers", &json!({ "name": "Acme" }))
        .await;
    assert_eq!(status, 201, "{customer}");
    let id = customer["id"].as_u64().unwrap().to_string();
    for text in [id.as_str(), "0", " 1", "1 ", "+1", "x"] {
        let expected = if text == id { 200 } else { 404 };
        let (rest, _) = app
            .get(&format!("/api/v1/customers/{}", urlencode(text)))
            .await;
        let dashboard = call_server_function(&app, "load_customer", &[("id", text)]).await;
        assert_eq!(
            (rest, dashboard),
            (expected, expected),
            "customer id {text:?}: REST and the dashboard agree"
        );
    }
    let long_cursor = "a".repeat(401);
    let (rest, _) = app
        .get(&format!("/api/v1/customers?cursor={long_cursor}"))
        .await;
    let dashboard = call_server_function(
        &app,
        "search_customers",
        &[("q", ""), ("cursor", &long_cursor)],
    )
    .await;
    assert_eq!(rest, 400, "a listing's bad parameter is a bad request");
    assert_eq!(dashboard, 422, "a form's bad field is unprocessable");
}

#[tokio::test]
async fn a_ticket_filed_for_a_customer_record_alone_takes_its_name() {
    let app = spawn_app().await;
    let customer = create(&app, json!({ "name": "Globex" })).await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Invoices missing", "customer_id": customer["id"] }),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["customer"], "Globex");
    assert_eq!(ticket["customer_id"], customer["id"]);
    let (status, refused) = app
        .post("/api/v1/tickets", &json!({ "title": "Nobody's" }))
        .await;
    assert_eq!(
        status, 422,
        "without a record the customer is required: {refused}"
    );
    assert_eq!(refused["error"]["field"], "customer");
}
