//! The panic hook: reports the panic (message, location, thread, stack) and lets the panic go on
//! through the hook that was installed before.

use crate::event::{Event, Exception, Mechanism, Values};
use crate::stacktrace;
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::sync::Once;
use std::time::Instant;

thread_local! {
    /// Set while this thread reports a panic, so that a panic inside reporting is not reported.
    static REPORTING: Cell<bool> = const { Cell::new(false) };
}

/// Installs the hook once per process, in front of the hook installed before it.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let reporting_already = REPORTING.with(|flag| flag.replace(true));
            // A panic of the reporter's own threads is not reported (the writer would wait on
            // itself).
            let client = if reporting_already || crate::transport::on_sender_thread() {
                None
            } else {
                crate::current_client().filter(|client| client.capture_panics)
            };
            // Everything the hook does for the report fits in the panic timeout: the stack's
            // addresses are taken here, its symbols resolved and the report written by the
            // writer thread, which this thread waits for only until the deadline.
            let reported = client.as_ref().map(|client| {
                let deadline = Instant::now() + client.panic_timeout;
                let stack = stacktrace::unresolved();
                let (_, written) = client.submit(panic_event(info), Some(stack));
                (deadline, written)
            });
            previous(info);
            if let (Some(client), Some((deadline, written))) = (&client, reported) {
                let on_disk = written.is_some_and(|written| written.wait_until(deadline));
                if on_disk {
                    client.flush(deadline.saturating_duration_since(Instant::now()));
                }
            }
            if !reporting_already {
                REPORTING.with(|flag| flag.set(false));
            }
        }));
    });
}

/// What a panic says: its `&str` or `String` payload.
fn panic_message(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_string()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

fn panic_event(info: &PanicHookInfo<'_>) -> Event {
    let mut event = Event::new(crate::Level::Fatal);
    let thread = std::thread::current();
    event
        .tags
        .insert("thread".into(), thread.name().unwrap_or("<unnamed>").into());
    if let Some(location) = info.location() {
        event.extra.insert(
            "panic_location".into(),
            format!(
                "{}:{}:{}",
                location.file(),
                location.line(),
                location.column()
            )
            .into(),
        );
    }
    event.exception = Some(Values {
        values: vec![Exception {
            kind: "panic".into(),
            value: panic_message(info),
            stacktrace: None,
            mechanism: Some(Mechanism {
                kind: "panic",
                handled: false,
            }),
        }],
    });
    event
}
