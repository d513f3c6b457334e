//! Sentry envelopes: a JSON header line, then items, each a JSON header line and a payload.
//!
//! A payload is exactly `length` bytes when its header gives a length (optionally followed by a
//! newline), and otherwise runs to the next newline or the end. Anything else, a missing or
//! malformed header, a length that runs past the end, a payload not followed by a newline, too
//! many items or an item over the limit, is an error naming the item, and nothing of the envelope
//! is used.

use serde::Deserialize;
use serde_json::{Map, Value};

/// Bounds on what one envelope may hold.
#[derive(Clone, Debug)]
pub struct EnvelopeLimits {
    /// The most items.
    pub max_items: usize,
    /// The largest payload of one item, in bytes.
    pub max_item_bytes: usize,
}

impl Default for EnvelopeLimits {
    fn default() -> Self {
        EnvelopeLimits {
            max_items: 100,
            max_item_bytes: 1024 * 1024,
        }
    }
}

/// Why an envelope was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The body is empty.
    #[error("the envelope is empty")]
    Empty,
    /// The first line is not a JSON object.
    #[error("the envelope header is not a JSON object: {0}")]
    InvalidHeader(String),
    /// An item header is not a JSON object with a string `type`.
    #[error("item {index}: the header is not a JSON object with a `type`: {reason}")]
    InvalidItemHeader {
        /// The item's position, from 0.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A declared length runs past the end of the envelope.
    #[error("item {index}: the header says {declared} bytes but only {available} follow")]
    Truncated {
        /// The item's position.
        index: usize,
        /// The declared length.
        declared: usize,
        /// The bytes left.
        available: usize,
    },
    /// A payload of declared length is followed by something other than a newline.
    #[error("item {index}: the payload is not followed by a newline")]
    MissingNewline {
        /// The item's position.
        index: usize,
    },
    /// More items than allowed.
    #[error("the envelope has more than {limit} items")]
    TooManyItems {
        /// The limit.
        limit: usize,
    },
    /// An item over the size limit.
    #[error("item {index} is {size} bytes; the limit is {limit}")]
    ItemTooLarge {
        /// The item's position.
        index: usize,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// The envelope header fields the server uses.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct EnvelopeHeader {
    /// The event in the envelope, if any.
    #[serde(default)]
    pub event_id: Option<String>,
    /// The DSN the client used (one way of authenticating).
    #[serde(default)]
    pub dsn: Option<String>,
}

/// One item.
#[derive(Clone, Debug, PartialEq)]
pub struct Item<'a> {
    /// `event`, `transaction`, `session`, `attachment`, `client_report`, …
    pub kind: String,
    /// The whole item header.
    pub header: Map<String, Value>,
    /// The payload bytes.
    pub payload: &'a [u8],
}

/// A parsed envelope, borrowing its payloads from the body.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<'a> {
    /// The header.
    pub header: EnvelopeHeader,
    /// The items, in order.
    pub items: Vec<Item<'a>>,
}

impl Envelope<'_> {
    /// The payload of the first `event` item, if there is one.
    pub fn event_payload(&self) -> Option<&[u8]> {
        self.items
            .iter()
            .find(|item| item.kind == "event")
            .map(|item| item.payload)
    }
}

/// Splits off one line: the bytes before the next newline, and what follows it.
fn line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|byte| *byte == b'\n') {
        Some(end) => (&bytes[..end], &bytes[end + 1..]),
        None => (bytes, &[]),
    }
}

