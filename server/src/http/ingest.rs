//! Crash-report ingestion in the Sentry protocol: `POST /api/{project_id}/envelope/` and the
//! older `POST /api/{project_id}/store/`.
//!
//! A report is authenticated by its project's public key (from `X-Sentry-Auth`, the `sentry_key`
//! query parameter or the envelope's `dsn`), decompressed within limits, parsed, grouped and
//! stored in one transaction before the answer: a 200 means the report is on disk. Envelope items
//! other than events (sessions, client reports, transactions, attachments) are accepted and
//! skipped. Nothing is stored for a request that is refused.

use super::error::ApiError;
use crate::ingest::body::{self, BodyError};
use crate::ingest::dsn::{Dsn, key_from_auth_header, key_from_query};
use crate::ingest::envelope::{self, EnvelopeLimits};
use crate::ingest::grouping::group;
use crate::storage::{CrashReport, Store};
use app::crash::{CrashEvent, EventError};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::json;

/// The largest body accepted as sent (compressed or not).
pub const MAX_COMPRESSED_BYTES: usize = 1024 * 1024;
/// The largest body after decompression.
pub const MAX_DECOMPRESSED_BYTES: usize = 4 * 1024 * 1024;
/// The largest event payload.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// What the ingestion endpoints need.
#[derive(Clone)]
pub struct IngestState {
    /// Where reports go.
    pub store: Store,
    /// Per-project rate limits.
    pub limiter: std::sync::Arc<crate::ingest::rate::IngestLimiter>,
    /// When a burst of reports makes a problem critical.
    pub spike: crate::storage::SpikeRule,
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

fn project_number(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|number| *number > 0)
        .ok_or_else(wrong_key)
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

/// Checks the key against the project; answers with the project's name.
async fn authenticate(
    store: &Store,
    project: u64,
    key: Option<String>,
) -> Result<String, ApiError> {
    let key = key.ok_or_else(|| {
        unauthenticated("send the project key in X-Sentry-Auth, sentry_key or the envelope's dsn")
    })?;
    store
        .project_with_key(project, &key)
        .await
        .map_err(|error| ApiError::from(app::service::HelpDeskError::from(error)))?
        .ok_or_else(wrong_key)
}

/// Groups and stores one event; answers with its id.
async fn ingest_event(
    state: &IngestState,
    project: u64,
    project_name: &str,
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
    let grouping = group(&event);
    let event_id = event
        .event_id
        .clone()
        .or_else(|| fallback_id.map(str::to_string))
        .unwrap_or_else(|| {
            format!(
                "{}{}",
                crate::auth::secret::random_id(),
                crate::auth::secret::random_id()
            )
        });
    let report = CrashReport {
        project,
        fingerprint: grouping.fingerprint,
        event_id: event_id.clone(),
        title: grouping.title,
        description: describe(&event),
        customer: event
            .user
            .clone()
            .unwrap_or_else(|| format!("Project {project_name}")),
        environment: [
            event
                .release
                .as_deref()
                .map(|release| format!("release {release}")),
            event
                .environment
                .as_deref()
                .map(|name| format!("environment {name}")),
            event
                .platform
                .as_deref()
                .map(|platform| format!("platform {platform}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
        urgency: grouping.urgency,
        release: event.release.clone(),
        deployment: event.environment.clone(),
        user: event.user.clone(),
        customer_key: event
            .tags
            .iter()
            .find(|(key, _)| key == "customer")
            .and_then(|(_, name)| app::customers::identity_key(name)),
        payload: String::from_utf8_lossy(payload).into_owned(),
    };
    state
        .store
        .record_crash(report, state.spike)
        .await
        .map_err(|error| ApiError::from(app::service::HelpDeskError::from(error)))?;
    Ok(event_id)
}

/// The ticket description of a new problem: the error chain and where it happened.
fn describe(event: &CrashEvent) -> String {
    let mut lines = Vec::new();
    for exception in event.exceptions.iter().rev() {
        lines.push(format!("{}: {}", exception.kind, exception.value));
    }
    if let Some(message) = &event.message {
        lines.push(message.formatted.clone());
    }
    if let Some(exception) = event.primary_exception() {
        let frames: Vec<String> = exception
            .frames
            .iter()
            .rev()
            .filter(|frame| frame.in_app != Some(false))
            .take(10)
            .map(|frame| {
                let function = frame.function.as_deref().unwrap_or("?");
                match (&frame.filename, frame.lineno) {
                    (Some(file), Some(line)) => format!("  at {function} ({file}:{line})"),
                    _ => format!("  at {function}"),
                }
            })
            .collect();
        lines.extend(frames);
    }
    lines
        .join("\n")
        .chars()
        .take(app::model::MAX_TEXT_CHARS)
        .collect()
}

fn accepted(event_id: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (StatusCode::OK, Json(json!({ "id": event_id }))).into_response()
}

/// Receives a Sentry envelope (any Sentry SDK, or the `reporter` crate).
#[utoipa::path(post, path = "/api/{project_id}/envelope/", tag = "ingestion",
    params(("project_id" = u64, Path, description = "The project id, the last part of its DSN")),
    request_body(content = String, content_type = "application/x-sentry-envelope",
        description = "A Sentry envelope, optionally gzip, deflate or br compressed"),
    security(("sentry_key" = [])),
    responses(
        (status = 200, description = "Stored: `{\"id\": \"<event id>\"}`"),
        (status = 400, description = "Malformed envelope or event", body = super::error::ErrorBody),
        (status = 401, description = "No project key", body = super::error::ErrorBody),
        (status = 403, description = "The key is not this project's", body = super::error::ErrorBody),
        (status = 413, description = "Over a size limit", body = super::error::ErrorBody),
        (status = 429, description = "The project is over its rate; see Retry-After and X-Sentry-Rate-Limits", body = super::error::ErrorBody),
        (status = 415, description = "Unsupported content encoding", body = super::error::ErrorBody),
    ))]
pub async fn envelope(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::response::Response, ApiError> {
    let project = project_number(&project)?;
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
    let project_name = authenticate(&state.store, project, key).await?;
    if let Err(wait) = state.limiter.admit(project) {
        return Ok(throttled(wait));
    }
    let fallback_id = parsed.header.event_id.as_deref();
    match parsed.event_payload() {
        Some(payload) => {
            let id = ingest_event(&state, project, &project_name, payload, fallback_id).await?;
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
        (status = 200, description = "Stored: `{\"id\": \"<event id>\"}`"),
        (status = 400, description = "Malformed event", body = super::error::ErrorBody),
        (status = 401, description = "No project key", body = super::error::ErrorBody),
        (status = 403, description = "The key is not this project's", body = super::error::ErrorBody),
        (status = 413, description = "Over a size limit", body = super::error::ErrorBody),
    ))]
pub async fn store(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::response::Response, ApiError> {
    let project = project_number(&project)?;
    let body = decoded_body(&headers, &body)?;
    let key = presented_key(&headers, query.as_deref());
    let project_name = authenticate(&state.store, project, key).await?;
    if let Err(wait) = state.limiter.admit(project) {
        return Ok(throttled(wait));
    }
    let id = ingest_event(&state, project, &project_name, &body, None).await?;
    Ok(accepted(&id))
}
