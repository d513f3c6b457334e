//! Customers: the organisations (or people) who call, their contacts, and the environment they
//! run, so that an agent taking a call sees who it is and what they have.

use crate::fields::{FieldError, checked_text};
use crate::fields::{MAX_EMAIL_CHARS, checked_email};
use crate::model::{MAX_TEXT_CHARS, MAX_TITLE_CHARS};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The most contacts one customer has.
pub const MAX_CONTACTS: usize = 50;
/// The most environment properties one customer has.
pub const MAX_PROPERTIES: usize = 50;
const MAX_PHONE_CHARS: usize = 40;
const MAX_KEY_CHARS: usize = 100;
const MAX_VALUE_CHARS: usize = 500;
/// Words shorter than this are not findable by their beginning.
const MIN_PREFIX_CHARS: usize = 2;
/// Longer words are findable by their first this many characters, and by the whole word.
const MAX_PREFIX_CHARS: usize = 20;

/// How a customer is named where it is matched by name (a crash report's `customer` tag):
/// lower-cased, words separated by single spaces. `None` for a blank or overlong name.
pub fn identity_key(name: &str) -> Option<String> {
    let key = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!key.is_empty() && key.chars().count() <= MAX_TITLE_CHARS).then_some(key)
}

/// A person at a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Their name.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// Their email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(max_length = 254))]
    pub email: Option<String>,
    /// Their phone number, as they give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(max_length = 40))]
    pub phone: Option<String>,
}

/// One fact of a customer's environment, such as `os` = `Windows 11 23H2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Property {
    /// What it is about: a product, a version, an operating system…
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub key: String,
    /// Its value.
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub value: String,
}

/// A customer, as the API answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    /// Its number.
    pub id: u64,
    /// The organisation's (or person's) name.
    pub name: String,
    /// Anything agents should know.
    pub notes: String,
    /// The people there.
    pub contacts: Vec<Contact>,
    /// What they run, in words: deployment notes and the like.
    pub environment: String,
    /// What they run, as key/values.
    pub properties: Vec<Property>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// A page of customers, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerPage {
    /// In order of name.
    pub items: Vec<Customer>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A customer's tickets: those filed for it, and crash tickets whose reports named it (by its
/// name in a `customer` tag, or a user with one of its contacts' emails). Open ones first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerTickets {
    /// In queue order: open tickets first, the most urgent first.
    pub items: Vec<crate::model::Ticket>,
    /// Whether there are more than these.
    pub truncated: bool,
}

/// How many of a customer's tickets are listed.
pub const CUSTOMER_TICKETS_LIMIT: usize = 200;

/// What a client sends to create a customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    /// Required.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// Optional.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub notes: String,
    /// Optional, at most 50.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 50))]
    pub contacts: Vec<Contact>,
    /// Optional.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub environment: String,
    /// Optional, at most 50, keys distinct.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 50))]
    pub properties: Vec<Property>,
}

/// What a client sends to change a customer: only the fields present change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    /// A new name.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// New notes.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub notes: Option<String>,
    /// The new list of contacts (replacing the old).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 50))]
    pub contacts: Option<Vec<Contact>>,
    /// A new environment text.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub environment: Option<String>,
    /// The new list of properties (replacing the old).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 50))]
    pub properties: Option<Vec<Property>>,
}

/// A checked customer, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerDraft {
    /// Trimmed, not empty.
    pub name: String,
    /// Trimmed.
    pub notes: String,
    /// Checked.
    pub contacts: Vec<Contact>,
    /// Trimmed.
    pub environment: String,
    /// Checked, keys distinct.
    pub properties: Vec<Property>,
}

impl CustomerDraft {
    /// Whether saving this over `customer` would change nothing.
    pub fn leaves_unchanged(&self, customer: &Customer) -> bool {
        self.name == customer.name
            && self.notes == customer.notes
            && self.contacts == customer.contacts
            && self.environment == customer.environment
            && self.properties == customer.properties
    }
}

