//! Structured logs: one JSON object per line on stdout, which CloudWatch Logs stores as is. The
//! binaries call [`init`] once with the `RUST_LOG` filter, if any (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. Does nothing if one is already installed.
pub fn init(filter: Option<&str>) {
    let filter = filter.and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .try_init();
}
