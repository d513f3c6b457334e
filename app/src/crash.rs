//! A crash report (a Sentry event payload), read leniently into what grouping and the dashboard
//! use. Shared by the server, which groups reports, and the dashboard, which shows them.
//!
//! SDKs in every language send slightly different shapes (`exception` as an object with `values`
//! or as a bare list, `message` as a string or an object, `tags` as a map or as pairs), so the
//! payload is read as JSON and picked apart field by field; a field of an unexpected shape is
//! ignored rather than failing the event. Only a payload that is not a JSON object, or one over the
//! limits, is refused.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A crash report as stored with its ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCrashEvent {
    /// Its place among the ticket's reports, from 1.
    pub sequence: u64,
    /// The client's event id.
    pub event_id: String,
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// The event as the client sent it.
    pub event: Value,
}

/// The most frames one stack trace may have.
pub const MAX_FRAMES: usize = 500;
/// The most exceptions in one chain.
pub const MAX_EXCEPTIONS: usize = 50;
/// The longest label kept from a report (release, environment, platform, user, a tag's key or
/// value, a fingerprint's part, an exception's type, a breadcrumb's category); longer ones are
/// cut and end in `…`. A report is the client's to shape, and whoever holds a DSN is a stranger:
/// what it says becomes a ticket's fields, words and index keys only within these bounds.
pub const MAX_LABEL_CHARS: usize = 200;
/// The longest message, exception value or breadcrumb message kept.
pub const MAX_MESSAGE_CHARS: usize = 8_192;
/// The longest function, module or file name of a frame kept.
pub const MAX_FRAME_NAME_CHARS: usize = 512;
/// The most tags kept from one report (the first ones).
pub const MAX_TAGS: usize = 100;
/// The most parts of a client's fingerprint kept (the first ones).
pub const MAX_FINGERPRINT_PARTS: usize = 32;

/// How severe an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The program died.
    Fatal,
    /// An error.
    Error,
    /// A warning.
    Warning,
    /// Information.
    Info,
    /// Debugging output.
    Debug,
}

impl Level {
    fn parse(text: &str) -> Level {
        match text.to_ascii_lowercase().as_str() {
            "fatal" | "critical" => Level::Fatal,
            "warning" | "warn" => Level::Warning,
            "info" | "log" => Level::Info,
            "debug" => Level::Debug,
            _ => Level::Error,
        }
    }
}

/// One stack frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// The function, as the SDK names it.
    pub function: Option<String>,
    /// The module or package.
    pub module: Option<String>,
    /// The source file.
    pub filename: Option<String>,
    /// The line.
    pub lineno: Option<u64>,
    /// Whether the frame is the application's own code (`None`: the SDK did not say).
    pub in_app: Option<bool>,
}

/// One exception of a chain.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exception {
    /// The exception's type (`ValueError`, `panic`, `ConnectionRefused`).
    pub kind: String,
    /// Its message.
    pub value: String,
    /// The module that defines the type.
    pub module: Option<String>,
    /// Its stack trace, outermost call first (the crash site last).
    pub frames: Vec<Frame>,
}

/// A log message and, where the SDK sent one, its template before formatting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Message {
    /// The message as shown.
    pub formatted: String,
    /// The template (`Connection to %s failed`), if known.
    pub template: Option<String>,
}

/// The parts of an event that the help desk uses.
#[derive(Clone, Debug, PartialEq)]
pub struct CrashEvent {
    /// The client's event id (32 hex digits).
    pub event_id: Option<String>,
    /// Severity.
    pub level: Level,
    /// `rust`, `python`, `node`, …
    pub platform: Option<String>,
    /// A log message, for events without an exception.
    pub message: Option<Message>,
    /// The exception chain, causes first: the last one is the primary exception.
    pub exceptions: Vec<Exception>,
    /// The client's own grouping, if it sent one.
    pub fingerprint: Option<Vec<String>>,
    /// The application release.
    pub release: Option<String>,
    /// The deployment environment.
    pub environment: Option<String>,
    /// Who was affected: user id, email or name.
    pub user: Option<String>,
    /// Tags: a map's in key order, pairs in the order sent.
    pub tags: Vec<(String, String)>,
    /// What happened just before, oldest first.
    pub breadcrumbs: Vec<Breadcrumb>,
}

