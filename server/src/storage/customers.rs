//! Customers in SurrealDB: numbered from their own sequence, listed by name, found by the
//! beginnings of their words.

use super::records::{TicketRecord, decode, parse_time};
use super::{StorageError, Store, transaction_outcome};
use app::customers::{
    Contact, Customer, CustomerDraft, CustomerPage, CustomerTickets, Property, customer_words,
    identity_key,
};
use serde::Deserialize;

/// A row of the `customer` table.
#[derive(Clone, Debug, Deserialize)]
struct CustomerRecord {
    number: u64,
    name: String,
    notes: String,
    contacts: Vec<Contact>,
    environment: String,
    properties: Vec<Property>,
    name_key: String,
    created_at: String,
    updated_at: String,
}

impl CustomerRecord {
    fn into_customer(self) -> Result<Customer, StorageError> {
        Ok(Customer {
            id: self.number,
            name: self.name,
            notes: self.notes,
            contacts: self.contacts,
            environment: self.environment,
            properties: self.properties,
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
        })
    }
}

/// The order of the list, and its cursor: the name in lower case, then the number, so that equal
/// names keep a stable order.
fn name_key(name: &str, number: u64) -> String {
    format!("{}\u{1f}{number:020}", name.to_lowercase())
}

const FIELDS: &str = "number, name, notes, contacts, environment, properties, name_key, <string>created_at AS created_at, <string>updated_at AS updated_at";

const CREATE_CUSTOMER: &str = r#"
CREATE type::record('customer', $number) CONTENT {
    number: $number,
    name: $draft.name,
    notes: $draft.notes,
    contacts: $draft.contacts,
    environment: $draft.environment,
    properties: $draft.properties,
    search_words: $search_words,
    name_key: $name_key,
    created_at: time::now(),
    updated_at: time::now()
};
"#;

const UPDATE_CUSTOMER: &str = r#"
UPDATE type::record('customer', $number) SET
    name = $draft.name,
    notes = $draft.notes,
    contacts = $draft.contacts,
    environment = $draft.environment,
    properties = $draft.properties,
    search_words = $search_words,
    name_key = $name_key,
    updated_at = time::now()
WHERE number = $number;
"#;

/// A customer's tickets from the three ways a ticket names it, each in queue order (open first):
/// filed for it by an agent; crash reports tagged with its name; crash reports from a user with
/// one of its contacts' emails.
const CUSTOMER_TICKETS: &str = r#"
SELECT * OMIT search_words, search_text FROM ticket WHERE customer_id = $number ORDER BY queue_key LIMIT $limit;
SELECT * OMIT search_words, search_text FROM ticket WHERE customer_keys CONTAINS $key ORDER BY queue_key LIMIT $limit;
LET $crashes = array::distinct((SELECT VALUE ticket_number FROM crash_user WHERE user IN $emails LIMIT 10000));
SELECT * OMIT search_words, search_text FROM array::map($crashes, |$number| type::record('ticket', $number)) WHERE id != NONE;
"#;

impl Store {
    /// Whether a customer with this number exists.
    pub async fn customer_exists(&self, number: u64) -> Result<bool, StorageError> {
        let mut response = self
            .db()
            .query("RETURN record::exists(type::record('customer', $number))")
            .bind(("number", number as i64))
            .await?
            .check()?;
        let exists: Option<bool> = response.take(0)?;
        Ok(exists == Some(true))
    }

