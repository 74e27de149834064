//! Each function's environment against the settings it reads; secrets, optional settings, and the
//! set-up guide's deploy command.

use std::collections::{BTreeMap, BTreeSet};

use dispatch_core::config::{ALL_SETTINGS, DEFAULT_ESCALATE_AFTER_MINUTES, DEFAULT_REMIND_AFTER_MINUTES};
use serde_json::{Value, json};

use super::{INCOMING, TRIAGE, is_ref_to, parameter, repo_root, resource, section, template};

/// Settings `incoming` does not read: the Slack request verification of `triage`.
const NOT_READ_BY_INCOMING: &[&str] = &["SlackSigningSecret", "SlackVerificationToken"];
/// Settings `triage` does not read: it tags nobody, posts to no channel, answers through each
/// click's `response_url`, which needs no bot token, and opens a No's incident on the REST API.
/// Nor does it schedule follow-ups of self-service prompts.
const NOT_READ_BY_TRIAGE: &[&str] = &[
    "GitHubDefaultUser",
    "SlackDefaultChannel",
    "SlackBotToken",
    "PagerDutyRoutingKey",
    "PagerDutyEventsUrl",
    "SelfServiceRemindAfter",
    "SelfServiceEscalateAfter",
    "SchedulerGroupName",
    "SchedulerRoleArn",
];
/// Settings the stack gives from resources it creates rather than from a parameter: the schedule
/// group and the role EventBridge Scheduler invokes `incoming` with.
fn from_stack() -> [(&'static str, Value); 2] {
    [
        ("SchedulerGroupName", json!({ "Ref": "SchedulerGroup" })),
        ("SchedulerRoleArn", json!({ "Fn::GetAtt": ["SchedulerRole", "Arn"] })),
    ]
}
/// Settings with a default other than empty: the parameter's default is the code's.
const DEFAULTS: &[(&str, u32)] = &[
    ("SelfServiceRemindAfter", DEFAULT_REMIND_AFTER_MINUTES),
    ("SelfServiceEscalateAfter", DEFAULT_ESCALATE_AFTER_MINUTES),
];
/// Variables a function may get besides the settings: the log filter.
const OTHER_VARIABLES: &[&str] = &["RUST_LOG"];

/// The settings holding a credential; they must never be shown by CloudFormation.
const SECRETS: &[&str] = &[
    "GitHubToken",
    "GitHubAppPrivateKey",
    "SlackBotToken",
    "SlackSigningSecret",
    "SlackVerificationToken",
    "PagerDutyApiKey",
    "PagerDutyRoutingKey",
];
/// Settings the binaries treat as optional, so their parameters default to empty.
const OPTIONAL: &[&str] = &[
    "GitHubToken",
    "GitHubAppId",
    "GitHubAppPrivateKey",
    "GitHubAppInstallationId",
    "SlackSigningSecret",
    "SlackVerificationToken",
    "GitHubApiUrl",
    "SlackApiUrl",
    "PagerDutyApiUrl",
    "PagerDutyRoutingKey",
    "PagerDutyEventsUrl",
    "ExtraCaCerts",
];

/// A function's environment variables.
fn environment(template: &Value, function: &str) -> BTreeMap<String, Value> {
    let variables = &resource(template, function)["Properties"]["Environment"]["Variables"];
    variables
        .as_object()
        .unwrap_or_else(|| panic!("{function} has no environment variables"))
        .clone()
        .into_iter()
        .collect()
}

fn reads(not_read: &[&str]) -> Vec<&'static str> {
    ALL_SETTINGS.iter().map(|s| s.name).filter(|name| !not_read.contains(name)).collect()
}

/// Problems with one function's environment: a setting it reads that is missing or not taken from
/// the parameter of the same name (or, for those of [`from_stack`], the stack's resource), or a
/// variable it does not read.
fn environment_problems(template: &Value, function: &str, not_read: &[&str]) -> Vec<String> {
    let env = environment(template, function);
    let reads = reads(not_read);
    let mut problems = Vec::new();
    for name in &reads {
        let made = from_stack().into_iter().find(|(n, _)| n == name).map(|(_, value)| value);
        match (env.get(*name), made) {
            (None, _) => problems.push(format!("{function} is not given {name}")),
            (Some(value), Some(made)) if *value != made => {
                problems.push(format!("{function}'s {name} is {value}, not {made}"))
            }
            (Some(value), None) if !is_ref_to(value, name) => {
                problems.push(format!("{function}'s {name} is {value}, not a Ref to the parameter {name}"))
            }
            (Some(_), None) if !section(template, "Parameters").contains_key(*name) => {
                problems.push(format!("{function}'s {name} refers to a parameter the template does not declare"))
            }
            _ => {}
        }
    }
    for name in env.keys() {
        if !reads.contains(&name.as_str()) && !OTHER_VARIABLES.contains(&name.as_str()) {
            problems.push(format!("{function} is given {name}, which it does not read"));
        }
    }
    problems
}

