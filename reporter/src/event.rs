//! The reports we send, as the Sentry protocol spells them: events inside envelopes.

use serde::Serialize;
use std::collections::BTreeMap;

/// How severe a report is. The server makes fatal reports high-urgency tickets, errors medium and
/// warnings low.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Diagnostic detail.
    Debug,
    /// Something worth knowing.
    Info,
    /// Something went wrong, and the program carried on.
    Warning,
    /// An operation failed.
    Error,
    /// The program cannot go on (panics).
    Fatal,
}

/// Who was affected: shown on the ticket, and the customer it is filed for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's id in the host application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Their email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The customer (organisation) they belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
}

/// Something that happened before a report, sent along with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breadcrumb {
    /// When, in RFC 3339.
    pub timestamp: String,
    /// Where it came from, such as a module or `http`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What happened.
    pub message: String,
    /// How severe it was.
    pub level: Level,
}

impl Breadcrumb {
    /// A breadcrumb stamped now.
    pub fn new(category: Option<String>, message: impl Into<String>, level: Level) -> Breadcrumb {
        Breadcrumb {
            timestamp: now_rfc3339(),
            category,
            message: message.into(),
            level,
        }
    }
}

/// One frame of a stack trace, outermost first in a list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// The demangled function name, without its symbol hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The source file, shortened to what is useful to read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The source file's full path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abs_path: Option<String>,
    /// The line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineno: Option<u32>,
    /// The column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colno: Option<u32>,
    /// Whether it is the application's own code rather than a library's.
    pub in_app: bool,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Stacktrace {
    pub frames: Vec<Frame>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Mechanism {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub handled: bool,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Exception {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<Stacktrace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<Mechanism>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Values<T> {
    pub values: Vec<T>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct LogEntry {
    /// The message without the values that vary between reports, when they are known apart:
    /// the server groups reports by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub formatted: String,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sdk {
    pub name: &'static str,
    pub version: &'static str,
}

/// A report, as sent.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Event {
    pub event_id: String,
    pub timestamp: String,
    pub platform: &'static str,
    pub level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logger: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logentry: Option<LogEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Values<Exception>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadcrumbs: Option<Values<Breadcrumb>>,
    pub contexts: BTreeMap<&'static str, serde_json::Value>,
    pub sdk: Sdk,
}

impl Event {
    /// A new event of `level` with a fresh id, stamped now.
    pub fn new(level: Level) -> Event {
        let mut contexts = BTreeMap::new();
        contexts.insert(
            "os",
            serde_json::json!({ "type": "os", "name": std::env::consts::OS }),
        );
        contexts.insert(
            "device",
            serde_json::json!({ "type": "device", "arch": std::env::consts::ARCH }),
        );
        Event {
            event_id: new_event_id(),
            timestamp: now_rfc3339(),
            platform: "rust",
            level,
            logger: None,
            logentry: None,
            exception: None,
            release: None,
            environment: None,
            server_name: None,
            user: None,
            tags: BTreeMap::new(),
            extra: BTreeMap::new(),
            breadcrumbs: None,
            contexts,
            sdk: Sdk {
                name: "helpdesk.reporter",
                version: env!("CARGO_PKG_VERSION"),
            },
        }
    }

    /// The event inside an envelope addressed to `dsn`: a header line, an item header line and the
    /// event, as the Sentry envelope format has them.
    pub fn to_envelope(&self, dsn: &str) -> Vec<u8> {
        let payload = serde_json::to_vec(self).expect("events always serialise");
        let header = serde_json::json!({ "event_id": self.event_id, "dsn": dsn });
        let mut envelope = serde_json::to_vec(&header).expect("headers always serialise");
        envelope.push(b'\n');
        envelope.extend(
            serde_json::to_vec(&serde_json::json!({ "type": "event", "length": payload.len() }))
                .expect("headers always serialise"),
        );
        envelope.push(b'\n');
        envelope.extend(payload);
        envelope.push(b'\n');
        envelope
    }
}

/// A random 128-bit id in 32 hex digits, the form Sentry's event ids take.
pub(crate) fn new_event_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness from the system: the time and a counter still make ids that differ.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&(count ^ u64::from(std::process::id())).to_le_bytes());
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The exception type of an error: the kind of an I/O error (`ConnectionRefused`), otherwise the
/// name its `Debug` output starts with (`ParseIntError`, `Timeout`), otherwise `Error`.
pub(crate) fn error_type(error: &(dyn std::error::Error + 'static)) -> String {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return format!("{:?}", io.kind());
    }
    let debug = format!("{error:?}");
    let name: String = debug
        .chars()
        .take_while(|character| {
            character.is_alphanumeric() || *character == '_' || *character == ':'
        })
        .collect();
    let name = name.trim_end_matches(':');
    if name.is_empty() || name.chars().all(|character| character.is_ascii_digit()) {
        "Error".to_string()
    } else {
        name.rsplit("::").next().unwrap_or(name).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Timeout;

    impl std::fmt::Display for Timeout {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("the query took too long")
        }
    }

    impl std::error::Error for Timeout {}

    #[test]
    fn error_types_come_from_the_io_kind_or_the_debug_name() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(error_type(&refused), "ConnectionRefused");
        let parse = "x".parse::<u32>().unwrap_err();
        assert_eq!(error_type(&parse), "ParseIntError");
        assert_eq!(error_type(&Timeout), "Timeout");
    }

    #[test]
    fn an_envelope_has_a_header_an_item_header_and_the_event_of_the_stated_length() {
        let mut event = Event::new(Level::Error);
        event.logentry = Some(LogEntry {
            message: None,
            formatted: "disk full".into(),
        });
        let envelope = event.to_envelope("http://key@host/1");
        let text = String::from_utf8(envelope).unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        let header: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(header["event_id"], event.event_id.as_str());
        assert_eq!(header["dsn"], "http://key@host/1");
        let item: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(item["type"], "event");
        assert_eq!(item["length"].as_u64().unwrap() as usize, lines[2].len());
        let payload: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(payload["logentry"]["formatted"], "disk full");
        assert_eq!(payload["level"], "error");
        assert_eq!(payload["platform"], "rust");
    }

    #[test]
    fn event_ids_are_32_hex_digits_and_differ() {
        let first = new_event_id();
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|character| character.is_ascii_hexdigit()));
        assert_ne!(first, new_event_id());
    }
}
