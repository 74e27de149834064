//! The path of a workspace binary (`incoming`, `triage`), built fresh for the test run.
//!
//! `env!("CARGO_BIN_EXE_<name>")` exists only in the binary's own package, and `cargo test` builds a
//! package's binary only when that package has integration tests, so these tests, in a package of
//! their own, build it: once per test run and binary, `$CARGO build -p <name> --bin <name>` into the
//! target directory and profile the test executable runs from (`target/<profile>/deps/e2e-…` gives
//! `target/<profile>/<name>`). Cargo releases its build lock before it runs test executables, so
//! this nested build does not wait on the outer `cargo test` (checked from a clean state: with
//! `target/debug/incoming` and `target/debug/triage` deleted, `cargo test --workspace` builds and
//! runs them). Building every time, instead of reusing a file that exists, keeps a stale binary from
//! being tested; when the binary is fresh cargo only checks it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The freshly built binary `name` of the workspace package of the same name.
pub fn path(name: &'static str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<&str, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    built.entry(name).or_insert_with(|| build(name)).clone()
}

fn build(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    // target/<profile>/deps/e2e-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).expect("the test executable is in <target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("the profile directory is in the target directory");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--profile", profile, "-p", name, "--bin", name, "--target-dir"])
        .arg(target_dir)
        .output()
        .unwrap_or_else(|e| panic!("running cargo to build {name}: {e}"));
    assert!(output.status.success(), "cargo build -p {name} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let binary = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "cargo built {name} but {} is missing", binary.display());
    binary
}
