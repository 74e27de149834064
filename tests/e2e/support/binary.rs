//! The real `incoming` and `triage` binaries, built for the test run.
//!
//! `env!("CARGO_BIN_EXE_<name>")` exists only in the binary's own package, and `cargo test` builds a
//! package's binaries only when that package has integration tests: these tests live in a package
//! of their own, so they build the binaries themselves, once per run, with the `cargo` running them
//! (`$CARGO`), into the target directory and profile of the test executable
//! (`target/<profile>/deps/e2e-…` gives `target/<profile>/incoming`).
//!
//! - No deadlock: cargo releases its build lock before it runs test executables, so this nested
//!   build does not wait on the outer `cargo test` (checked from a clean state: with
//!   `target/debug/incoming` and `target/debug/triage` deleted, `cargo test --workspace` builds
//!   and runs them).
//! - No second dependency build: the nested build asks for what `cargo test --workspace` resolves
//!   features for, every member with its dev-dependencies (`--workspace --examples`: the workspace
//!   has no examples, the flag only makes Cargo count dev-dependencies as a test build does), so
//!   every dependency it needs is one the test build compiled; `cargo build -p incoming` alone would
//!   resolve fewer features (tokio without `test-util`, hyper without `server`) and compile most of
//!   the graph again. A narrower outer run (`cargo test -p dispatch-tests`) resolves fewer features
//!   itself, so its first nested build compiles the binaries' dependencies once more.
//! - No stale binary: it is built every run, never reused because a file exists.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The binaries built.
const BINARIES: [&str; 2] = ["incoming", "triage"];

/// The path of the workspace binary `name` (`incoming` or `triage`), built fresh.
pub fn path(name: &str) -> PathBuf {
    assert!(BINARIES.contains(&name), "{name} is not one of the binaries built: {BINARIES:?}");
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    PROFILE_DIR.get_or_init(build).join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Builds the binaries; returns the profile directory they are in.
fn build() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir =
        exe.parent().and_then(Path::parent).expect("the test executable is in <target>/<profile>/deps").to_path_buf();
    let target_dir = profile_dir.parent().expect("the profile directory is in the target directory");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "--quiet", "--workspace", "--examples"]);
    for name in BINARIES {
        command.args(["--bin", name]);
    }
    command.args(["--profile", profile]).arg("--target-dir").arg(target_dir);
    let output = command.output().unwrap_or_else(|e| panic!("running cargo to build {BINARIES:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo could not build {BINARIES:?}:\n{stderr}");
    for name in BINARIES {
        let binary = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        assert!(binary.is_file(), "cargo built {name}, yet {} is missing:\n{stderr}", binary.display());
    }
    profile_dir
}
