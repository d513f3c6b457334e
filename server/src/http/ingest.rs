//! Crash-report ingestion in the Sentry protocol: `POST /api/{project_id}/envelope/` and the
//! older `POST /api/{project_id}/store/`.
//!
//! A report is authenticated by its project's public key (from `X-Sentry-Auth`, the `sentry_key`
//! query parameter or the envelope's `dsn`), decompressed within limits, parsed, grouped and
//! stored in one transaction before the answer: a 200 means the report is on disk. A key sent
//! outside the body is checked before any work is spent on the body; decompressing and parsing
//! run off the async executor, within one bound for the whole server (`crate::work`). Envelope
//! items other than events (sessions, client reports, transactions, attachments) are accepted and
//! skipped. Nothing is stored for a request that is refused.

use super::error::ApiError;
use super::extract::ApiBytes;
use crate::desk::{Desk, IntakeRefusal};
use crate::ingest::body::{self, BodyError};
use crate::ingest::dsn::{Dsn, key_from_auth_header, key_from_query};
use crate::ingest::envelope::{self, EnvelopeLimits};
use crate::work::{BoundedWork, WorkRefused};
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
    /// The bound on decompressing and parsing reports, shared by the whole server (each waiting
    /// report holds its body, up to [`MAX_COMPRESSED_BYTES`]); past it, 503 with `Retry-After`.
    pub work: std::sync::Arc<BoundedWork>,
}

/// A body up to this size, sent uncompressed, is parsed without leaving the executor (it parses
/// in microseconds); every other body is decompressed and parsed on the blocking pool, within the
/// server's bound on that work (`IngestState::work`).
const PARSED_IN_PLACE_BYTES: usize = 64 * 1024;

impl From<WorkRefused> for ApiError {
    fn from(refused: WorkRefused) -> Self {
        match refused {
            WorkRefused::Busy(_) => busy(),
            WorkRefused::Failed(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server failed to read this report",
            ),
        }
    }
}

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the server is reading too many crash reports at once; try again in 1 s",
    )
    .with_retry_after(1)
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
            EventError::NotAnObject(_) | EventError::MalformedEventId => StatusCode::BAD_REQUEST,
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

fn decoded_body(encoding: Option<&str>, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    if body.len() > MAX_COMPRESSED_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {MAX_COMPRESSED_BYTES} bytes"),
        ));
    }
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
        Err(IntakeRefusal::Disabled) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "project_disabled",
            "this project is disabled: its reports are refused until an admin enables it",
        )),
        Err(IntakeRefusal::Throttled(wait)) => Ok(Err(throttled(wait))),
    }
}

/// One event, read: the payload as sent (it is stored) and what the desk uses of it.
struct ReadEvent {
    payload: Vec<u8>,
    event: CrashEvent,
}

fn read_event(payload: &[u8]) -> Result<ReadEvent, ApiError> {
    if payload.len() > MAX_EVENT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "event_too_large",
            format!("the event is larger than {MAX_EVENT_BYTES} bytes"),
        ));
    }
    Ok(ReadEvent {
        event: CrashEvent::from_json(payload)?,
        payload: payload.to_vec(),
    })
}

/// What an envelope holds that the server uses.
struct ReadEnvelope {
    /// The key in the envelope's `dsn`, if it names one.
    dsn_key: Option<String>,
    /// The envelope's event id, checked.
    event_id: Option<String>,
    /// Its event, if it carries one.
    event: Option<ReadEvent>,
}

fn read_envelope(encoding: Option<&str>, body: &[u8]) -> Result<ReadEnvelope, ApiError> {
    let body = decoded_body(encoding, body)?;
    let parsed = envelope::parse(&body, &EnvelopeLimits::default()).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_envelope",
            error.to_string(),
        )
    })?;
    let event_id = match parsed.header.event_id.as_deref() {
        None => None,
        Some(id) => Some(app::crash::event_id(id).ok_or(EventError::MalformedEventId)?),
    };
    Ok(ReadEnvelope {
        dsn_key: parsed
            .header
            .dsn
            .as_deref()
            .and_then(Dsn::parse)
            .map(|dsn| dsn.public_key),
        event_id,
        event: parsed.event_payload().map(read_event).transpose()?,
    })
}

