//! Crash-report ingestion in the Sentry protocol: `POST /api/{project_id}/envelope/` and the
//! older `POST /api/{project_id}/store/`.
//!
//! A report is authenticated by its project's public key (from `X-Sentry-Auth`, the `sentry_key`
//! query parameter or the envelope's `dsn`), decompressed within limits, parsed, grouped and
//! stored in one transaction before the answer: a 200 means the report is on disk. Envelope items
//! other than events (sessions, client reports, transactions, attachments) are accepted and
//! skipped. Nothing is stored for a request that is refused.

use super::error::ApiError;
use super::extract::ApiBytes;
use crate::desk::{Desk, IntakeRefusal};
use crate::ingest::body::{self, BodyError};
use crate::ingest::dsn::{Dsn, key_from_auth_header, key_from_query};
use crate::ingest::envelope::{self, EnvelopeLimits};
use app::accounts::Principal;
use app::crash::{CrashEvent, EventError};
use app::ids::ProjectId;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};

/// The largest body accepted as sent (compressed or not).
pub const MAX_COMPRESSED_BYTES: usize = 1024 * 1024;
/// The largest body after decompression.
pub const MAX_DECOMPRESSED_BYTES: usize = 4 * 1024 * 1024;
/// The largest event payload.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// What the ingestion endpoints need.
#[derive(Clone)]
pub struct IngestState {
    /// The desk, which authenticates projects, admits their reports and files them.
    pub desk: Desk,
}

/// A project over its rate: 429 with the wait in both the standard and Sentry's header.
fn throttled(wait: std::time::Duration) -> axum::response::Response {
    use axum::response::IntoResponse;
    let seconds = wait.as_secs().max(1);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("this project sends more reports than it may; try again in {seconds} s"),
    )
    .into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, seconds.into());
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("{seconds}::project")) {
        headers.insert("x-sentry-rate-limits", value);
    }
    response
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        let status = match error {
            BodyError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Corrupt(_) => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, "invalid_body", error.to_string())
    }
}

impl From<EventError> for ApiError {
    fn from(error: EventError) -> Self {
        let status = match error {
            EventError::NotAnObject(_) => StatusCode::BAD_REQUEST,
            EventError::TooManyFrames(_) | EventError::TooManyExceptions(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
        };
        ApiError::new(status, "invalid_event", error.to_string())
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "missing_key", message)
}

fn wrong_key() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "wrong_key",
        "the key does not belong to this project",
    )
}

/// The key the client presented in its headers or query, if any.
fn presented_key(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    ["x-sentry-auth", "authorization"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .find_map(key_from_auth_header)
        .or_else(|| query.and_then(key_from_query))
}

fn project_id(text: &str) -> Result<ProjectId, ApiError> {
    text.parse::<ProjectId>().map_err(|_| wrong_key())
}

fn decoded_body(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    if body.len() > MAX_COMPRESSED_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {MAX_COMPRESSED_BYTES} bytes"),
        ));
    }
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok());
    Ok(body::decode(encoding, body, MAX_DECOMPRESSED_BYTES)?)
}

/// The project behind a report, if its key is right and it is within its rate.
async fn authenticate(
    state: &IngestState,
    project: ProjectId,
    key: Option<String>,
) -> Result<Result<Principal, axum::response::Response>, ApiError> {
    match state.desk.project_caller(project, key.as_deref()).await? {
        Ok(caller) => Ok(Ok(caller)),
        Err(IntakeRefusal::NoKey) => Err(unauthenticated(
            "send the project key in X-Sentry-Auth, sentry_key or the envelope's dsn",
        )),
        Err(IntakeRefusal::WrongKey) => Err(wrong_key()),
        Err(IntakeRefusal::Throttled(wait)) => Ok(Err(throttled(wait))),
    }
}

/// Reads one event and has the desk file it; answers with its id.
async fn ingest_event(
    state: &IngestState,
    caller: &Principal,
    payload: &[u8],
    fallback_id: Option<&str>,
) -> Result<String, ApiError> {
    if payload.len() > MAX_EVENT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "event_too_large",
            format!("the event is larger than {MAX_EVENT_BYTES} bytes"),
        ));
    }
    let event = CrashEvent::from_json(payload)?;
    Ok(state
        .desk
        .file_crash(caller, &event, payload, fallback_id)
        .await?)
}