    /// The tickets of a customer, open first (in queue order), at most `limit`.
    pub async fn customer_tickets(
        &self,
        customer: &Customer,
        limit: usize,
    ) -> Result<CustomerTickets, StorageError> {
        let mut emails: Vec<String> = Vec::new();
        for email in customer
            .contacts
            .iter()
            .filter_map(|contact| contact.email.as_ref())
        {
            for variant in [email.clone(), email.to_lowercase()] {
                if !emails.contains(&variant) {
                    emails.push(variant);
                }
            }
        }
        let mut response = self
            .db()
            .query(CUSTOMER_TICKETS)
            .bind(("number", customer.id as i64))
            // A name no tag can carry when the customer has none (it always has one).
            .bind(("key", identity_key(&customer.name).unwrap_or_default()))
            .bind(("emails", emails))
            .bind(("limit", (limit + 1) as i64))
            .await?
            .check()?;
        let mut records: Vec<TicketRecord> = Vec::new();
        for index in [0, 1, 3] {
            let rows: Vec<serde_json::Value> = response.take(index)?;
            for record in decode::<TicketRecord>(rows)? {
                if !records.iter().any(|known| known.number == record.number) {
                    records.push(record);
                }
            }
        }
        records.sort_by(|a, b| a.queue_key.cmp(&b.queue_key));
        let truncated = records.len() > limit;
        records.truncate(limit);
        let items = records
            .into_iter()
            .map(TicketRecord::into_ticket)
            .collect::<Result<_, _>>()?;
        Ok(CustomerTickets { items, truncated })
    }

    /// Creates a customer; answers its number. The number is taken first, so a customer that
    /// fails to be created leaves a gap, never a duplicate.
    pub async fn insert_customer(&self, draft: &CustomerDraft) -> Result<u64, StorageError> {
        let number = super::creator::reserve_numbers(self.db(), "customer", 1).await?;
        self.db()
            .query(CREATE_CUSTOMER)
            .bind(("number", number as i64))
            .bind(("draft", serde_json::to_value(draft).unwrap_or_default()))
            .bind(("search_words", customer_words(draft)))
            .bind(("name_key", name_key(&draft.name, number)))
            .await
            .and_then(transaction_outcome)?;
        Ok(number)
    }

    /// A customer by number.
    pub async fn load_customer(&self, number: u64) -> Result<Option<Customer>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {FIELDS} FROM type::record('customer', $number)"
            ))
            .bind(("number", number as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<CustomerRecord>(rows)?
            .pop()
            .map(CustomerRecord::into_customer)
            .transpose()
    }

    /// Replaces a customer's fields; answers whether it exists.
    pub async fn replace_customer(
        &self,
        number: u64,
        draft: &CustomerDraft,
    ) -> Result<bool, StorageError> {
        let mut response = self
            .db()
            .query(UPDATE_CUSTOMER)
            .bind(("number", number as i64))
            .bind(("draft", serde_json::to_value(draft).unwrap_or_default()))
            .bind(("search_words", customer_words(draft)))
            .bind(("name_key", name_key(&draft.name, number)))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(!rows.is_empty())
    }

    /// A page of customers by name after `after` (a cursor), optionally only those with every
    /// word of `words` among the beginnings of their words.
    pub async fn list_customers(
        &self,
        words: &[String],
        after: &str,
        limit: usize,
    ) -> Result<CustomerPage, StorageError> {
        let query = if words.is_empty() {
            format!(
                "SELECT {FIELDS} FROM customer WHERE name_key > $after ORDER BY name_key LIMIT $limit"
            )
        } else {
            // The first word walks the (word, name) index; the others are checked on its rows.
            format!(
                "SELECT {FIELDS} FROM customer WHERE search_words CONTAINS $first AND name_key > $after AND search_words CONTAINSALL $words ORDER BY name_key LIMIT $limit"
            )
        };
        let mut response = self
            .db()
            .query(query)
            .bind(("after", after.to_string()))
            .bind(("limit", (limit + 1) as i64))
            .bind(("first", words.first().cloned().unwrap_or_default()))
            .bind(("words", words.to_vec()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let mut records = decode::<CustomerRecord>(rows)?;
        let next_cursor = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|record| record.name_key.clone())
        } else {
            None
        };
        let items = records
            .into_iter()
            .map(CustomerRecord::into_customer)
            .collect::<Result<_, _>>()?;
        Ok(CustomerPage { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn names_sort_without_case_and_equal_names_by_number() {
        assert!(name_key("acme", 2) < name_key("Beta", 1));
        assert!(name_key("Acme", 2) < name_key("acme", 10));
        assert!(name_key("Acme", 9) < name_key("Acme Corp", 1));
    }
}