/// Runs `read` over the body: in place for a small uncompressed body, else on the blocking pool
/// within the server's bound.
async fn read_body<T: Send + 'static>(
    state: &IngestState,
    headers: &HeaderMap,
    body: axum::body::Bytes,
    read: fn(Option<&str>, &[u8]) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|value| value.to_str().unwrap_or("unreadable").to_string());
    let identity = encoding
        .as_deref()
        .is_none_or(|encoding| matches!(encoding.trim(), "" | "identity"));
    if identity && body.len() <= PARSED_IN_PLACE_BYTES {
        return read(encoding.as_deref(), &body);
    }
    state
        .work
        .run(move || read(encoding.as_deref(), &body))
        .await?
}

/// The caller for a key the request presented outside its body (checked before the body is
/// read), or `None` when the key can only be in the body.
async fn early_caller(
    state: &IngestState,
    project: ProjectId,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<Result<Principal, axum::response::Response>>, ApiError> {
    match presented_key(headers, query) {
        Some(key) => Ok(Some(authenticate(state, project, Some(key)).await?)),
        None => Ok(None),
    }
}

/// Has the desk file an event; answers with its id.
async fn file(
    state: &IngestState,
    caller: &Principal,
    read: &ReadEvent,
    fallback_id: Option<&str>,
) -> Result<String, ApiError> {
    Ok(state
        .desk
        .file_crash(caller, &read.event, &read.payload, fallback_id)
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
        (status = 403, description = "The key is not this project's (`wrong_key`), or the project is disabled (`project_disabled`)", body = super::error::ErrorBody),
        (status = 413, description = "Over a size limit", body = super::error::ErrorBody),
        (status = 429, description = "The project is over its rate; see Retry-After and X-Sentry-Rate-Limits", body = super::error::ErrorBody),
        (status = 415, description = "Unsupported content encoding", body = super::error::ErrorBody),
        (status = 503, description = "The database is unavailable, or the server is reading too many reports at once (see Retry-After); the report was not kept", body = super::error::ErrorBody),
    ))]
pub async fn envelope(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<axum::response::Response, ApiError> {
    let project = project_id(&project)?;
    // A key outside the body is checked before any work is spent on the body.
    let early = match early_caller(&state, project, &headers, query.as_deref()).await? {
        Some(Err(throttled)) => return Ok(throttled),
        Some(Ok(caller)) => Some(caller),
        None => None,
    };
    let read = read_body(&state, &headers, body, read_envelope).await?;
    let caller = match early {
        Some(caller) => caller,
        None => match authenticate(&state, project, read.dsn_key).await? {
            Ok(caller) => caller,
            Err(throttled) => return Ok(throttled),
        },
    };
    let fallback_id = read.event_id.as_deref();
    match &read.event {
        Some(event) => Ok(accepted(&file(&state, &caller, event, fallback_id).await?)),
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
        (status = 403, description = "The key is not this project's (`wrong_key`), or the project is disabled (`project_disabled`)", body = super::error::ErrorBody),
        (status = 413, description = "Over a size limit", body = super::error::ErrorBody),
        (status = 415, description = "Unsupported content encoding", body = super::error::ErrorBody),
        (status = 429, description = "The project is over its rate; see Retry-After and X-Sentry-Rate-Limits", body = super::error::ErrorBody),
        (status = 503, description = "The database is unavailable, or the server is reading too many reports at once (see Retry-After); the report was not kept", body = super::error::ErrorBody),
    ))]
pub async fn store(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<axum::response::Response, ApiError> {
    let project = project_id(&project)?;
    let caller = match early_caller(&state, project, &headers, query.as_deref()).await? {
        Some(Ok(caller)) => caller,
        Some(Err(throttled)) => return Ok(throttled),
        None => {
            return Err(unauthenticated(
                "send the project key in X-Sentry-Auth or sentry_key",
            ));
        }
    };
    let read = read_body(&state, &headers, body, |encoding, body| {
        read_event(&decoded_body(encoding, body)?)
    })
    .await?;
    Ok(accepted(&file(&state, &caller, &read, None).await?))
}
