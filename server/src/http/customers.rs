//! The `/api/v1/customers` resource: who calls, their contacts and what they run.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, Caller};
use app::customers::{Customer, CustomerPage, CustomerPatch, CustomerTickets, NewCustomer};
use app::ids::CustomerId;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Paging and search parameters of the list.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

fn customer_id(text: &str) -> Result<CustomerId, ApiError> {
    text.parse::<CustomerId>()
        .map_err(|error| app::service::HelpDeskError::from(error).into())
}

/// Customers by name; `q` finds them by the beginnings of the words of their name and contacts
/// (names, emails, phone digits), as a search box does while someone types.
#[utoipa::path(get, operation_id = "list_customers", path = "/customers", tag = "customers",
    params(
        ("q" = Option<String>, Query, description = "Words, each matched against the beginnings of a customer's words"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of customers", body = CustomerPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<CustomerQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    let limit = super::extract::page_limit(query.limit.as_deref())?;
    let cursor = query.cursor.as_deref().filter(|cursor| !cursor.is_empty());
    let page = state
        .customers
        .customers(&caller, query.q.as_deref(), cursor, limit)
        .await
        .map_err(|error| match error {
            // The only field of a listing is its query parameters: a bad `q` is a bad request.
            app::service::HelpDeskError::Invalid(field) => {
                ApiError::from(field).with_status(StatusCode::BAD_REQUEST)
            }
            other => ApiError::from(other),
        })?;
    Ok(Json(page))
}

/// Creates a customer (agents and admins).
#[utoipa::path(post, operation_id = "create_customer", path = "/customers", tag = "customers", request_body = NewCustomer,
    responses(
        (status = 201, description = "The customer", body = Customer),
        (status = 422, description = "A field is invalid; `field` names it (`contacts[1].email`)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<NewCustomer>,
) -> Result<(StatusCode, Json<Customer>), ApiError> {
    let customer = state
        .customers
        .create_customer(&caller, request.parse()?)
        .await?;
    Ok((StatusCode::CREATED, Json(customer)))
}

/// One customer.
#[utoipa::path(get, operation_id = "get_customer", path = "/customers/{id}", tag = "customers",
    params(("id" = u64, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        state.customers.customer(&caller, customer_id(&id)?).await?,
    ))
}

/// Changes the fields present (agents and admins); lists given replace the old ones.
#[utoipa::path(patch, operation_id = "update_customer", path = "/customers/{id}", tag = "customers",
    params(("id" = u64, Path, description = "The customer's id")),
    request_body = CustomerPatch,
    responses(
        (status = 200, description = "The customer as it is now", body = Customer),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 422, description = "A field is invalid, or none is given", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        state
            .customers
            .update_customer(&caller, customer_id(&id)?, patch)
            .await?,
    ))
}

/// The customer's tickets: those filed for it, and crash tickets whose reports named it (its
/// name in a `customer` tag, or a user with one of its contacts' emails); open ones first, at
/// most 200 (`truncated` says whether there are more).
#[utoipa::path(get, operation_id = "customer_tickets", path = "/customers/{id}/tickets", tag = "customers",
    params(("id" = u64, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The customer's tickets, in queue order", body = CustomerTickets),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn tickets(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<CustomerTickets>, ApiError> {
    Ok(Json(
        state
            .customers
            .customer_tickets(&caller, customer_id(&id)?)
            .await?,
    ))
}
