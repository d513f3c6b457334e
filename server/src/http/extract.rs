//! Extractors whose rejections are the API's JSON errors instead of axum's plain text.

use super::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts};

/// A JSON object as the body; malformed or mistyped bodies become [`ApiError`]s naming the
/// field. Only an object will do: serde would otherwise read a struct from an array too
/// (`[null, null]` as a patch of nothing), which the document does not allow.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let essence = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let is_json = essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"));
        if !is_json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let ApiBytes(bytes) = ApiBytes::from_request(request, state).await?;
        if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "the body must be a JSON object, not an array",
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(ApiJson(value))
    }
}

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

/// The `Idempotency-Key` a request was sent with, if any, unchecked until it meets the request
/// it keys ([`IdempotencyKey::for_request`]).
pub struct IdempotencyKey(Option<axum::http::HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(IdempotencyKey(
            parts.headers.get(app::service::RequestKey::HEADER).cloned(),
        ))
    }
}

impl IdempotencyKey {
    /// The key for `operation` on its `target` (a ticket's reference, or empty) with this
    /// `body`: its fingerprint is a hash of all three, the body as parsed, so that a retry that
    /// spaces or orders its JSON differently is still the same request. A malformed key is a 400
    /// naming the header.
    pub fn for_request(
        self,
        operation: &str,
        target: &str,
        body: &impl serde::Serialize,
    ) -> Result<Option<app::service::RequestKey>, ApiError> {
        use sha2::{Digest, Sha256};
        let Some(value) = self.0 else {
            return Ok(None);
        };
        let key = value.to_str().unwrap_or("\u{0}");
        let mut hasher = Sha256::new();
        for part in [operation.as_bytes(), target.as_bytes()] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        hasher.update(serde_json::to_vec(body).unwrap_or_default());
        let fingerprint = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        app::service::RequestKey::new(key, fingerprint)
            .map(Some)
            .map_err(|error| ApiError::from(error).with_status(axum::http::StatusCode::BAD_REQUEST))
    }
}
