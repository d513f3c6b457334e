//! Stack traces: captured with the `backtrace` crate, demangled without symbol hashes, trimmed of
//! the panic machinery and of the reporter itself, with the application's own frames marked.

use crate::event::Frame;

/// At most this many frames are sent (the innermost ones: where it went wrong).
pub(crate) const MAX_FRAMES: usize = 200;

/// Functions that belong to panicking itself: every frame up to the outermost of these is the
/// machinery between the code that panicked and the panic hook. (Not all of `std::panicking`:
/// its `catch_unwind` sits at the bottom of every thread.)
const PANIC_MACHINERY: &[&str] = &[
    "std::panicking::begin_panic",
    "std::panicking::panic_with_hook",
    "std::panicking::rust_panic",
    "std::panicking::default_hook",
    "core::panicking::",
    "std::panic::panic_any",
    "rust_begin_unwind",
    "__rustc::rust_begin_unwind",
    "std::sys::backtrace::__rust_end_short_backtrace",
    "std::sys_common::backtrace::__rust_end_short_backtrace",
    "core::result::unwrap_failed",
    "core::option::unwrap_failed",
    "core::option::expect_failed",
    "core::option::Option<T>::unwrap",
    "core::option::Option<T>::expect",
    "core::result::Result<T,E>::unwrap",
    "core::result::Result<T,E>::expect",
];

/// Crates whose frames are never the application's.
const LIBRARY_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "backtrace",
    "reporter",
    "test",
    "tokio",
    "futures",
    "futures_util",
    "hyper",
    "axum",
    "tower",
    "tracing",
    "tracing_core",
    "tracing_subscriber",
];

/// Which frames are the application's own.
#[derive(Clone, Debug, Default)]
pub(crate) struct InApp {
    /// Crates named by the host program; when empty, a frame is in-app unless it is a known
    /// library crate or its source comes from Cargo's registry, a git dependency or the
    /// standard library.
    pub crates: Vec<String>,
}

impl InApp {
    fn marks(&self, function: Option<&str>, path: Option<&str>) -> bool {
        // Names read from line-tables-only debug information have no path, so no crate.
        let crate_name = function
            .filter(|function| function.contains("::"))
            .map(crate_of);
        let from_own_sources = path.is_some_and(|path| !is_dependency_source(path));
        match crate_name {
            Some(name) if !self.crates.is_empty() => self.crates.iter().any(|own| own == name),
            Some(name) if LIBRARY_CRATES.contains(&name) => false,
            _ => from_own_sources,
        }
    }
}

fn is_dependency_source(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path.contains("/.cargo/registry/")
        || path.contains("/.cargo/git/")
        || path.starts_with("/rustc/")
        || path.contains("/lib/rustlib/src/")
}