/// Parses an envelope.
pub fn parse<'a>(body: &'a [u8], limits: &EnvelopeLimits) -> Result<Envelope<'a>, EnvelopeError> {
    let (header_line, mut rest) = line(body);
    if header_line.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let header_value: Value = serde_json::from_slice(header_line)
        .map_err(|error| EnvelopeError::InvalidHeader(error.to_string()))?;
    if !header_value.is_object() {
        return Err(EnvelopeError::InvalidHeader("not an object".into()));
    }
    let header: EnvelopeHeader = serde_json::from_value(header_value)
        .map_err(|error| EnvelopeError::InvalidHeader(error.to_string()))?;
    let mut items = Vec::new();
    loop {
        // Blank lines between items (and a trailing newline) carry nothing.
        while let Some((&b'\n', after)) = rest.split_first() {
            rest = after;
        }
        if rest.is_empty() {
            break;
        }
        let index = items.len();
        if index == limits.max_items {
            return Err(EnvelopeError::TooManyItems {
                limit: limits.max_items,
            });
        }
        let (item_header_line, after_header) = line(rest);
        let item_header: Map<String, Value> = match serde_json::from_slice(item_header_line) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(EnvelopeError::InvalidItemHeader {
                    index,
                    reason: "not an object".into(),
                });
            }
            Err(error) => {
                return Err(EnvelopeError::InvalidItemHeader {
                    index,
                    reason: error.to_string(),
                });
            }
        };
        let kind = match item_header.get("type") {
            Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
            _ => {
                return Err(EnvelopeError::InvalidItemHeader {
                    index,
                    reason: "no string `type`".into(),
                });
            }
        };
        let (payload, after_payload) = match item_header.get("length") {
            Some(length) => {
                let declared = length
                    .as_u64()
                    .and_then(|length| usize::try_from(length).ok())
                    .ok_or_else(|| EnvelopeError::InvalidItemHeader {
                        index,
                        reason: "`length` is not a non-negative integer".into(),
                    })?;
                if declared > limits.max_item_bytes {
                    return Err(EnvelopeError::ItemTooLarge {
                        index,
                        size: declared,
                        limit: limits.max_item_bytes,
                    });
                }
                if declared > after_header.len() {
                    return Err(EnvelopeError::Truncated {
                        index,
                        declared,
                        available: after_header.len(),
                    });
                }
                let (payload, after) = after_header.split_at(declared);
                match after.split_first() {
                    None => (payload, after),
                    Some((&b'\n', after)) => (payload, after),
                    Some(_) => return Err(EnvelopeError::MissingNewline { index }),
                }
            }
            None => line(after_header),
        };
        if payload.len() > limits.max_item_bytes {
            return Err(EnvelopeError::ItemTooLarge {
                index,
                size: payload.len(),
                limit: limits.max_item_bytes,
            });
        }
        items.push(Item {
            kind,
            header: item_header,
            payload,
        });
        rest = after_payload;
    }
    Ok(Envelope { header, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_default(body: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
        parse(body, &EnvelopeLimits::default())
    }

    #[test]
    fn items_with_and_without_lengths_are_read() {
        let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://key@example.com/42\"}\n\
{\"type\":\"attachment\",\"length\":10,\"filename\":\"hello.txt\"}\n\
\xef\xbb\xbfHello\r\n\n\
{\"type\":\"event\"}\n\
{\"message\":\"hello world\",\"level\":\"error\"}\n";
        let envelope = parse_default(body).unwrap();
        assert_eq!(
            envelope.header.event_id.as_deref(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc")
        );
        assert_eq!(
            envelope.header.dsn.as_deref(),
            Some("https://key@example.com/42")
        );
        assert_eq!(envelope.items.len(), 2);
        assert_eq!(envelope.items[0].kind, "attachment");
        assert_eq!(envelope.items[0].payload, b"\xef\xbb\xbfHello\r\n");
        assert_eq!(
            envelope.event_payload(),
            Some(&b"{\"message\":\"hello world\",\"level\":\"error\"}"[..])
        );
    }

    #[test]
    fn a_payload_may_end_the_envelope_without_a_newline() {
        let envelope = parse_default(b"{}\n{\"type\":\"event\",\"length\":2}\n{}").unwrap();
        assert_eq!(envelope.items[0].payload, b"{}");
        let envelope = parse_default(b"{}\n{\"type\":\"session\"}\n{\"sid\":1}").unwrap();
        assert_eq!(envelope.items[0].payload, b"{\"sid\":1}");
        let envelope = parse_default(b"{}").unwrap();
        assert!(envelope.items.is_empty());
    }

    #[test]
    fn a_length_of_zero_is_an_empty_payload() {
        let envelope = parse_default(b"{}\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"event\",\"length\":2}\n{}\n").unwrap();
        assert_eq!(envelope.items.len(), 2);
        assert_eq!(envelope.items[0].payload, b"");
    }

    #[test]
    fn malformed_envelopes_are_refused_with_the_reason() {
        type Expectation = fn(&EnvelopeError) -> bool;
        let cases: &[(&[u8], Expectation)] = &[
            (b"", |error| *error == EnvelopeError::Empty),
            (b"\n\n", |error| *error == EnvelopeError::Empty),
            (b"not json\n", |error| {
                matches!(error, EnvelopeError::InvalidHeader(_))
            }),
            (b"[1,2]\n", |error| {
                matches!(error, EnvelopeError::InvalidHeader(_))
            }),
            (b"{\"event_id\":5}\n", |error| {
                matches!(error, EnvelopeError::InvalidHeader(_))
            }),
            (b"{}\nnot json\n", |error| {
                matches!(error, EnvelopeError::InvalidItemHeader { index: 0, .. })
            }),
            (b"{}\n{\"length\":2}\n{}\n", |error| {
                matches!(error, EnvelopeError::InvalidItemHeader { index: 0, .. })
            }),
            (b"{}\n{\"type\":\"event\",\"length\":-1}\n{}\n", |error| {
                matches!(error, EnvelopeError::InvalidItemHeader { .. })
            }),
            (
                b"{}\n{\"type\":\"event\",\"length\":\"2\"}\n{}\n",
                |error| matches!(error, EnvelopeError::InvalidItemHeader { .. }),
            ),
        ];
        for (body, expected) in cases {
            let error = parse_default(body).unwrap_err();
            assert!(
                expected(&error),
                "{:?}: {error:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn truncated_and_wrongly_sized_items_are_refused() {
        assert_eq!(
            parse_default(b"{}\n{\"type\":\"event\",\"length\":50}\n{\"short\":1}\n").unwrap_err(),
            EnvelopeError::Truncated {
                index: 0,
                declared: 50,
                available: 12
            }
        );
        // The declared length stops inside the payload: what follows is not a newline.
        assert_eq!(
            parse_default(b"{}\n{\"type\":\"event\",\"length\":3}\n{\"a\":1}\n").unwrap_err(),
            EnvelopeError::MissingNewline { index: 0 }
        );
        // The second item is the broken one.
        assert!(matches!(
            parse_default(
                b"{}\n{\"type\":\"session\"}\n{}\n{\"type\":\"event\",\"length\":99}\n{}"
            )
            .unwrap_err(),
            EnvelopeError::Truncated { index: 1, .. }
        ));
    }

    #[test]
    fn limits_bound_items_and_their_size() {
        let limits = EnvelopeLimits {
            max_items: 2,
            max_item_bytes: 8,
        };
        let three = b"{}\n{\"type\":\"a\"}\nx\n{\"type\":\"b\"}\ny\n{\"type\":\"c\"}\nz\n";
        assert_eq!(
            parse(three, &limits).unwrap_err(),
            EnvelopeError::TooManyItems { limit: 2 }
        );
        assert!(matches!(
            parse(
                b"{}\n{\"type\":\"event\",\"length\":9}\n123456789\n",
                &limits
            )
            .unwrap_err(),
            EnvelopeError::ItemTooLarge { size: 9, .. }
        ));
        assert!(matches!(
            parse(b"{}\n{\"type\":\"event\"}\n123456789\n", &limits).unwrap_err(),
            EnvelopeError::ItemTooLarge { size: 9, .. }
        ));
        // A huge declared length is refused before anything is read.
        assert!(matches!(
            parse(
                b"{}\n{\"type\":\"event\",\"length\":18446744073709551615}\n",
                &limits
            )
            .unwrap_err(),
            EnvelopeError::ItemTooLarge { .. } | EnvelopeError::InvalidItemHeader { .. }
        ));
    }
}
