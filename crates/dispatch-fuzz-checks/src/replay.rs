//! Every committed input of the fuzz targets, replayed through the checks: `fuzz/corpus/<target>/`
//! (which must not be empty) and, when a fuzz run left any, `fuzz/artifacts/<target>/`. A failing
//! check fails the test with the files that broke it.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The `fuzz/` directory of the repository.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|entry| entry.expect("a readable directory entry").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs `check` on every input of `target`'s corpus and artifacts; the inputs whose check panicked.
fn failures(target: &str, check: fn(&[u8])) -> (usize, Vec<String>) {
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ holds no input");
    let all: Vec<PathBuf> = corpus.into_iter().chain(inputs(&fuzz_dir().join("artifacts").join(target))).collect();
    let failed = all
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            panic::catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    (all.len(), failed)
}

fn replay(target: &str, check: fn(&[u8])) {
    let (count, failed) = failures(target, check);
    assert!(failed.is_empty(), "{} of {count} inputs of {target} fail its checks: {failed:#?}", failed.len());
}

#[test]
fn every_message_parser_input_passes_its_checks() {
    replay("message_parser", crate::message_parser);
}

#[test]
fn every_triage_request_input_passes_its_checks() {
    replay("triage_request", crate::triage_request);
}

#[test]
fn every_callback_decoder_input_passes_its_checks() {
    replay("callback_decoder", crate::callback_decoder);
}

#[test]
fn a_check_that_fails_fails_the_replay_and_names_the_input() {
    let refuse_sns = |data: &[u8]| assert!(!data.windows(3).any(|w| w == b"Sns"), "an SNS event");
    let (count, failed) = failures("message_parser", refuse_sns);
    assert!(count > failed.len(), "some inputs pass");
    assert!(failed.iter().any(|f| f.ends_with("sns-event.json")), "{failed:?}");
}

#[test]
#[should_panic(expected = "holds no input")]
fn a_missing_or_empty_corpus_fails_the_replay() {
    failures("no_such_target", |_| {});
}