/// One thing that happened before the crash.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breadcrumb {
    /// When (as the client sent it).
    pub timestamp: Option<String>,
    /// Its kind (`http`, `query`, `navigation`, a log target).
    pub category: Option<String>,
    /// What happened.
    pub message: Option<String>,
    /// How severe.
    pub level: Option<String>,
}

/// The most breadcrumbs kept from one report.
pub const MAX_BREADCRUMBS: usize = 100;

/// Why an event payload was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not JSON, or not a JSON object.
    #[error("the event is not a JSON object: {0}")]
    NotAnObject(String),
    /// A stack trace over [`MAX_FRAMES`].
    #[error("a stack trace has {0} frames; the limit is {MAX_FRAMES}")]
    TooManyFrames(usize),
    /// An exception chain over [`MAX_EXCEPTIONS`].
    #[error("the exception chain has {0} exceptions; the limit is {MAX_EXCEPTIONS}")]
    TooManyExceptions(usize),
    /// An `event_id` that is not 32 hex digits (a UUID, with or without dashes).
    #[error("the event_id is not 32 hex digits (a UUID)")]
    MalformedEventId,
}

/// `text` cut to `max_chars` characters, the last of which is then `…`.
pub fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some(_) => {
            let mut short: String = text.chars().take(max_chars.saturating_sub(1)).collect();
            short.push('…');
            short
        }
    }
}

/// A string or number field as text, cut to `max_chars`; nothing for an empty or other value.
fn text(value: Option<&Value>, max_chars: usize) -> Option<String> {
    match value? {
        Value::String(text) if !text.is_empty() => Some(cut(text, max_chars)),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn label(value: Option<&Value>) -> Option<String> {
    text(value, MAX_LABEL_CHARS)
}

/// An event id as the server keeps it: 32 lower-case hex digits. Accepts a UUID with or without
/// its dashes, in either case; anything else is not an event id.
pub fn event_id(text: &str) -> Option<String> {
    let digits: String = if text.len() == 36 {
        let dashes_in_place = text
            .char_indices()
            .all(|(index, character)| (character == '-') == matches!(index, 8 | 13 | 18 | 23));
        if !dashes_in_place {
            return None;
        }
        text.chars().filter(|character| *character != '-').collect()
    } else {
        text.to_string()
    };
    (digits.len() == 32 && digits.bytes().all(|byte| byte.is_ascii_hexdigit()))
        .then(|| digits.to_ascii_lowercase())
}

/// The event's own id, if it has one: refused when it is not an event id.
fn own_event_id(value: Option<&Value>) -> Result<Option<String>, EventError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => event_id(text).map(Some).ok_or(EventError::MalformedEventId),
        Some(_) => Err(EventError::MalformedEventId),
    }
}

/// `{"values": [...]}` or a bare list, as SDKs send both.
fn values(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Object(map)) => match map.get("values") {
            Some(Value::Array(items)) => items,
            _ => &[],
        },
        _ => &[],
    }
}

fn frames(stacktrace: Option<&Value>) -> Result<Vec<Frame>, EventError> {
    let Some(Value::Array(frames)) = stacktrace.and_then(|trace| trace.get("frames")) else {
        return Ok(Vec::new());
    };
    if frames.len() > MAX_FRAMES {
        return Err(EventError::TooManyFrames(frames.len()));
    }
    Ok(frames
        .iter()
        .filter(|frame| frame.is_object())
        .map(|frame| Frame {
            function: text(frame.get("function"), MAX_FRAME_NAME_CHARS),
            module: text(frame.get("module"), MAX_FRAME_NAME_CHARS),
            filename: text(frame.get("filename"), MAX_FRAME_NAME_CHARS)
                .or_else(|| text(frame.get("abs_path"), MAX_FRAME_NAME_CHARS)),
            lineno: frame.get("lineno").and_then(Value::as_u64),
            in_app: frame.get("in_app").and_then(Value::as_bool),
        })
        .collect())
}

