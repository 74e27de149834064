//! What every command looks like: help with examples, colours only for terminals.

use std::process::{Command, Stdio};

use crate::helpers::*;

#[test]
fn every_command_has_help_with_examples() {
    for args in
        [&["--help"][..], &["sandbox", "--help"], &["validate", "--help"], &["publish", "--help"], &["fakes", "--help"]]
    {
        let run = dispatch(args);
        assert_eq!(run.code, 0, "{args:?}\n{}", run.both());
        assert!(run.stdout.contains("Examples:\n  dispatch "), "{args:?}\n{}", run.stdout);
    }
}

#[test]
fn output_that_is_not_a_terminal_has_no_colour() {
    for args in [&["sandbox"][..], &["validate", "examples/nag.json", "nowhere.json"], &["sandbox", "nowhere.json"]] {
        let run = dispatch(args);
        assert!(!run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'), "{args:?}\n{}", run.both());
    }
}

#[test]
fn colour_can_be_forced_but_no_color_always_wins() {
    let run = dispatch(&["--color", "always", "validate", "examples/nag.json"]);
    assert_eq!(run.stdout, "examples/nag.json: \x1b[32mok\x1b[0m (nag)\n");
    let mut command = command(&["--color", "always", "sandbox", "examples/self-service.json"]);
    command.env("NO_COLOR", "1");
    let run = run_with(command, "");
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
}

#[test]
fn a_terminal_gets_colour() {
    // `script` runs the command with a pseudo-terminal as its stdout.
    let line = format!("{BIN} validate examples/nag.json");
    let output = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(repo_root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\x1b[32mok\x1b[0m"), "{stdout:?}");
}