fn checked_contacts(contacts: Vec<Contact>) -> Result<Vec<Contact>, FieldError> {
    if contacts.len() > MAX_CONTACTS {
        return Err(FieldError::new(
            "contacts",
            format!(
                "has {} entries; the limit is {MAX_CONTACTS}",
                contacts.len()
            ),
        ));
    }
    contacts
        .into_iter()
        .enumerate()
        .map(|(index, contact)| {
            let field = |name: &str| format!("contacts[{index}].{name}");
            let name = checked_text(&field("name"), &contact.name, MAX_TITLE_CHARS, true)?;
            // Bounded as sent (blank too), so that the length counts what was sent; blank is none.
            let optional = |name: &str, value: Option<&str>, max: usize| {
                value
                    .map(|value| checked_text(&field(name), value, max, false))
                    .transpose()
                    .map(|value| value.filter(|value| !value.is_empty()))
            };
            let email = match optional("email", contact.email.as_deref(), MAX_EMAIL_CHARS)? {
                None => None,
                Some(email) => Some(checked_email(&email).map_err(|error| FieldError {
                    field: field("email"),
                    ..error
                })?),
            };
            let phone = match optional("phone", contact.phone.as_deref(), MAX_PHONE_CHARS)? {
                None => None,
                Some(phone) => {
                    let plausible = phone.chars().any(|c| c.is_ascii_digit())
                        && phone
                            .chars()
                            .all(|c| c.is_ascii_digit() || " +-()./x".contains(c));
                    if !plausible {
                        return Err(FieldError::new(
                            &field("phone"),
                            "is not a phone number (digits, spaces and + - ( ) . / x)",
                        ));
                    }
                    Some(phone)
                }
            };
            Ok(Contact { name, email, phone })
        })
        .collect()
}

fn checked_properties(properties: Vec<Property>) -> Result<Vec<Property>, FieldError> {
    if properties.len() > MAX_PROPERTIES {
        return Err(FieldError::new(
            "properties",
            format!(
                "has {} entries; the limit is {MAX_PROPERTIES}",
                properties.len()
            ),
        ));
    }
    let mut checked: Vec<Property> = Vec::with_capacity(properties.len());
    for (index, property) in properties.into_iter().enumerate() {
        let key = checked_text(
            &format!("properties[{index}].key"),
            &property.key,
            MAX_KEY_CHARS,
            true,
        )?;
        if checked
            .iter()
            .any(|other| other.key.eq_ignore_ascii_case(&key))
        {
            return Err(FieldError::new(
                &format!("properties[{index}].key"),
                format!("`{key}` is given twice"),
            ));
        }
        let value = checked_text(
            &format!("properties[{index}].value"),
            &property.value,
            MAX_VALUE_CHARS,
            false,
        )?;
        checked.push(Property { key, value });
    }
    Ok(checked)
}

impl NewCustomer {
    /// Checks every field; errors name the field (`contacts[1].email`).
    pub fn parse(self) -> Result<CustomerDraft, FieldError> {
        Ok(CustomerDraft {
            name: checked_text("name", &self.name, MAX_TITLE_CHARS, true)?,
            notes: checked_text("notes", &self.notes, MAX_TEXT_CHARS, false)?,
            contacts: checked_contacts(self.contacts)?,
            environment: checked_text("environment", &self.environment, MAX_TEXT_CHARS, false)?,
            properties: checked_properties(self.properties)?,
        })
    }
}

impl CustomerPatch {
    /// The customer as it would be after the patch, checked.
    pub fn apply(self, current: &Customer) -> Result<CustomerDraft, FieldError> {
        NewCustomer {
            name: self.name.unwrap_or_else(|| current.name.clone()),
            notes: self.notes.unwrap_or_else(|| current.notes.clone()),
            contacts: self.contacts.unwrap_or_else(|| current.contacts.clone()),
            environment: self
                .environment
                .unwrap_or_else(|| current.environment.clone()),
            properties: self
                .properties
                .unwrap_or_else(|| current.properties.clone()),
        }
        .parse()
    }
}