#[test]
fn incoming_is_given_every_setting_it_reads_from_the_parameter_of_the_same_name_and_nothing_else() {
    let problems = environment_problems(&template(), INCOMING, NOT_READ_BY_INCOMING);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn triage_is_given_every_setting_it_reads_from_the_parameter_of_the_same_name_and_nothing_else() {
    let problems = environment_problems(&template(), TRIAGE, NOT_READ_BY_TRIAGE);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_lists_of_settings_a_function_does_not_read_name_real_settings() {
    let names: BTreeSet<_> = ALL_SETTINGS.iter().map(|s| s.name).collect();
    let from_stack = from_stack().map(|(name, _)| name);
    let defaults = DEFAULTS.iter().map(|(name, _)| name);
    for name in NOT_READ_BY_INCOMING.iter().chain(NOT_READ_BY_TRIAGE).chain(SECRETS).chain(OPTIONAL).chain(defaults) {
        assert!(names.contains(name), "{name} is not in ALL_SETTINGS: renamed?");
    }
    let parameters = section(&template(), "Parameters").clone();
    for name in from_stack {
        assert!(names.contains(name), "{name} is not in ALL_SETTINGS: renamed?");
        assert!(!parameters.contains_key(name), "{name} is the stack's own resource, not a parameter");
    }
}

#[test]
fn every_secret_parameter_is_no_echo() {
    let template = template();
    let looks_secret = |name: &str| {
        ["Token", "Secret", "PrivateKey", "ApiKey", "Password"].iter().any(|suffix| name.ends_with(suffix))
    };
    for (name, definition) in section(&template, "Parameters") {
        if SECRETS.contains(&name.as_str()) || looks_secret(name) {
            assert_eq!(definition["NoEcho"], json!(true), "secret parameter {name} is not NoEcho");
        }
    }
    for name in SECRETS {
        parameter(&template, name);
    }
}

#[test]
fn optional_settings_default_to_empty_numbers_to_the_codes_default_and_required_ones_have_none() {
    let template = template();
    let from_stack = from_stack().map(|(name, _)| name);
    for setting in ALL_SETTINGS.iter().filter(|s| !from_stack.contains(&s.name)) {
        let definition = parameter(&template, setting.name);
        if let Some((_, default)) = DEFAULTS.iter().find(|(name, _)| *name == setting.name) {
            assert_eq!(definition["Default"], json!(default), "{} defaults to the code's {default}", setting.name);
        } else if OPTIONAL.contains(&setting.name) {
            assert_eq!(definition["Default"], json!(""), "optional {} should default to empty", setting.name);
        } else {
            assert!(definition.get("Default").is_none(), "required {} has a default", setting.name);
        }
    }
}

/// The `Name=` parameters of each `aws cloudformation deploy` command in `text`.
fn deploy_commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with("aws cloudformation deploy") {
            continue;
        }
        let mut command = line.to_owned();
        let mut last = line;
        while last.trim_end().ends_with('\\') {
            let Some(next) = lines.next() else { break };
            command.push(' ');
            command.push_str(next);
            last = next;
        }
        let overrides = command.split_once("--parameter-overrides").map(|(_, rest)| rest).unwrap_or_default();
        let names = overrides
            .split_whitespace()
            .filter_map(|word| word.split_once('=').map(|(name, _)| name.to_owned()))
            .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
            .collect();
        commands.push(names);
    }
    commands
}

#[test]
fn the_set_up_guides_first_deploy_command_sets_every_required_parameter_and_no_unknown_one() {
    let template = template();
    let parameters = section(&template, "Parameters");
    let guides: Vec<_> = ["README.md"]
        .iter()
        .filter_map(|file| std::fs::read_to_string(repo_root().join(file)).ok().map(|text| (*file, text)))
        .filter(|(_, text)| text.contains("aws cloudformation deploy"))
        .collect();
    assert!(!guides.is_empty(), "README.md has no `aws cloudformation deploy` command");
    for (file, text) in guides {
        let commands = deploy_commands(&text);
        for name in commands.iter().flatten() {
            assert!(parameters.contains_key(name), "{file} sets {name}, which the template does not have");
        }
        let first: BTreeSet<_> = commands[0].iter().map(String::as_str).collect();
        for (name, definition) in parameters {
            if definition.get("Default").is_none() {
                assert!(first.contains(name.as_str()), "{file}'s first deploy command does not set {name}");
            }
        }
    }
}

#[test]
fn the_deploy_command_reader_finds_continued_lines() {
    let text = "x\naws cloudformation deploy \\\n  --stack-name d \\\n  --parameter-overrides \\\n    A=1 \\\n    Bc=\"$X\"\necho B=2\n";
    assert_eq!(deploy_commands(text), [vec!["A".to_owned(), "Bc".to_owned()]]);
}

#[test]
fn the_events_api_settings_reach_incoming_only_and_the_routing_key_is_a_no_echo_empty_default() {
    let template = template();
    for name in ["PagerDutyRoutingKey", "PagerDutyEventsUrl"] {
        assert!(is_ref_to(&environment(&template, INCOMING)[name], name), "incoming's {name}");
        assert!(!environment(&template, TRIAGE).contains_key(name), "triage's No stays on the REST API: {name}");
        assert_eq!(parameter(&template, name)["Default"], "", "{name} is optional");
    }
    assert_eq!(parameter(&template, "PagerDutyRoutingKey")["NoEcho"], true);
}