fn message(event: &Value) -> Option<Message> {
    let from_object = |object: &Value| {
        let template = text(object.get("message"), MAX_MESSAGE_CHARS);
        let formatted =
            text(object.get("formatted"), MAX_MESSAGE_CHARS).or_else(|| template.clone())?;
        Some(Message {
            formatted,
            template,
        })
    };
    if let Some(message) = event
        .get("logentry")
        .filter(|entry| entry.is_object())
        .and_then(from_object)
    {
        return Some(message);
    }
    match event.get("message") {
        Some(Value::String(formatted)) if !formatted.is_empty() => Some(Message {
            formatted: cut(formatted, MAX_MESSAGE_CHARS),
            template: None,
        }),
        Some(object @ Value::Object(_)) => from_object(object),
        _ => None,
    }
}

fn tags(value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(key, value)| Some((cut(key, MAX_LABEL_CHARS), label(Some(value))?)))
            .take(MAX_TAGS)
            .collect(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .filter_map(|pair| match pair {
                Value::Array(parts) if parts.len() == 2 => {
                    Some((label(parts.first())?, label(parts.get(1))?))
                }
                _ => None,
            })
            .take(MAX_TAGS)
            .collect(),
        _ => Vec::new(),
    }
}

impl CrashEvent {
    /// Reads an event payload.
    pub fn from_json(payload: &[u8]) -> Result<CrashEvent, EventError> {
        let event: Value = serde_json::from_slice(payload)
            .map_err(|error| EventError::NotAnObject(error.to_string()))?;
        CrashEvent::from_value(&event)
    }

    /// Reads an event already parsed as JSON.
    pub fn from_value(event: &Value) -> Result<CrashEvent, EventError> {
        if !event.is_object() {
            return Err(EventError::NotAnObject("not an object".into()));
        }
        let raw_exceptions = values(event.get("exception"));
        if raw_exceptions.len() > MAX_EXCEPTIONS {
            return Err(EventError::TooManyExceptions(raw_exceptions.len()));
        }
        let mut exceptions = Vec::with_capacity(raw_exceptions.len());
        for exception in raw_exceptions.iter().filter(|value| value.is_object()) {
            exceptions.push(Exception {
                kind: label(exception.get("type")).unwrap_or_else(|| "Error".to_string()),
                value: text(exception.get("value"), MAX_MESSAGE_CHARS).unwrap_or_default(),
                module: text(exception.get("module"), MAX_FRAME_NAME_CHARS),
                frames: frames(exception.get("stacktrace"))?,
            });
        }
        // A thread's stack trace stands in for an exception's when the exception has none.
        if let Some(last) = exceptions.last_mut()
            && last.frames.is_empty()
        {
            last.frames = frames(event.get("stacktrace"))?;
        }
        let fingerprint = match event.get("fingerprint") {
            Some(Value::Array(parts)) if !parts.is_empty() => Some(
                parts
                    .iter()
                    .filter_map(|part| label(Some(part)))
                    .take(MAX_FINGERPRINT_PARTS)
                    .collect::<Vec<_>>(),
            )
            .filter(|parts| !parts.is_empty()),
            _ => None,
        };
        let user = event.get("user").and_then(|user| {
            label(user.get("email"))
                .or_else(|| label(user.get("id")))
                .or_else(|| label(user.get("username")))
                .or_else(|| label(user.get("ip_address")))
        });
        Ok(CrashEvent {
            event_id: own_event_id(event.get("event_id"))?,
            level: label(event.get("level"))
                .map(|level| Level::parse(&level))
                .unwrap_or(Level::Error),
            platform: label(event.get("platform")),
            message: message(event),
            exceptions,
            fingerprint,
            release: label(event.get("release")),
            environment: label(event.get("environment")),
            user,
            tags: tags(event.get("tags")),
            breadcrumbs: values(event.get("breadcrumbs"))
                .iter()
                .rev()
                .take(MAX_BREADCRUMBS)
                .rev()
                .filter(|crumb| crumb.is_object())
                .map(|crumb| Breadcrumb {
                    timestamp: label(crumb.get("timestamp")),
                    category: label(crumb.get("category")).or_else(|| label(crumb.get("type"))),
                    message: text(crumb.get("message"), MAX_MESSAGE_CHARS),
                    level: label(crumb.get("level")),
                })
                .collect(),
        })
    }

