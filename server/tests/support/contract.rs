//! The API's contract: every answer a test receives from a documented operation is checked
//! against the OpenAPI document the server serves. Its status must be one the operation
//! documents, its content type one documented for that status, and its JSON body must match the
//! documented schema (formats such as `date-time` and `email` included).
//!
//! A test application wraps its router in [`layer`]; what does not match is gathered and fails
//! the test when the application is dropped.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// The mismatches one application has answered.
pub type Violations = Arc<Mutex<Vec<String>>>;

/// The served document, and a validator for each schema pointer once it is needed.
struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| Contract {
    document: serde_json::to_value(server::http::openapi()).expect("the document is JSON"),
    validators: Mutex::new(HashMap::new()),
});

/// The middleware: passes the request on, checks the answer, and hands it back unchanged.
pub async fn layer(State(violations): State<Violations>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if method == Method::HEAD {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        violations
            .lock()
            .unwrap()
            .push(format!("{method} {path}: the body could not be read"));
        return Response::from_parts(parts, Body::empty());
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let encoded = parts.headers.contains_key(header::CONTENT_ENCODING);
    if let Err(problem) = check(&method, &path, parts.status, content_type, &bytes, encoded) {
        violations.lock().unwrap().push(format!(
            "{method} {path} answered {}: {problem}",
            parts.status
        ));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Checks one answer of a documented operation; answers to paths or methods the document does
/// not describe (unknown routes, 405s) are not the contract's business.
pub fn check(
    method: &Method,
    path: &str,
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
    encoded: bool,
) -> Result<(), String> {
    let contract = &*CONTRACT;
    let Some(template) = template_of(&contract.document, path) else {
        return Ok(());
    };
    let method_name = method.as_str().to_ascii_lowercase();
    let operation_pointer = format!("/paths/{}/{method_name}", escape(&template));
    let Some(operation) = contract.document.pointer(&operation_pointer) else {
        return Ok(());
    };
    let responses = &operation["responses"];
    let code = status.as_u16().to_string();
    let (key, documented) = match responses.get(&code) {
        Some(documented) => (code, documented),
        None => match responses.get("default") {
            Some(documented) => ("default".to_string(), documented),
            None => {
                let listed: Vec<&String> = responses
                    .as_object()
                    .map(|map| map.keys().collect())
                    .unwrap_or_default();
                return Err(format!("status not documented (documented: {listed:?})"));
            }
        },
    };
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        return if body.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "documented without a body, answered {} bytes",
                body.len()
            ))
        };
    };
    let media_type = content_type
        .map(|value| value.split(';').next().unwrap_or("").trim())
        .unwrap_or("");
    let Some(media) = content.get(media_type) else {
        let listed: Vec<&String> = content.keys().collect();
        return Err(format!(
            "content type {media_type:?} not documented (documented: {listed:?})"
        ));
    };
    if encoded || media.get("schema").is_none() || !media_type.ends_with("json") {
        return Ok(());
    }
    let instance: Value =
        serde_json::from_slice(body).map_err(|error| format!("the body is not JSON: {error}"))?;
    let schema_pointer = format!(
        "{operation_pointer}/responses/{}/content/{}/schema",
        escape(&key),
        escape(media_type)
    );
    let validator = contract.validator(&schema_pointer)?;
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| {
            let message = error.to_string();
            let message: String = message
                .chars()
                .rev()
                .take(160)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!(
                "at {} (schema {}): …{message}",
                error.instance_path(),
                error.schema_path()
            )
        })
        .take(5)
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the body does not match the documented schema: {}; body: {}",
            errors.join("; "),
            String::from_utf8_lossy(&body[..body.len().min(600)])
        ))
    }
}

impl Contract {
    fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, String> {
        let mut validators = self.validators.lock().unwrap();
        if let Some(validator) = validators.get(pointer) {
            return Ok(validator.clone());
        }
        // The whole document is the root schema, so that `#/components/schemas/…` resolves;
        // `$ref` picks the schema of this answer.
        let mut root = self.document.clone();
        root["$ref"] = Value::String(format!("#{}", fragment(pointer)));
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|error| format!("the documented schema at {pointer} is not valid: {error}"))?;
        let validator = Arc::new(validator);
        validators.insert(pointer.to_string(), validator.clone());
        Ok(validator)
    }
}

/// The documented path template that `path` falls under, preferring the one with the most
/// literal segments (`/api/v1/tickets` over `/api/{project_id}/…`).
fn template_of(document: &Value, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    document["paths"]
        .as_object()?
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literals = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literals += 1;
                } else {
                    return None;
                }
            }
            Some((literals, template))
        })
        .max_by_key(|(literals, _)| *literals)
        .map(|(_, template)| template.clone())
}

/// A JSON pointer token: `~` and `/` escaped.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer as a URI fragment: braces and other characters a fragment may not hold are
/// percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut encoded = String::new();
    for byte in pointer.bytes() {
        let allowed = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&byte);
        if allowed {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Checks an answer read with reqwest (from a server in another process).
pub async fn read_checked(method: Method, response: reqwest::Response) -> (u16, Value) {
    let status = response.status();
    let path = response.url().path().to_string();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let encoded = response.headers().contains_key(header::CONTENT_ENCODING);
    let bytes = response.bytes().await.expect("a body");
    if let Err(problem) = check(
        &method,
        &path,
        StatusCode::from_u16(status.as_u16()).expect("a status"),
        content_type.as_deref(),
        &bytes,
        encoded,
    ) {
        panic!("{method} {path} answered {status}: {problem}");
    }
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status.as_u16(), body)
}
