//! Signing in under attack: guesses sent together are throttled as if sent one by one, and an
//! admin who resets a password ends the sessions opened with the old one.

mod support;

use serde_json::json;
use support::{ADMIN_EMAIL, TestApp, sign_in, spawn_app};

async fn me(app: &TestApp, cookie: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn guesses_sent_together_are_throttled_as_if_sent_one_by_one() {
    let app = spawn_app().await;
    let app = std::sync::Arc::new(app);
    let mut guesses = tokio::task::JoinSet::new();
    for guess in 0..30 {
        let app = app.clone();
        guesses.spawn(async move {
            sign_in(&app, ADMIN_EMAIL, &format!("guess number {guess}"))
                .await
                .0
        });
    }
    let answers = guesses.join_all().await;
    let checked = answers.iter().filter(|status| **status == 401).count();
    let refused = answers.iter().filter(|status| **status == 429).count();
    assert_eq!(checked + refused, answers.len(), "{answers:?}");
    assert!(
        checked <= server::auth::throttle::ACCOUNT_LIMIT as usize,
        "{checked} guesses were checked: {answers:?}"
    );
}

#[tokio::test]
async fn an_admin_setting_an_agents_password_ends_the_agents_sessions() {
    let app = spawn_app().await;
    let (status, agent) = app
        .post(
            "/api/v1/agents",
            &json!({ "email": "forgetful@example.com", "name": "Forgetful", "password": "the old password" }),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let (_, cookie) = sign_in(&app, "forgetful@example.com", "the old password").await;
    let cookie = cookie.expect("a session cookie");
    assert_eq!(me(&app, &cookie).await, 200);

    let id = agent["id"].as_str().unwrap();
    let (status, changed) = app
        .patch(
            &format!("/api/v1/agents/{id}"),
            &json!({ "password": "a brand new password" }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(me(&app, &cookie).await, 401, "the old session ended");
    assert_eq!(
        sign_in(&app, "forgetful@example.com", "the old password")
            .await
            .0,
        401
    );
    let (status, fresh) = sign_in(&app, "forgetful@example.com", "a brand new password").await;
    assert!(status < 400, "{status}");
    assert_eq!(me(&app, &fresh.unwrap()).await, 200);

    // Renaming an agent leaves their sessions alone.
    let (_, cookie) = sign_in(&app, "forgetful@example.com", "a brand new password").await;
    let cookie = cookie.unwrap();
    let (status, _) = app
        .patch(
            &format!("/api/v1/agents/{id}"),
            &json!({ "name": "Remembered" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(me(&app, &cookie).await, 200);
}
