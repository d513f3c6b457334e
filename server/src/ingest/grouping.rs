//! Grouping: which problem an event is, what its ticket is called, and how urgent it is.
//!
//! The fingerprint of an event is, in order of preference:
//! 1. the client's own `fingerprint`, where `{{ default }}` stands for the default below;
//! 2. the primary (last) exception's type plus its in-app frames, each as module and function
//!    with Rust symbol hashes stripped and closures unnumbered, line numbers and files ignored,
//!    and direct recursion collapsed, so that a rebuild or a shifted line keeps the group;
//! 3. the exception's type and its message with numbers masked;
//! 4. the log message's template (or its text with numbers masked).
//!
//! The parts are hashed, so a fingerprint is a fixed-size key whatever the event.

use app::crash::{CrashEvent, Exception, Frame, Level};
use app::model::Urgency;
use sha2::{Digest, Sha256};

/// What grouping decided about an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouping {
    /// 32 hex digits naming the problem.
    pub fingerprint: String,
    /// A readable ticket title.
    pub title: String,
    /// The function where it happened, if known.
    pub culprit: Option<String>,
    /// The urgency of a new ticket for it.
    pub urgency: Urgency,
}

/// The longest title, in characters.
const MAX_TITLE_CHARS: usize = 150;

/// Groups an event.
pub fn group(event: &CrashEvent) -> Grouping {
    let default = default_parts(event);
    let parts = match &event.fingerprint {
        Some(custom) => {
            let mut parts = vec!["custom".to_string()];
            for part in custom {
                if is_default_marker(part) {
                    parts.extend(default.iter().cloned());
                } else {
                    parts.push(part.clone());
                }
            }
            parts
        }
        None => default,
    };
    let culprit = event.primary_exception().and_then(|exception| {
        significant_frames(exception)
            .last()
            .map(|frame| frame_key(frame))
    });
    Grouping {
        fingerprint: hash(&parts),
        title: title(event, culprit.as_deref()),
        culprit,
        urgency: urgency(event),
    }
}

fn is_default_marker(part: &str) -> bool {
    part.strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .is_some_and(|inner| inner.trim() == "default")
}

