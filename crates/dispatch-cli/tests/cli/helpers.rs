//! Running the built binary and making message files.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dispatch");

/// A self-service message without its prompt.
pub const NO_PROMPT: &str = r#"{
  "type": "self-service",
  "requestId": "ss-no-prompt",
  "users": [{ "slackId": "U012ABCDEF", "slack": "alice" }],
  "body": {
    "github": { "title": "No prompt", "body": "b" },
    "slack": { "message": "m", "actions": { "yes": "Yes", "no": "No" } }
  }
}"#;

/// A self-service message without the title of its issue: it cannot be routed (the title is the
/// dedup key), so it is rejected.
pub const NO_TITLE: &str = r#"{
  "type": "self-service",
  "requestId": "ss-no-title",
  "users": [{ "slackId": "U012ABCDEF", "slack": "alice" }],
  "body": {
    "github": { "body": "b" },
    "slack": { "message": "m", "prompt": "p?", "actions": { "yes": "Yes", "no": "No" } }
  }
}"#;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `examples/NAME` in the repository.
pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// Every example, sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// An example as JSON.
pub fn example_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A fresh directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file holding `contents`.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = temp_dir(name).join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout and stderr, for assertion messages.
    pub fn both(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// `dispatch ARGS` in the repository root, with a clean colour and log environment.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).current_dir(repo_root()).env_remove("NO_COLOR").env_remove("RUST_LOG");
    command
}

/// Runs `command` with `stdin` as its input.
pub fn run_with(mut command: Command, stdin: &str) -> Run {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs `dispatch ARGS` with nothing on stdin.
pub fn dispatch(args: &[&str]) -> Run {
    run_with(command(args), "")
}

/// The output's sections, one per message (`━━ file`), without the closing summary.
pub fn sections(stdout: &str) -> Vec<String> {
    let mut parts: Vec<String> = stdout.split("\n━━ ").skip(1).map(str::to_owned).collect();
    parts.pop();
    parts
}

/// A path as an argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `dispatch fakes --env-file F` started in a fresh directory, once it has written F: the running
/// command and F. `output` makes its stdout and stderr (`Stdio::null`, `Stdio::piped`).
pub async fn start_fakes(name: &str, output: fn() -> Stdio) -> (Child, PathBuf) {
    let env_file = temp_dir(name).join("fakes.env");
    let child = command(&["fakes", "--env-file", arg(&env_file)])
        .stdin(Stdio::null())
        .stdout(output())
        .stderr(output())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !env_file.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no env file after 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, env_file)
}