/// The answer to a report the server kept (or, for items it does not keep, accepted).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// The event's id: the one the client sent, or the one the server gave it.
    pub id: String,
}

fn accepted(event_id: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let answer = Accepted {
        id: event_id.to_string(),
    };
    (StatusCode::OK, Json(answer)).into_response()
}

/// Receives a Sentry envelope (any Sentry SDK, or the `reporter` crate).
#[utoipa::path(post, path = "/api/{project_id}/envelope/", tag = "ingestion",
    params(("project_id" = u64, Path, description = "The project id, the last part of its DSN")),
    request_body(content = String, content_type = "application/x-sentry-envelope",
        description = "A Sentry envelope, optionally gzip, deflate or br compressed"),
    security(("sentry_key" = [])),
    responses(
        (status = 200, description = "Stored (or, for items other than events, accepted)", body = Accepted),
        (status = 400, description = "Malformed envelope or event", body = super::error::ErrorBody),
        (status = 401, description = "No project key", body = super::error::ErrorBody),
        (status = 403, description = "The key is not this project's", body = super::error::ErrorBody),
        (status = 413, description = "Over a size limit", body = super::error::ErrorBody),
        (status = 429, description = "The project is over its rate; see Retry-After and X-Sentry-Rate-Limits", body = super::error::ErrorBody),
        (status = 415, description = "Unsupported content encoding", body = super::error::ErrorBody),
        (status = 503, description = "The database is unavailable; the report was not kept", body = super::error::ErrorBody),
    ))]
pub async fn envelope(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<axum::response::Response, ApiError> {
    let project = project_id(&project)?;
    let body = decoded_body(&headers, &body)?;
    let parsed = envelope::parse(&body, &EnvelopeLimits::default()).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_envelope",
            error.to_string(),
        )
    })?;
    let key = presented_key(&headers, query.as_deref()).or_else(|| {
        parsed
            .header
            .dsn
            .as_deref()
            .and_then(Dsn::parse)
            .map(|dsn| dsn.public_key)
    });
    let caller = match authenticate(&state, project, key).await? {
        Ok(caller) => caller,
        Err(throttled) => return Ok(throttled),
    };
    let fallback_id = parsed.header.event_id.as_deref();
    match parsed.event_payload() {
        Some(payload) => {
            let id = ingest_event(&state, &caller, payload, fallback_id).await?;
            Ok(accepted(&id))
        }
        // Sessions, client reports, transactions and the like: accepted, not kept.
        None => Ok(accepted(
            fallback_id.unwrap_or("00000000000000000000000000000000"),
        )),
    }
}

/// Receives one event as the body (the older Sentry store endpoint).
#[utoipa::path(post, path = "/api/{project_id}/store/", tag = "ingestion",
    params(("project_id" = u64, Path, description = "The project id, the last part of its DSN")),
    request_body(content = String, content_type = "application/json", description = "A Sentry event"),
    security(("sentry_key" = [])),
    responses(
        (status = 200, description = "Stored", body = Accepted),
        (status = 400, description = "Malformed event", body = super::error::ErrorBody),
        (status = 401, description = "No project key", body = super::error::ErrorBody),
        (status = 403, description = "The key is not this project's", body = super::error::ErrorBody),
        (status = 413, description = "Over a size limit", body = super::error::ErrorBody),
        (status = 415, description = "Unsupported content encoding", body = super::error::ErrorBody),
        (status = 429, description = "The project is over its rate; see Retry-After and X-Sentry-Rate-Limits", body = super::error::ErrorBody),
        (status = 503, description = "The database is unavailable; the report was not kept", body = super::error::ErrorBody),
    ))]
pub async fn store(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<axum::response::Response, ApiError> {
    let project = project_id(&project)?;
    let body = decoded_body(&headers, &body)?;
    let key = presented_key(&headers, query.as_deref());
    let caller = match authenticate(&state, project, key).await? {
        Ok(caller) => caller,
        Err(throttled) => return Ok(throttled),
    };
    let id = ingest_event(&state, &caller, &body, None).await?;
    Ok(accepted(&id))
}