fn hash(parts: &[String]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn default_parts(event: &CrashEvent) -> Vec<String> {
    if let Some(exception) = event.primary_exception() {
        let frames = significant_frames(exception);
        let mut parts = vec!["exception".to_string(), exception.kind.clone()];
        if frames.is_empty() {
            parts.push(mask_numbers(first_line(&exception.value)));
            return parts;
        }
        for key in frames.iter().map(|frame| frame_key(frame)) {
            // Direct recursion: the same function calling itself is one frame.
            if parts.last() != Some(&key) {
                parts.push(key);
            }
        }
        return parts;
    }
    if let Some(message) = &event.message {
        let text = match &message.template {
            Some(template) => template.clone(),
            None => mask_numbers(&message.formatted),
        };
        return vec!["message".to_string(), text];
    }
    vec!["nothing".to_string()]
}

/// The frames that identify the problem: the application's own. When the SDK marked none as the
/// application's (and none as not), every frame counts; when it marked them all as library code,
/// none do.
fn significant_frames(exception: &Exception) -> Vec<&Frame> {
    let in_app: Vec<&Frame> = exception
        .frames
        .iter()
        .filter(|frame| frame.in_app == Some(true))
        .collect();
    if !in_app.is_empty() {
        return in_app;
    }
    if exception.frames.iter().all(|frame| frame.in_app.is_none()) {
        return exception
            .frames
            .iter()
            .filter(|frame| frame.function.is_some() || frame.module.is_some())
            .collect();
    }
    Vec::new()
}

/// A frame as it takes part in grouping: module and normalized function, no line.
fn frame_key(frame: &Frame) -> String {
    let function = frame.function.as_deref().map(normalize_function);
    match (frame.module.as_deref(), function) {
        (Some(module), Some(function)) if !function.starts_with(module) => {
            format!("{module}::{function}")
        }
        (_, Some(function)) => function,
        (Some(module), None) => module.to_string(),
        (None, None) => frame.filename.clone().unwrap_or_default(),
    }
}

/// Strips what changes between builds of the same code from a function name: Rust's symbol
/// hash (`::h0123456789abcdef`) and closure numbers (`{closure#2}`).
pub fn normalize_function(name: &str) -> String {
    let mut name = name.trim();
    if let Some((before, hash)) = name.rsplit_once("::h")
        && hash.len() == 16
        && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
    {
        name = before;
    }
    let mut normalized = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(start) = rest.find("{closure#") {
        normalized.push_str(&rest[..start]);
        normalized.push_str("{closure}");
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    normalized.push_str(rest);
    normalized.replace("{{closure}}", "{closure}")
}

/// Replaces every run of digits with `<n>`, so that ids and counts do not split a group.
fn mask_numbers(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut in_number = false;
    for character in text.chars() {
        if character.is_ascii_digit() {
            if !in_number {
                masked.push_str("<n>");
            }
            in_number = true;
        } else {
            masked.push(character);
            in_number = false;
        }
    }
    masked
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

fn shorten(text: String) -> String {
    if text.chars().count() <= MAX_TITLE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_TITLE_CHARS - 1).collect();
    short.push('…');
    short
}

fn title(event: &CrashEvent, culprit: Option<&str>) -> String {
    if let Some(exception) = event.primary_exception() {
        let value = first_line(&exception.value);
        let title = match (exception.kind.as_str(), culprit, value.is_empty()) {
            ("panic", _, false) => format!("panic: {value}"),
            (kind, Some(culprit), _) => format!("{kind} in {culprit}"),
            (kind, None, false) => format!("{kind}: {value}"),
            (kind, None, true) => kind.to_string(),
        };
        return shorten(title);
    }
    match &event.message {
        Some(message) if !first_line(&message.formatted).is_empty() => {
            shorten(first_line(&message.formatted).to_string())
        }
        _ => "Event without a message".to_string(),
    }
}

fn urgency(event: &CrashEvent) -> Urgency {
    let panicked = event
        .primary_exception()
        .is_some_and(|exception| exception.kind == "panic");
    match event.level {
        _ if panicked => Urgency::High,
        Level::Fatal => Urgency::High,
        Level::Error => Urgency::Medium,
        Level::Warning => Urgency::Low,
        Level::Info | Level::Debug => Urgency::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::crash::Message;

    fn frame(function: &str, line: u64, in_app: bool) -> Frame {
        Frame {
            function: Some(function.into()),
            module: None,
            filename: Some(format!("/build/{line}/src/lib.rs")),
            lineno: Some(line),
            in_app: Some(in_app),
        }
    }

    fn panic_event(value: &str, frames: Vec<Frame>) -> CrashEvent {
        CrashEvent {
            event_id: None,
            level: Level::Fatal,
            platform: Some("rust".into()),
            message: None,
            exceptions: vec![Exception {
                kind: "panic".into(),
                value: value.into(),
                module: None,
                frames,
            }],
            fingerprint: None,
            release: None,
            environment: None,
            user: None,
            tags: Vec::new(),
            breadcrumbs: Vec::new(),
        }
    }

    #[test]
    fn the_same_bug_in_two_builds_is_one_group() {
        let build_one = panic_event(
            "index out of bounds: the len is 3 but the index is 5",
            vec![
                frame("std::rt::lang_start::h5f1a2b3c4d5e6f70", 1, false),
                frame("shop::main::h0123456789abcdef", 12, true),
                frame(
                    "shop::cart::total::{closure#0}::h1111111111111111",
                    40,
                    true,
                ),
                frame(
                    "core::panicking::panic_bounds_check::h2222222222222222",
                    9,
                    false,
                ),
            ],
        );
        let build_two = panic_event(
            "index out of bounds: the len is 4 but the index is 9",
            vec![
                frame("std::rt::lang_start::h9999999999999999", 1, false),
                frame("shop::main::hfedcba9876543210", 14, true),
                frame(
                    "shop::cart::total::{closure#1}::h3333333333333333",
                    47,
                    true,
                ),
                frame(
                    "core::panicking::panic_bounds_check::h4444444444444444",
                    9,
                    false,
                ),
            ],
        );
        let (one, two) = (group(&build_one), group(&build_two));
        assert_eq!(one.fingerprint, two.fingerprint);
        assert_eq!(one.fingerprint.len(), 32);
        assert_eq!(
            one.title,
            "panic: index out of bounds: the len is 3 but the index is 5"
        );
        assert_eq!(one.culprit.as_deref(), Some("shop::cart::total::{closure}"));
        assert_eq!(one.urgency, Urgency::High);
    }

    #[test]
    fn different_bugs_are_different_groups() {
        let cart = panic_event("boom", vec![frame("shop::cart::total", 1, true)]);
        let login = panic_event("boom", vec![frame("shop::login::check", 1, true)]);
        assert_ne!(group(&cart).fingerprint, group(&login).fingerprint);
        let mut other_type = cart.clone();
        other_type.exceptions[0].kind = "ConnectionRefused".into();
        assert_ne!(group(&cart).fingerprint, group(&other_type).fingerprint);
    }

    #[test]
    fn direct_recursion_is_collapsed() {
        let shallow = panic_event(
            "stack",
            vec![frame("walk", 1, true), frame("walk", 2, true)],
        );
        let deep = panic_event(
            "stack",
            vec![
                frame("walk", 1, true),
                frame("walk", 2, true),
                frame("walk", 3, true),
                frame("walk", 4, true),
            ],
        );
        assert_eq!(group(&shallow).fingerprint, group(&deep).fingerprint);
    }

    #[test]
    fn without_in_app_frames_the_type_and_the_masked_value_group() {
        let library_only = |value: &str| {
            let mut event = panic_event(value, vec![frame("tokio::run", 1, false)]);
            event.exceptions[0].kind = "TimeoutError".into();
            event.level = Level::Error;
            event
        };
        let first = group(&library_only("timed out after 30 s on 10.0.0.7"));
        let second = group(&library_only("timed out after 31 s on 10.0.0.8"));
        let other = group(&library_only("connection reset"));
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_ne!(first.fingerprint, other.fingerprint);
        assert_eq!(
            first.title,
            "TimeoutError: timed out after 30 s on 10.0.0.7"
        );
        assert_eq!(first.urgency, Urgency::Medium);
    }

    #[test]
    fn exceptions_with_a_culprit_are_titled_by_it() {
        let mut event = panic_event(
            "refused",
            vec![
                frame("db::connect", 3, true),
                frame("std::net::connect", 9, false),
            ],
        );
        event.exceptions[0].kind = "ConnectionRefused".into();
        event.level = Level::Error;
        assert_eq!(group(&event).title, "ConnectionRefused in db::connect");
    }

    #[test]
    fn messages_group_by_their_template() {
        let message = |formatted: &str, template: Option<&str>| CrashEvent {
            message: Some(Message {
                formatted: formatted.into(),
                template: template.map(Into::into),
            }),
            exceptions: Vec::new(),
            level: Level::Warning,
            ..panic_event("", Vec::new())
        };
        let one = group(&message("Disk db1 is full", Some("Disk %s is full")));
        let two = group(&message("Disk db2 is full", Some("Disk %s is full")));
        assert_eq!(one.fingerprint, two.fingerprint);
        assert_eq!(one.title, "Disk db1 is full");
        assert_eq!(one.urgency, Urgency::Low);
        let untemplated = group(&message("Retry 3 of 5 failed", None));
        assert_eq!(
            untemplated.fingerprint,
            group(&message("Retry 4 of 5 failed", None)).fingerprint
        );
    }

    #[test]
    fn a_client_fingerprint_wins_and_can_extend_the_default() {
        let base = panic_event("boom", vec![frame("shop::cart::total", 1, true)]);
        let mut custom = base.clone();
        custom.fingerprint = Some(vec!["payment-provider-down".into()]);
        let mut elsewhere = panic_event("other", vec![frame("shop::login", 1, true)]);
        elsewhere.fingerprint = Some(vec!["payment-provider-down".into()]);
        assert_eq!(group(&custom).fingerprint, group(&elsewhere).fingerprint);
        assert_ne!(group(&custom).fingerprint, group(&base).fingerprint);

        let mut extended = base.clone();
        extended.fingerprint = Some(vec!["{{ default }}".into(), "eu".into()]);
        let mut extended_us = base.clone();
        extended_us.fingerprint = Some(vec!["{{default}}".into(), "us".into()]);
        assert_ne!(
            group(&extended).fingerprint,
            group(&extended_us).fingerprint
        );
        assert_ne!(group(&extended).fingerprint, group(&base).fingerprint);
    }

    #[test]
    fn function_names_lose_build_specific_parts() {
        assert_eq!(
            normalize_function("app::run::h0123456789abcdef"),
            "app::run"
        );
        assert_eq!(
            normalize_function("app::run::{{closure}}"),
            "app::run::{closure}"
        );
        assert_eq!(
            normalize_function("app::run::{closure#3}::inner"),
            "app::run::{closure}::inner"
        );
        assert_eq!(normalize_function("app::hash::helper"), "app::hash::helper");
        assert_eq!(normalize_function("app::run::h0123"), "app::run::h0123");
    }

    #[test]
    fn long_titles_are_shortened() {
        let event = panic_event(&"x".repeat(500), Vec::new());
        assert_eq!(group(&event).title.chars().count(), MAX_TITLE_CHARS);
    }
}