    /// The primary exception: the last of the chain.
    pub fn primary_exception(&self) -> Option<&Exception> {
        self.exceptions.last()
    }
}

/// How many reports a crash ticket received within one hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourCount {
    /// The hour, counted in hours since the Unix epoch (UTC).
    pub hour: i64,
    /// Reports received within it.
    pub count: u64,
}

/// A crash ticket's reports over time, as the ticket page charts them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceHistory {
    /// The hour the history ends with (the server's current hour), in hours since the epoch.
    pub current_hour: i64,
    /// Reports per hour, oldest first; hours without reports are left out.
    pub hours: Vec<HourCount>,
}

/// How far back the ticket page charts reports, in days.
pub const CHARTED_DAYS: i64 = 30;

impl OccurrenceHistory {
    /// Reports in each of the last `count` hours, oldest first, ending with the current hour.
    pub fn last_hours(&self, count: usize) -> Vec<u64> {
        self.buckets(count, 1)
    }

    /// Reports in each of the last `count` days (UTC), oldest first, ending with today.
    pub fn last_days(&self, count: usize) -> Vec<u64> {
        self.buckets(count, 24)
    }

    /// `count` buckets of `width` hours; buckets of a day begin at midnight UTC.
    fn buckets(&self, count: usize, width: i64) -> Vec<u64> {
        let mut buckets = vec![0; count];
        let current = self.current_hour.div_euclid(width);
        for hour in &self.hours {
            let age = current - hour.hour.div_euclid(width);
            if (0..count as i64).contains(&age) {
                buckets[count - 1 - age as usize] += hour.count;
            }
        }
        buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_style_event_is_read() {
        let event = CrashEvent::from_json(
            br#"{
                "event_id": "fc6d8c0c43fc4630ad850ee518f1b9d0",
                "level": "error", "platform": "python", "release": "shop@1.4.2",
                "environment": "production",
                "user": {"id": "42", "email": "ada@example.com"},
                "tags": {"region": "eu", "attempt": 3},
                "exception": {"values": [{
                    "type": "ConnectionRefusedError", "value": "[Errno 111] Connection refused",
                    "module": "builtins",
                    "stacktrace": {"frames": [
                        {"function": "main", "module": "shop.cli", "lineno": 10, "in_app": true},
                        {"function": "connect", "module": "shop.db", "lineno": 88, "in_app": true},
                        {"function": "create_connection", "module": "socket", "in_app": false}
                    ]}
                }]}
            }"#,
        )
        .unwrap();
        assert_eq!(event.level, Level::Error);
        assert_eq!(event.release.as_deref(), Some("shop@1.4.2"));
        assert_eq!(event.user.as_deref(), Some("ada@example.com"));
        assert_eq!(
            event.tags,
            [
                ("attempt".into(), "3".into()),
                ("region".into(), "eu".into())
            ]
        );
        let exception = event.primary_exception().unwrap();
        assert_eq!(exception.kind, "ConnectionRefusedError");
        assert_eq!(exception.frames.len(), 3);
        assert_eq!(exception.frames[1].function.as_deref(), Some("connect"));
        assert_eq!(exception.frames[1].in_app, Some(true));
    }