/// The words a customer is found by, each also by its beginning (two characters on), so that a
/// search as you type finds `Margaret` from `mar`: the name, and the contacts' names, emails and
/// phone numbers (digits only).
pub fn customer_words(draft: &CustomerDraft) -> Vec<String> {
    let mut text = draft.name.clone();
    for contact in &draft.contacts {
        text.push(' ');
        text.push_str(&contact.name);
        if let Some(email) = &contact.email {
            text.push(' ');
            text.push_str(email);
        }
        if let Some(phone) = &contact.phone {
            text.push(' ');
            text.extend(phone.chars().filter(char::is_ascii_digit));
        }
    }
    crate::search::distinct_in_order(crate::search::words(&text).into_iter().flat_map(|word| {
        let characters: Vec<char> = word.chars().collect();
        let prefixes: Vec<String> = (MIN_PREFIX_CHARS..=characters.len().min(MAX_PREFIX_CHARS))
            .map(|length| characters[..length].iter().collect())
            .collect();
        prefixes.into_iter().chain(std::iter::once(word))
    }))
}

/// The words of a customer search: each is matched against the beginnings of the customers'
/// words, so it is cut to the longest beginning stored.
pub fn search_words(query: &str) -> Result<Vec<String>, FieldError> {
    Ok(crate::search::query_words(query)?
        .into_iter()
        .map(|word| word.chars().take(MAX_PREFIX_CHARS).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_is_matched_without_case_or_extra_spaces() {
        assert_eq!(
            identity_key("  Navy   PAYROLL ").as_deref(),
            Some("navy payroll")
        );
        assert_eq!(identity_key(" \t "), None);
        assert_eq!(identity_key(&"x".repeat(201)), None);
    }

    use super::*;

    fn grace() -> NewCustomer {
        NewCustomer {
            name: "  Navy Payroll ".into(),
            contacts: vec![Contact {
                name: "Grace Hopper".into(),
                email: Some("Grace@Navy.example".into()),
                phone: Some("+1 (555) 010-4477".into()),
            }],
            properties: vec![Property {
                key: "os".into(),
                value: "Windows Server 2022".into(),
            }],
            ..NewCustomer::default()
        }
    }

    #[test]
    fn a_customer_is_trimmed_and_its_contacts_checked() {
        let draft = grace().parse().unwrap();
        assert_eq!(draft.name, "Navy Payroll");
        assert_eq!(
            draft.contacts[0].email.as_deref(),
            Some("grace@navy.example")
        );
    }

    #[test]
    fn bad_fields_are_named_with_their_place() {
        let mut bad = grace();
        bad.contacts.push(Contact {
            name: "Someone".into(),
            email: Some("not an email".into()),
            phone: None,
        });
        assert_eq!(bad.parse().unwrap_err().field, "contacts[1].email");
        let mut bad = grace();
        bad.contacts[0].phone = Some("call me maybe".into());
        assert_eq!(bad.parse().unwrap_err().field, "contacts[0].phone");
        let mut bad = grace();
        bad.properties.push(Property {
            key: "OS".into(),
            value: "Linux".into(),
        });
        assert_eq!(bad.parse().unwrap_err().field, "properties[1].key");
        assert_eq!(NewCustomer::default().parse().unwrap_err().field, "name");
    }

    #[test]
    fn a_customer_is_found_by_the_beginnings_of_its_words_and_phone_digits() {
        let words = customer_words(&grace().parse().unwrap());
        for word in [
            "na",
            "navy",
            "payr",
            "payroll",
            "grace",
            "hop",
            "15550104477",
            "1555",
        ] {
            assert!(words.contains(&word.to_string()), "{word}: {words:?}");
        }
        assert!(!words.contains(&"n".to_string()));
        assert_eq!(search_words("  Mar HOP ").unwrap(), ["mar", "hop"]);
        assert_eq!(search_words("--").unwrap_err().field, "q");
    }
}
