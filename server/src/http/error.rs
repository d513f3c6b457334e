//! The REST API's one error type and its mapping to HTTP responses; desk errors take the
//! status and code that `HelpDeskError::answer` gives them, as server functions do.

use app::service::HelpDeskError;
use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to a REST client as `{ "error": { "code", "message", "field"? } }`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after_seconds: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
/// The body of every error response.
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
/// What went wrong.
pub struct ErrorDetail {
    /// A stable, machine-readable code such as `invalid_field` or `illegal_transition`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_seconds: None,
        }
    }

    /// The same error, telling the client to try again after this many seconds.
    pub fn with_retry_after(self, seconds: u64) -> ApiError {
        ApiError {
            retry_after_seconds: Some(seconds),
            ..self
        }
    }

    /// The same error with another status.
    pub fn with_status(self, status: StatusCode) -> ApiError {
        ApiError { status, ..self }
    }

    /// No resource at this path.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<HelpDeskError> for ApiError {
    fn from(error: HelpDeskError) -> Self {
        let answer = error.answer();
        match &error {
            HelpDeskError::Storage(source) => {
                tracing::error!(error = %source, "request failed on storage");
            }
            HelpDeskError::Unavailable(source) => {
                tracing::warn!(error = %source, "request failed: the database is unavailable");
            }
            _ => {}
        }
        ApiError {
            status: StatusCode::from_u16(answer.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: answer.code,
            message: error.to_string(),
            field: error.field().map(str::to_string),
            retry_after_seconds: error.retry_after_seconds(),
        }
    }
}

impl From<app::fields::FieldError> for ApiError {
    fn from(error: app::fields::FieldError) -> Self {
        HelpDeskError::Invalid(error).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(error) => {
                let message = error.body_text();
                let field = field_of_serde_message(&message);
                ApiError {
                    field,
                    ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
                }
            }
            JsonRejection::JsonSyntaxError(error) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", error.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            JsonRejection::BytesRejection(error)
                if error.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body is larger than {} bytes", super::MAX_BODY_BYTES),
                )
            }
            other => ApiError::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is larger than this route accepts",
            )
        } else {
            ApiError::new(rejection.status(), "bad_request", rejection.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            rejection.body_text(),
        )
    }
}

/// Finds the field name in serde's messages such as "missing field `title`" or "at line 1 column 9".
fn field_of_serde_message(message: &str) -> Option<String> {
    if let Some(path) = message
        .split(": ")
        .nth(1)
        .filter(|path| !path.contains(' '))
    {
        return Some(path.to_string());
    }
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
