//! Structured logs: one JSON object per line on stdout, which CloudWatch Logs stores as is. The
//! binaries call [`init`] once with the `RUST_LOG` filter, if any (default `info`); it also sends
//! the metric lines ([`crate::metrics`]) to stdout, whatever the filter.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber (unless one is already installed) and turns the metric lines on.
pub fn init(filter: Option<&str>) {
    crate::metrics::write_to_stdout();
    let filter = filter.and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .try_init();
}
