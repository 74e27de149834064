//! `dispatch validate`: one line per file, the field's path on errors, a line per warning, exit
//! code 1 if any is bad.

use crate::helpers::*;

#[test]
fn every_example_is_valid() {
    let files: Vec<String> =
        examples().iter().map(|p| format!("examples/{}", p.file_name().unwrap().to_str().unwrap())).collect();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let run = dispatch(&args);
    assert_eq!(run.code, 0, "{}", run.both());
    for file in &files {
        let kind = example_json(&repo_root().join(file))["type"].as_str().unwrap().to_owned();
        assert!(run.stdout.contains(&format!("{file}: ok ({kind}")), "{file}\n{}", run.stdout);
    }
    assert!(
        run.stdout.contains("examples/fallback.json: ok (high: not a known type, so it opens a PagerDuty incident)")
    );
    assert!(run.stdout.contains(&format!("{} valid, 0 invalid", files.len())));
}

#[test]
fn an_invalid_file_is_named_with_the_path_and_reason_and_exits_one() {
    let bad = temp_file("no-title.json", NO_TITLE);
    let run = dispatch(&["validate", "examples/nag.json", arg(&bad)]);
    assert_eq!(run.code, 1, "{}", run.both());
    assert!(run.stdout.contains("examples/nag.json: ok (nag)\n"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("{}: body.github.title: required for self-service\n", bad.display())));
    assert!(run.stdout.contains("1 valid, 1 invalid"), "{}", run.stdout);
}

#[test]
fn a_wrong_type_deep_in_the_message_is_named_by_its_path() {
    let message = r#"{"type":"broadcast","users":[{"slackId":"U1X"}],"body":{"github":{"title":["t"]}}}"#;
    let run = run_with(command(&["validate", "-"]), message);
    assert_eq!(run.code, 1, "{}", run.both());
    assert_eq!(run.stdout, "<stdin>: body.github.title: expected a string, found an array\n");
}

#[test]
fn a_message_with_warnings_is_valid_and_each_warning_follows_the_ok_line() {
    let loose = temp_file("no-prompt.json", NO_PROMPT);
    let run = dispatch(&["validate", arg(&loose), "examples/nag.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let file = loose.display();
    assert!(
        run.stdout.starts_with(&format!(
            "{file}: ok (self-service)\n{file}: warning: body.slack.prompt: missing; \"Was this you?\" is used\nexamples/nag.json: ok (nag)\n"
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("2 valid, 0 invalid"), "{}", run.stdout);
}

#[test]
fn a_number_request_id_is_shown_as_a_warning_and_exits_zero() {
    let message =
        r#"{"type":"high-priority","requestId":42,"users":[{"slackId":"@odd"}],"body":{"pagerduty":{"title":"t"}}}"#;
    let run = run_with(command(&["validate", "-"]), message);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "<stdin>: ok (high-priority)\n<stdin>: warning: requestId: a number, taken as its decimal string\n"),
        "{}",
        run.both()
    );
}

#[test]
fn warnings_are_yellow_when_painting() {
    let validate = command(&["--color", "always", "validate", "-"]);
    let run = run_with(validate, r#"{"type":"high-priority","retrigger":"no","body":{"pagerduty":{"title":"t"}}}"#);
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.contains("<stdin>: \x1b[33mwarning\x1b[0m: retrigger: expected a boolean"), "{:?}", run.stdout);
}

#[test]
fn a_message_on_standard_input_is_read_with_a_dash() {
    let message = std::fs::read_to_string(example("self-service.json")).unwrap();
    let run = run_with(command(&["validate", "-"]), &message);
    assert_eq!((run.code, run.stdout.as_str()), (0, "<stdin>: ok (self-service)\n"), "{}", run.both());
    let run = run_with(command(&["validate", "-"]), "[1, 2]");
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "<stdin>: $: expected a JSON object, found an array\n");
}

#[test]
fn text_that_is_not_json_is_rejected_at_the_root() {
    let run = run_with(command(&["validate", "-"]), "type: self-service");
    assert_eq!(run.code, 1);
    assert!(run.stdout.starts_with("<stdin>: $: not valid JSON"), "{}", run.stdout);
}

#[test]
fn a_message_without_request_id_is_valid_and_the_derived_id_is_pointed_out() {
    let run = run_with(command(&["validate", "-"]), r#"{"type":"high-priority","body":{"pagerduty":{"title":"t"}}}"#);
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.contains("ok (high-priority; no requestId: one is derived from the SNS message id)"));
}

#[test]
fn an_unreadable_file_fails_validation() {
    let run = dispatch(&["validate", "nowhere.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.starts_with("nowhere.json: cannot read: No such file"), "{}", run.stdout);
}

#[test]
fn the_schema_option_prints_the_committed_schema_exactly() {
    let run = dispatch(&["validate", "--schema"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let committed = std::fs::read_to_string(repo_root().join("MESSAGE-SPEC.schema.json")).unwrap();
    assert!(run.stdout == committed, "dispatch validate --schema differs from MESSAGE-SPEC.schema.json");
}

#[test]
fn validate_needs_files_or_the_schema_option() {
    let run = dispatch(&["validate"]);
    assert_eq!(run.code, 2, "a usage error\n{}", run.both());
    assert!(run.stderr.contains("<FILE>"), "{}", run.stderr);
}
