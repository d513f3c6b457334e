//! Extractors whose rejections are the API's JSON errors instead of axum's plain text.

use super::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts};

/// A JSON body; malformed or mistyped bodies become [`ApiError`]s naming the field.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A query string; malformed ones become [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
