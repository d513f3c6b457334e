//! Customers: the organisations that call, their contacts, and the tickets filed for them.
//! Viewers read them; agents create and change them.

use super::Desk;
use crate::storage::{StorageError, Store};
use app::accounts::Principal;
use app::customers::{
    CUSTOMER_TICKETS_LIMIT, Customer, CustomerDraft, CustomerPage, CustomerPatch, CustomerTickets,
};
use app::fields::FieldError;
use app::ids::CustomerId;
use app::model::Role;
use app::service::{CustomerService, HelpDeskError};

/// Refuses a ticket's `customer_id` that names no customer.
pub(super) async fn check_customer_exists(
    store: &Store,
    id: Option<CustomerId>,
) -> Result<(), HelpDeskError> {
    let Some(id) = id else { return Ok(()) };
    if store.customer_exists(id.number()).await? {
        Ok(())
    } else {
        Err(FieldError::new("customer_id", format!("no customer {id} exists")).into())
    }
}

/// The longest cursor of a customer listing: a name key, a name and a number.
const MAX_CURSOR_CHARS: usize = 400;

fn missing(id: CustomerId) -> HelpDeskError {
    HelpDeskError::Missing {
        kind: "customer",
        id: id.to_string(),
    }
}

/// A customer, or the error that names the missing one.
pub(super) async fn load(store: &Store, id: CustomerId) -> Result<Customer, HelpDeskError> {
    store
        .load_customer(id.number())
        .await?
        .ok_or_else(|| missing(id))
}

#[async_trait::async_trait]
impl CustomerService for Desk {
    async fn create_customer(
        &self,
        caller: &Principal,
        draft: CustomerDraft,
    ) -> Result<Customer, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        let number = self.store().insert_customer(&draft).await?;
        let id = CustomerId::new(number)
            .ok_or_else(|| StorageError::Corrupt("a customer was numbered 0".into()))?;
        tracing::info!(actor = %agent.email, customer = %id, "customer created");
        load(self.store(), id).await
    }

    async fn customer(
        &self,
        caller: &Principal,
        id: CustomerId,
    ) -> Result<Customer, HelpDeskError> {
        caller.require(Role::Viewer)?;
        load(self.store(), id).await
    }

    async fn update_customer(
        &self,
        caller: &Principal,
        id: CustomerId,
        patch: CustomerPatch,
    ) -> Result<Customer, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        let current = load(self.store(), id).await?;
        let draft = patch.apply(&current)?;
        if draft.leaves_unchanged(&current) {
            return Ok(current);
        }
        if !self.store().replace_customer(id.number(), &draft).await? {
            return Err(missing(id));
        }
        tracing::info!(actor = %agent.email, customer = %id, "customer changed");
        load(self.store(), id).await
    }

    async fn customer_tickets(
        &self,
        caller: &Principal,
        id: CustomerId,
    ) -> Result<CustomerTickets, HelpDeskError> {
        caller.require(Role::Viewer)?;
        let customer = load(self.store(), id).await?;
        Ok(self
            .store()
            .customer_tickets(&customer, CUSTOMER_TICKETS_LIMIT)
            .await?)
    }

    async fn customers(
        &self,
        caller: &Principal,
        query: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<CustomerPage, HelpDeskError> {
        caller.require(Role::Viewer)?;
        // A cursor is a name key this server gave out: a name and a number, never longer.
        if cursor.is_some_and(|cursor| cursor.chars().count() > MAX_CURSOR_CHARS) {
            return Err(FieldError::new("cursor", "is not a cursor this server gave out").into());
        }
        let words = match query.map(str::trim).filter(|query| !query.is_empty()) {
            Some(query) => app::customers::search_words(query)?,
            None => Vec::new(),
        };
        Ok(self
            .store()
            .list_customers(&words, cursor.unwrap_or(""), limit)
            .await?)
    }
}
