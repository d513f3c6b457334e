//! Extractors whose rejections are the API's JSON errors instead of axum's plain text.

use super::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts};

/// A JSON body; malformed or mistyped bodies become [`ApiError`]s naming the field.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A raw body (crash reports); one over the route's bound becomes the JSON 413.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(ApiBytes(
            axum::body::Bytes::from_request(request, state).await?,
        ))
    }
}

/// A query string; malformed ones become [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// The caller, as the guard resolved them: a stranger when nobody signed in. The desk decides
/// what they may do.
pub struct Caller(pub app::accounts::Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Caller(
            parts
                .extensions
                .get::<app::accounts::Principal>()
                .cloned()
                .unwrap_or(app::accounts::Principal::Stranger),
        ))
    }
}

/// The `limit` of a paged listing: 1 to 100, 20 when absent; otherwise a 400 naming `limit`.
pub fn page_limit(text: Option<&str>) -> Result<usize, ApiError> {
    match text {
        None | Some("") => Ok(20),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=100).contains(limit))
            .ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "`limit` must be a number from 1 to 100",
                )
            }),
    }
}