/// The crate a demangled function belongs to: `shop` for `shop::cart::total` and for
/// `<shop::Cart as core::fmt::Display>::fmt`.
pub(crate) fn crate_of(function: &str) -> &str {
    let mut name = function.trim_start_matches(['<', '&']);
    for prefix in ["dyn ", "impl ", "mut "] {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    let end = name
        .find(|character: char| !(character.is_alphanumeric() || character == '_'))
        .unwrap_or(name.len());
    &name[..end]
}

fn is_machinery(function: &str) -> bool {
    PANIC_MACHINERY
        .iter()
        .any(|prefix| function.starts_with(prefix))
}

/// The reporter's own capturing code, which sits above the caller's frames.
const CAPTURE_CODE: &[&str] = &[
    "backtrace::",
    "reporter::stacktrace::capture",
    "reporter::stacktrace::unresolved",
    "reporter::capture_",
    "reporter::client::",
    "reporter::panic::",
    "reporter::tracing_layer::",
];

/// This crate's sources, as its debug information names them.
const OWN_SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");

/// The files of this crate whose every function is capturing code.
const CAPTURE_FILES: &[&str] = &["lib.rs", "client.rs", "panic.rs", "tracing_layer.rs"];

/// Whether a frame is the reporter capturing: by its name, or, as names read from line-tables-only
/// debug information have no path (`error_event`, not `reporter::client::Client::error_event`),
/// by its source file.
fn is_capture_code(frame: &Frame) -> bool {
    let function = frame.function.as_deref().unwrap_or_default();
    let by_name = CAPTURE_CODE
        .iter()
        .any(|prefix| function.trim_start_matches('<').starts_with(prefix));
    let by_file = frame
        .abs_path
        .as_deref()
        .and_then(|path| {
            path.replace('\\', "/")
                .strip_prefix(OWN_SOURCES)
                .map(str::to_string)
        })
        .is_some_and(|file| {
            CAPTURE_FILES.contains(&file.as_str())
                || (file == "stacktrace.rs"
                    && (function.ends_with("capture") || function.ends_with("unresolved")))
        });
    by_name || by_file
}

/// What is worth reading of a source path: from `src/`, `library/` or the crate directory of a
/// dependency onwards.
fn short_path(path: &str) -> String {
    let normalised = path.replace('\\', "/");
    if let Some(position) = normalised.find("/library/")
        && (normalised.starts_with("/rustc/") || normalised.contains("/rustlib/"))
    {
        return normalised[position + 1..].to_string();
    }
    for marker in ["/.cargo/registry/src/", "/.cargo/git/checkouts/"] {
        if let Some(position) = normalised.find(marker) {
            let rest = &normalised[position + marker.len()..];
            // Past the index directory (`index.crates.io-…/`), at `crate-1.2.3/src/…`.
            return rest
                .split_once('/')
                .map(|(_, tail)| tail.to_string())
                .unwrap_or_else(|| rest.to_string());
        }
    }
    normalised
}

/// The stack of the calling thread, as instruction addresses only: quick to take, resolved later
/// (and elsewhere) by [`resolve`].
pub(crate) fn unresolved() -> backtrace::Backtrace {
    backtrace::Backtrace::new_unresolved()
}

/// The stack of the calling thread, outermost frame first, without the frames of panicking, of
/// this crate and of the backtrace crate.
#[cfg(test)]
pub(crate) fn capture(in_app: &InApp) -> Vec<Frame> {
    resolve(unresolved(), in_app)
}

/// A stack taken by [`unresolved`], with its symbols: outermost frame first, without the frames
/// of panicking, of this crate and of the backtrace crate.
pub(crate) fn resolve(mut backtrace: backtrace::Backtrace, in_app: &InApp) -> Vec<Frame> {
    backtrace.resolve();
    let mut frames = Vec::new();
    for frame in backtrace.frames() {
        for symbol in frame.symbols() {
            let function = symbol.name().map(|name| format!("{name:#}"));
            let abs_path = symbol
                .filename()
                .map(|path| path.to_string_lossy().into_owned());
            if function.is_none() && abs_path.is_none() {
                continue;
            }
            frames.push(Frame {
                in_app: in_app.marks(function.as_deref(), abs_path.as_deref()),
                filename: abs_path.as_deref().map(short_path),
                abs_path,
                lineno: symbol.lineno(),
                colno: symbol.colno(),
                function,
            });
        }
    }
    trim(frames)
}

/// Takes innermost-first frames; answers outermost-first frames without the capture and panic
/// frames at the top, at most [`MAX_FRAMES`].
pub(crate) fn trim(mut innermost_first: Vec<Frame>) -> Vec<Frame> {
    let function = |frame: &Frame| frame.function.clone().unwrap_or_default();
    let last_machinery = innermost_first
        .iter()
        .rposition(|frame| is_machinery(&function(frame)));
    let last_capture = innermost_first.iter().rposition(is_capture_code);
    let cut = match (last_machinery, last_capture) {
        (Some(machinery), _) => machinery + 1,
        (None, Some(capture)) => capture + 1,
        (None, None) => 0,
    };
    innermost_first.drain(..cut.min(innermost_first.len()));
    innermost_first.truncate(MAX_FRAMES);
    innermost_first.reverse();
    innermost_first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str) -> Frame {
        Frame {
            function: Some(function.to_string()),
            ..Frame::default()
        }
    }

    #[test]
    fn the_crate_of_a_function_is_its_first_path_segment() {
        assert_eq!(crate_of("shop::cart::total"), "shop");
        assert_eq!(crate_of("<shop::Cart as core::fmt::Display>::fmt"), "shop");
        assert_eq!(
            crate_of("<&mut shop::Cart as core::ops::Drop>::drop"),
            "shop"
        );
        assert_eq!(crate_of("main"), "main");
    }

    #[test]
    fn panic_frames_and_capture_frames_are_trimmed_and_the_order_is_outermost_first() {
        let innermost_first = vec![
            frame("backtrace::backtrace::trace"),
            frame("reporter::stacktrace::capture"),
            frame("reporter::panic::hook"),
            frame("std::panicking::panic_with_hook"),
            frame("std::panicking::begin_panic_handler::{{closure}}"),
            frame("std::sys::backtrace::__rust_end_short_backtrace"),
            frame("__rustc::rust_begin_unwind"),
            frame("core::panicking::panic_fmt"),
            frame("core::panicking::panic_bounds_check"),
            frame("shop::cart::total"),
            frame("shop::main"),
            frame("std::rt::lang_start_internal"),
            frame("std::panicking::catch_unwind::<()>"),
        ];
        // The outermost `std::panicking::catch_unwind` of the runtime must not cut the stack.
        let functions: Vec<String> = trim(innermost_first)
            .into_iter()
            .map(|frame| frame.function.unwrap())
            .collect();
        assert_eq!(
            functions,
            [
                "std::panicking::catch_unwind::<()>",
                "std::rt::lang_start_internal",
                "shop::main",
                "shop::cart::total"
            ]
        );
    }

    #[test]
    fn capture_frames_without_a_path_in_their_name_are_known_by_their_file() {
        let own = |function: &str, file: &str| Frame {
            function: Some(function.to_string()),
            abs_path: Some(format!("{OWN_SOURCES}{file}")),
            ..Frame::default()
        };
        let innermost_first = vec![
            frame("backtrace::backtrace::trace"),
            own("capture", "stacktrace.rs"),
            own("error_event", "client.rs"),
            own("capture_error", "lib.rs"),
            frame("shop::main"),
        ];
        let functions: Vec<String> = trim(innermost_first)
            .into_iter()
            .map(|frame| frame.function.unwrap())
            .collect();
        assert_eq!(functions, ["shop::main"]);
        // A test in stacktrace.rs that calls `capture` is not capture code itself.
        assert!(!is_capture_code(&own(
            "a_test_of_capturing",
            "stacktrace.rs"
        )));
    }

    #[test]
    fn errors_lose_only_the_capture_frames() {
        let innermost_first = vec![
            frame("backtrace::backtrace::trace"),
            frame("reporter::capture_error"),
            frame("shop::db::connect"),
            frame("shop::main"),
        ];
        let functions: Vec<String> = trim(innermost_first)
            .into_iter()
            .map(|frame| frame.function.unwrap())
            .collect();
        assert_eq!(functions, ["shop::main", "shop::db::connect"]);
    }

    #[test]
    fn dependency_and_standard_library_frames_are_not_in_app() {
        let guess = InApp::default();
        assert!(guess.marks(Some("shop::main"), Some("/home/ada/shop/src/main.rs")));
        assert!(!guess.marks(
            Some("serde_json::de::from_str"),
            Some("/home/ada/.cargo/registry/src/index.crates.io-1/serde_json-1.0/src/de.rs")
        ));
        assert!(!guess.marks(
            Some("core::panicking::panic"),
            Some("/rustc/abc/library/core/src/panicking.rs")
        ));
        assert!(!guess.marks(Some("shop::main"), None));
        let named = InApp {
            crates: vec!["shop".into()],
        };
        assert!(named.marks(Some("shop::main"), None));
        assert!(!named.marks(
            Some("billing::charge"),
            Some("/home/ada/billing/src/lib.rs")
        ));
    }

    #[test]
    fn paths_are_shortened_to_what_is_worth_reading() {
        assert_eq!(
            short_path("/rustc/90b35a62/library/core/src/panicking.rs"),
            "library/core/src/panicking.rs"
        );
        assert_eq!(
            short_path(
                "/home/ada/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_json-1.0.1/src/de.rs"
            ),
            "serde_json-1.0.1/src/de.rs"
        );
        assert_eq!(
            short_path("/home/ada/shop/src/main.rs"),
            "/home/ada/shop/src/main.rs"
        );
    }

    #[test]
    fn a_captured_stack_ends_at_the_caller_and_marks_it_in_app() {
        let frames = capture(&InApp {
            crates: vec!["reporter".into()],
        });
        let innermost = frames.last().expect("a stack has frames");
        let function = innermost.function.as_deref().unwrap_or_default();
        assert!(
            function.contains("a_captured_stack_ends_at_the_caller"),
            "{frames:#?}"
        );
        assert!(innermost.in_app);
        assert!(!function.contains("::h"), "hashes are stripped: {function}");
    }
}
