//! A `tracing` layer: `error!` events become reports; info and warning events become the
//! breadcrumbs that later reports carry.

use crate::event::{Breadcrumb, Event, Level, LogEntry};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;

/// The layer; add it to a `tracing_subscriber` registry:
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(reporter::tracing_layer());
/// ```
#[derive(Clone, Debug)]
pub struct ReporterLayer {
    report_at: tracing::Level,
    breadcrumb_at: tracing::Level,
}

/// A layer that reports `error!` events and keeps `info!` and `warn!` events as breadcrumbs.
pub fn tracing_layer() -> ReporterLayer {
    ReporterLayer {
        report_at: tracing::Level::ERROR,
        breadcrumb_at: tracing::Level::INFO,
    }
}

impl ReporterLayer {
    /// Reports events at `level` and above (`ERROR` by default).
    pub fn report_at(mut self, level: tracing::Level) -> ReporterLayer {
        self.report_at = level;
        self
    }

    /// Keeps events at `level` and above as breadcrumbs (`INFO` by default).
    pub fn breadcrumbs_at(mut self, level: tracing::Level) -> ReporterLayer {
        self.breadcrumb_at = level;
        self
    }
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    others: BTreeMap<String, String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.others
                .insert(field.name().to_string(), value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.others.insert(field.name().to_string(), text);
        }
    }
}

fn level_of(level: &tracing::Level) -> Level {
    match *level {
        tracing::Level::ERROR => Level::Error,
        tracing::Level::WARN => Level::Warning,
        tracing::Level::INFO => Level::Info,
        _ => Level::Debug,
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ReporterLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _context: Context<'_, S>) {
        // The sender's own HTTP client logs too; those events are never reported.
        if crate::transport::on_sender_thread() {
            return;
        }
        let metadata = event.metadata();
        // In tracing, more verbose levels compare greater.
        let reported = *metadata.level() <= self.report_at;
        let remembered = *metadata.level() <= self.breadcrumb_at;
        if !reported && !remembered {
            return;
        }
        let Some(client) = crate::current_client() else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = fields
            .message
            .clone()
            .unwrap_or_else(|| metadata.name().to_string());
        let mut formatted = message.clone();
        for (name, value) in &fields.others {
            let _ = write!(formatted, " {name}={value}");
        }
        let level = level_of(metadata.level());
        if reported {
            let mut report = Event::new(level);
            report.logger = Some(metadata.target().to_string());
            // The message without the fields is what groups reports: fields vary, the problem not.
            report.logentry = Some(LogEntry {
                message: Some(message),
                formatted: formatted.clone(),
            });
            report.extra = fields
                .others
                .into_iter()
                .map(|(name, value)| (name, serde_json::Value::String(value)))
                .collect();
            client.submit(report, None);
        }
        client.add_breadcrumb(Breadcrumb::new(
            Some(metadata.target().to_string()),
            formatted,
            level,
        ));
    }
}
