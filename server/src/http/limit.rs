//! The bound on every request body, answered in the API's own error body.

use super::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Bounds every request body at [`crate::MAX_REQUEST_BYTES`]. A declared length over it is
/// answered 413 at once, before a byte of the body is read; a body that grows past it while it is
/// read fails the read, which the extractors answer with 413 too. Either way the answer is the
/// JSON error body every other refusal has (the stock layer answers in plain text).
pub async fn bounded_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > crate::MAX_REQUEST_BYTES as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {} bytes", crate::MAX_REQUEST_BYTES),
        )
        .into_response();
    }
    let request =
        request.map(|body| Body::new(http_body_util::Limited::new(body, crate::MAX_REQUEST_BYTES)));
    next.run(request).await
}
