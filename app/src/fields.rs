//! The checks of single fields that every request shares: bad input becomes a [`FieldError`]
//! naming the field at fault. Every other module of the model builds on these, and this module
//! builds on none of them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The longest email address accepted.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Bad input, naming the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The request field at fault.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// An error about one field.
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Checks the length of text as sent, then trims it; `required` refuses text that is empty once
/// trimmed. (The length counts what was sent, so that a documented `maxLength` is exact.)
pub fn checked_text(
    field: &str,
    text: &str,
    max_chars: usize,
    required: bool,
) -> Result<String, FieldError> {
    let trimmed = text.trim();
    if required && trimmed.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let length = text.chars().count();
    if length > max_chars {
        return Err(FieldError::new(
            field,
            format!("is {length} characters long; the limit is {max_chars}"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(trimmed.to_string())
}

/// Parses an RFC 3339 timestamp; empty text means none.
pub fn checked_time(field: &str, text: Option<&str>) -> Result<Option<OffsetDateTime>, FieldError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map(|moment| Some(moment.to_offset(time::UtcOffset::UTC)))
            .map_err(|_| {
                FieldError::new(
                    field,
                    "must be an RFC 3339 timestamp such as 2026-11-28T09:30:00Z",
                )
            }),
    }
}

/// A trimmed, lower-case email address of a plausible shape.
pub fn checked_email(text: &str) -> Result<String, FieldError> {
    let email = checked_text("email", text, MAX_EMAIL_CHARS, true)?.to_lowercase();
    let plausible = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !plausible {
        return Err(FieldError::new("email", "is not an email address"));
    }
    Ok(email)
}
