//! Where metric lines go: stdout once the binaries ask for it, or the lines [`capture`] collects.

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Document;

tokio::task_local! {
    /// Lines captured by [`capture`] instead of written to stdout.
    static CAPTURED: RefCell<Vec<String>>;
}

/// Whether [`emit`] writes to stdout: set once by the binaries, through [`crate::telemetry::init`].
static TO_STDOUT: AtomicBool = AtomicBool::new(false);

/// From now on, [`emit`] writes to stdout. The binaries' set-up ([`crate::telemetry::init`])
/// calls it; until then lines are dropped (outside [`capture`]), so that tests and benchmarks
/// calling the handlers in-process print nothing.
pub fn write_to_stdout() {
    TO_STDOUT.store(true, Ordering::Relaxed);
}

/// Writes the documents, one line each, to stdout (or, inside [`capture`], to its lines).
pub fn emit(documents: &[Document]) {
    let captured = CAPTURED.try_with(|lines| lines.borrow_mut().extend(documents.iter().map(Document::to_line)));
    if captured.is_err() && TO_STDOUT.load(Ordering::Relaxed) {
        // Metrics are best effort: a closed stdout must not fail an alarm.
        let _ = write(documents, &mut std::io::stdout().lock());
    }
}

/// Writes the documents to `out`, one line each, each in a single write so that lines from
/// concurrent writers never interleave.
pub fn write(documents: &[Document], out: &mut impl Write) -> std::io::Result<()> {
    for document in documents {
        let mut line = document.to_line();
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Runs `future`, collecting the lines [`emit`] writes during it instead of writing them to
/// stdout: for tests.
pub async fn capture<F: Future>(future: F) -> (F::Output, Vec<String>) {
    CAPTURED
        .scope(RefCell::new(Vec::new()), async {
            let output = future.await;
            (output, CAPTURED.with(|lines| lines.take()))
        })
        .await
}
