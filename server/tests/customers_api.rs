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
        .patch(&format!("/api/v1/customers/{id}"), &json!({}))
        .await;
    assert_eq!(status, 422, "a patch must change something");
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