    #[test]
    fn other_shapes_of_the_same_fields_are_read_too() {
        let event = CrashEvent::from_json(
            br#"{
                "level": "FATAL",
                "exception": [{"type": "panic", "value": "boom"}],
                "stacktrace": {"frames": [{"function": "app::run"}]},
                "tags": [["a", "1"], ["bad"], 7],
                "logentry": {"message": "Lost %s", "formatted": "Lost db"},
                "fingerprint": ["{{ default }}", "db"]
            }"#,
        )
        .unwrap();
        assert_eq!(event.level, Level::Fatal);
        assert_eq!(
            event.exceptions[0].frames[0].function.as_deref(),
            Some("app::run")
        );
        assert_eq!(event.tags, [("a".into(), "1".into())]);
        assert_eq!(
            event.message,
            Some(Message {
                formatted: "Lost db".into(),
                template: Some("Lost %s".into())
            })
        );
        assert_eq!(
            event.fingerprint,
            Some(vec!["{{ default }}".into(), "db".into()])
        );
        let plain = CrashEvent::from_json(br#"{"message": "disk full", "exception": 5}"#).unwrap();
        assert_eq!(plain.message.unwrap().formatted, "disk full");
        assert!(plain.exceptions.is_empty());
    }

    #[test]
    fn payloads_that_are_not_objects_or_too_big_are_refused() {
        for payload in [&b"[]"[..], b"\"event\"", b"{", b"", b"\xff\xfe"] {
            assert!(matches!(
                CrashEvent::from_json(payload),
                Err(EventError::NotAnObject(_))
            ));
        }
        let frames: Vec<String> = (0..=MAX_FRAMES)
            .map(|_| r#"{"function":"f"}"#.to_string())
            .collect();
        let deep = format!(
            r#"{{"exception":{{"values":[{{"type":"E","stacktrace":{{"frames":[{}]}}}}]}}}}"#,
            frames.join(",")
        );
        assert_eq!(
            CrashEvent::from_json(deep.as_bytes()),
            Err(EventError::TooManyFrames(MAX_FRAMES + 1))
        );
    }

    #[test]
    fn every_string_a_client_sends_is_cut_to_its_bound() {
        let huge = "word ".repeat(200_000);
        let event = serde_json::json!({
            "user": {"id": huge}, "release": huge, "environment": huge, "platform": huge,
            "level": huge, "message": huge, "fingerprint": vec![huge.clone(); 100],
            "tags": {huge.clone(): huge.clone(), "customer": huge.clone()},
            "exception": {"values": [{"type": huge, "value": huge, "module": huge,
                "stacktrace": {"frames": [{"function": huge, "module": huge, "filename": huge}]}}]},
            "breadcrumbs": [{"message": huge, "category": huge, "level": huge, "timestamp": huge}],
        });
        let event = CrashEvent::from_value(&event).unwrap();
        let labels = [
            event.user.as_deref(),
            event.release.as_deref(),
            event.environment.as_deref(),
            event.platform.as_deref(),
            Some(event.exceptions[0].kind.as_str()),
            event.breadcrumbs[0].category.as_deref(),
        ];
        for label in labels {
            let label = label.unwrap();
            assert_eq!(label.chars().count(), MAX_LABEL_CHARS);
            assert!(label.ends_with('…'));
        }
        assert!(event.tags.iter().all(|(key, value)| {
            key.chars().count() <= MAX_LABEL_CHARS && value.chars().count() <= MAX_LABEL_CHARS
        }));
        let parts = event.fingerprint.unwrap();
        assert_eq!(parts.len(), MAX_FINGERPRINT_PARTS);
        assert!(
            parts
                .iter()
                .all(|part| part.chars().count() == MAX_LABEL_CHARS)
        );
        assert_eq!(
            event.message.unwrap().formatted.chars().count(),
            MAX_MESSAGE_CHARS
        );
        assert_eq!(event.exceptions[0].value.chars().count(), MAX_MESSAGE_CHARS);
        let frame = &event.exceptions[0].frames[0];
        for name in [&frame.function, &frame.module, &frame.filename] {
            assert_eq!(name.as_ref().unwrap().chars().count(), MAX_FRAME_NAME_CHARS);
        }
        let many_tags: serde_json::Map<String, Value> = (0..1_000)
            .map(|index| (format!("tag{index:04}"), Value::from("x")))
            .collect();
        let event = CrashEvent::from_value(&serde_json::json!({ "tags": many_tags })).unwrap();
        assert_eq!(event.tags.len(), MAX_TAGS);
    }

    #[test]
    fn short_strings_are_kept_whole_and_cuts_fall_between_characters() {
        assert_eq!(cut("shop@1.2.0", MAX_LABEL_CHARS), "shop@1.2.0");
        assert_eq!(cut("ééééé", 5), "ééééé");
        assert_eq!(cut("éééééé", 5), "éééé…");
    }

    #[test]
    fn an_event_id_is_32_hex_digits_or_a_uuid_and_nothing_else() {
        assert_eq!(
            event_id("FC6D8C0C43FC4630AD850EE518F1B9D0").as_deref(),
            Some("fc6d8c0c43fc4630ad850ee518f1b9d0")
        );
        assert_eq!(
            event_id("fc6d8c0c-43fc-4630-ad85-0ee518f1b9d0").as_deref(),
            Some("fc6d8c0c43fc4630ad850ee518f1b9d0")
        );
        for wrong in [
            "",
            "abc",
            "fc6d8c0c43fc4630ad850ee518f1b9d0ff",
            "zc6d8c0c43fc4630ad850ee518f1b9d0",
            "fc6d8c0c43fc-4630-ad85-0ee518f1b9d0",
            "fc6d8c0c-43fc-4630-ad85-0ee518f1b9dé",
        ] {
            assert_eq!(event_id(wrong), None, "{wrong}");
        }
        for payload in [
            &br#"{"event_id": "not an id"}"#[..],
            br#"{"event_id": 42}"#,
            br#"{"event_id": ["fc6d8c0c43fc4630ad850ee518f1b9d0"]}"#,
        ] {
            assert_eq!(
                CrashEvent::from_json(payload),
                Err(EventError::MalformedEventId)
            );
        }
        let without = CrashEvent::from_json(br#"{"event_id": null}"#).unwrap();
        assert_eq!(without.event_id, None);
    }

    #[test]
    fn reports_are_charted_by_hour_and_by_day_ending_now() {
        // Hour 48 is midnight of the third day since the epoch.
        let history = OccurrenceHistory {
            current_hour: 49,
            hours: vec![
                HourCount { hour: 10, count: 7 },
                HourCount { hour: 47, count: 2 },
                HourCount { hour: 48, count: 3 },
                HourCount { hour: 49, count: 4 },
            ],
        };
        assert_eq!(history.last_hours(3), vec![2, 3, 4]);
        assert_eq!(history.last_hours(1), vec![4]);
        // Today (hours 48 and 49), yesterday (hour 47), the day before (hour 10).
        assert_eq!(history.last_days(3), vec![7, 2, 7]);
        assert_eq!(history.last_days(2), vec![2, 7]);
    }

    #[test]
    fn reports_from_the_future_or_long_ago_are_left_out_of_the_chart() {
        let history = OccurrenceHistory {
            current_hour: 100,
            hours: vec![
                HourCount {
                    hour: 101,
                    count: 9,
                },
                HourCount { hour: 50, count: 5 },
            ],
        };
        assert_eq!(history.last_hours(24), vec![0; 24]);
    }
}
