//! Structured logs: one JSON object per line on stdout, which CloudWatch Logs stores as is. The
//! binaries call [`init`] once with the `RUST_LOG` filter, if any (default `info`); it also sends
//! the metric lines ([`crate::metrics`]) to stdout, whatever the filter.
//!
//! A line reads `{"timestamp", "level", "fields", "target"}`: `level` is `TRACE`, `DEBUG`, `INFO`,
//! `WARN` or `ERROR` at the top level, as Lambda's log-level filtering reads it, and `fields` holds
//! the event's fields merged over those of every span it is in (outermost first; the event's own
//! win), so a handler enters one span carrying its ids and no log call repeats them. The spans
//! include the Lambda runtime's own, which carries the invocation's `requestId`. The filter
//! chooses which events are written; spans are always kept, so a warning carries its ids even
//! when `info` lines are filtered out.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the JSON subscriber (unless one is already installed) and turns the metric lines on.
pub fn init(filter: Option<&str>) {
    crate::metrics::write_to_stdout();
    let _ = subscriber(filter, std::io::stdout).try_init();
}

/// The subscriber [`init`] installs, writing its lines to `writer`: `filter` is a `RUST_LOG`
/// value (default `info`; one that does not parse counts as the default).
pub fn subscriber<W>(filter: Option<&str>, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = filter.and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| EnvFilter::new("info"));
    tracing_subscriber::registry().with(JsonLines { writer }.with_filter(EventsOnly(filter)))
}

/// Writes each event as one JSON line, with the fields of the spans it is in.
struct JsonLines<W> {
    writer: W,
}

/// The fields a span was given, kept in its extensions.
#[derive(Debug, Default)]
struct SpanFields(Map<String, Value>);

/// One log line, its keys in this order.
#[derive(Serialize)]
struct Line<'a> {
    timestamp: String,
    level: &'static str,
    fields: &'a Map<String, Value>,
    target: &'a str,
}

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = SpanFields::default();
        attrs.record(&mut Fields(&mut fields.0));
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(fields) = span.extensions_mut().get_mut::<SpanFields>() {
            values.record(&mut Fields(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        for span in ctx.event_scope(event).into_iter().flat_map(|scope| scope.from_root()) {
            if let Some(own) = span.extensions().get::<SpanFields>() {
                fields.extend(own.0.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        event.record(&mut Fields(&mut fields));
        let metadata = event.metadata();
        let line = Line {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            level: metadata.level().as_str(),
            fields: &fields,
            target: metadata.target(),
        };
        if let Ok(mut bytes) = serde_json::to_vec(&line) {
            bytes.push(b'\n');
            // One write per line, so that lines from concurrent writers never interleave; logs are
            // best effort, a closed stdout must not fail an alarm.
            let _ = self.writer.make_writer_for(metadata).write_all(&bytes);
        }
    }
}

/// Records fields as JSON values: numbers and booleans as such, anything else as its text.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), serde_json::json!(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().to_owned(), value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

/// The filter chooses events; spans always pass, since their fields are the events' context.
struct EventsOnly(EnvFilter);

impl<S> Filter<S> for EventsOnly {
    fn enabled(&self, metadata: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        metadata.is_span() || Filter::<S>::enabled(&self.0, metadata, cx)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.is_span() { Interest::always() } else { Filter::<S>::callsite_enabled(&self.0, metadata) }
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        Filter::on_new_span(&self.0, attrs, id, ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        Filter::on_record(&self.0, id, values, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        Filter::on_enter(&self.0, id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        Filter::on_exit(&self.0, id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        Filter::on_close(&self.0, id, ctx);
    }
}

/// Test support: what a subscriber from [`subscriber`] writes, kept in memory.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub(crate) struct Written(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl Written {
    /// The binaries' subscriber with `filter`, writing here.
    pub(crate) fn subscriber(&self, filter: &str) -> impl Subscriber + Send + Sync + 'static {
        let sink = self.clone();
        subscriber(Some(filter), move || sink.clone())
    }

    /// Every line written so far, parsed.
    pub(crate) fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

#[cfg(test)]
impl std::io::Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use tracing::field::Empty;

    /// The lines a subscriber from [`super::subscriber`] wrote while `f` ran.
    fn lines(filter: &str, f: impl FnOnce()) -> Vec<Value> {
        let written = super::Written::default();
        tracing::subscriber::with_default(written.subscriber(filter), f);
        written.lines()
    }

    #[test]
    fn a_line_carries_the_fields_of_every_span_it_is_in_and_its_own_win() {
        let lines = lines("info", || {
            let outer = tracing::info_span!("invoke", requestId = "lambda-1", shared = "outer");
            let _outer = outer.enter();
            let inner = tracing::info_span!("alarm", sns_message_id = "e-1", request_id = Empty, shared = "inner");
            let _inner = inner.enter();
            inner.record("request_id", "r-1");
            tracing::info!(shared = "event", count = 2, ok = true, "alarm received");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0]["fields"],
            json!({ "requestId": "lambda-1", "sns_message_id": "e-1", "request_id": "r-1", "shared": "event",
                "count": 2, "ok": true, "message": "alarm received" })
        );
        assert_eq!(lines[0]["target"], module_path!());
    }

    #[test]
    fn every_line_has_the_top_level_level_and_timestamp_lambda_filters_on() {
        let lines = lines("trace", || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<&str> = lines.iter().map(|l| l["level"].as_str().unwrap()).collect();
        assert_eq!(levels, ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]);
        for line in &lines {
            chrono::DateTime::parse_from_rfc3339(line["timestamp"].as_str().unwrap()).expect("an RFC 3339 timestamp");
        }
    }

    #[test]
    fn a_warning_keeps_its_span_fields_when_info_lines_are_filtered_out() {
        let lines = lines("warn", || {
            let span = tracing::info_span!("alarm", request_id = "r-1");
            let _entered = span.enter();
            tracing::info!("not written");
            tracing::warn!("written");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["fields"], json!({ "request_id": "r-1", "message": "written" }));
    }

    #[test]
    fn a_filter_that_does_not_parse_counts_as_info() {
        let lines = lines("[[not a filter", || {
            tracing::debug!("not written");
            tracing::info!("written");
        });
        assert_eq!(lines.len(), 1);
    }
}
