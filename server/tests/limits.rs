//! Slow and oversized clients are cut off instead of holding the server's resources.

mod support;

use std::time::Duration;
use support::spawn_app;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads what the server sends until it closes the connection (bounded, so a bug fails the test
/// instead of hanging it).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut received = Vec::new();
    let outcome =
        tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut received)).await;
    assert!(outcome.is_ok(), "the server never closed the connection");
    String::from_utf8_lossy(&received).to_string()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let huge = "x".repeat(200 * 1024);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Huge: {huge}\r\n\r\n");
    // The server may close while the request is still being written.
    let _ = stream.write_all(request.as_bytes()).await;
    let answer = read_until_closed(&mut stream).await;
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_by_server_functions_too() {
    let app = spawn_app().await;
    let body = format!(
        "title=Huge&customer=Big&description={}",
        "a".repeat(2 * 1024 * 1024)
    );
    let response = app
        .client
        .post(app.url("/rpc/create_ticket"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let (_, page) = app.get("/api/v1/tickets?status=all").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // Over every route's bound, the REST API too answers with its JSON error body.
    let (status, answer) = app
        .post(
            "/api/v1/tickets",
            &serde_json::json!({ "title": "a".repeat(2 * 1024 * 1024) }),
        )
        .await;
    assert_eq!(status, 413);
    assert_eq!(answer["error"]["code"], "payload_too_large", "{answer}");
}

#[tokio::test]
async fn a_body_without_a_declared_length_is_cut_off_at_the_bound() {
    // Chunked, so no Content-Length tells the server in advance: the body is cut off as it is
    // read, past `MAX_REQUEST_BYTES`, and the answer is still the JSON 413 of the document.
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = "POST /api/1/envelope/?sentry_key=0123456789abcdef0123456789abcdef HTTP/1.1\r\n\
                Host: localhost\r\nConnection: close\r\n\
                Content-Type: application/x-sentry-envelope\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
    let mut sent = 0;
    // The server may answer and close before the whole body is written.
    while sent <= server::MAX_REQUEST_BYTES + 0x10000 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
        sent += 0x10000;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(body.contains(r#""code":"payload_too_large""#), "{answer}");
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // Announce a body and never send it; the body timeout answers 408 (or closes).
    stream
        .write_all(b"POST /rpc/sign_in HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(
        answer.is_empty()
            || answer.starts_with("HTTP/1.1 408")
            || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
}
