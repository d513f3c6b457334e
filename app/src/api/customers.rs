//! Server functions for customers: finding them, one customer and its tickets, recording a new
//! one (also from the new-ticket form).

#[cfg(feature = "ssr")]
use super::backend;
use leptos::prelude::*;

/// A page of customers by name; `q` finds them as someone types.
#[server(prefix = "/rpc", endpoint = "search_customers")]
pub async fn search_customers(
    q: String,
    cursor: String,
) -> Result<crate::customers::CustomerPage, ServerFnError> {
    let query = Some(q.as_str()).filter(|query| !query.trim().is_empty());
    let cursor = Some(cursor.as_str()).filter(|cursor| !cursor.is_empty());
    backend::customers()?
        .customers(&backend::caller(), query, cursor, 50)
        .await
        .map_err(backend::failure)
}

/// One customer.
#[server(prefix = "/rpc", endpoint = "load_customer")]
pub async fn load_customer(id: String) -> Result<crate::customers::Customer, ServerFnError> {
    backend::customers()?
        .customer(&backend::caller(), backend::customer_id(&id)?)
        .await
        .map_err(backend::failure)
}

/// A customer's tickets, open first.
#[server(prefix = "/rpc", endpoint = "customer_tickets")]
pub async fn customer_tickets(
    id: String,
) -> Result<crate::customers::CustomerTickets, ServerFnError> {
    backend::customers()?
        .customer_tickets(&backend::caller(), backend::customer_id(&id)?)
        .await
        .map_err(backend::failure)
}

/// Creates a customer with its first contact (agents); more contacts and key/values through the
/// API.
#[server(prefix = "/rpc", endpoint = "create_customer")]
pub async fn create_customer(
    name: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
    environment: String,
    notes: String,
) -> Result<crate::customers::Customer, ServerFnError> {
    use crate::customers::{Contact, NewCustomer};
    let contacts = if contact_name.trim().is_empty()
        && contact_email.trim().is_empty()
        && contact_phone.trim().is_empty()
    {
        Vec::new()
    } else {
        vec![Contact {
            name: contact_name,
            email: Some(contact_email),
            phone: Some(contact_phone),
        }]
    };
    let draft = NewCustomer {
        name,
        notes,
        contacts,
        environment,
        properties: Vec::new(),
    }
    .parse()
    .map_err(backend::failure)?;
    let customer = backend::customers()?
        .create_customer(&backend::caller(), draft)
        .await
        .map_err(backend::failure)?;
    leptos_axum::redirect(&format!("/customers/{}", customer.id));
    Ok(customer)
}

/// Records a new caller as a customer from the new-ticket form, without leaving it (agents).
#[server(prefix = "/rpc", endpoint = "record_caller")]
pub async fn record_caller(
    name: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
) -> Result<crate::customers::Customer, ServerFnError> {
    use crate::customers::{Contact, NewCustomer};
    let given = |text: String| Some(text).filter(|text| !text.trim().is_empty());
    let contacts = if contact_name.trim().is_empty() {
        Vec::new()
    } else {
        vec![Contact {
            name: contact_name,
            email: given(contact_email),
            phone: given(contact_phone),
        }]
    };
    let draft = NewCustomer {
        name,
        contacts,
        ..NewCustomer::default()
    }
    .parse()
    .map_err(backend::failure)?;
    backend::customers()?
        .create_customer(&backend::caller(), draft)
        .await
        .map_err(backend::failure)
}
