//! The CloudFormation template (`cloudformation/dispatch.yaml`) against what the binaries read
//! (`dispatch_core::config::ALL_SETTINGS`): each function is given every setting it reads, from the
//! parameter of the same name, and no other; secrets are `NoEcho`; the runtime, handler and code keys
//! match what `cargo lambda build` writes; the outputs the original's users know exist; roles grant
//! no wildcard action; the set-up guide's deploy command names only parameters the template has;
//! and the metrics dashboard plots what `dispatch_core::metrics` emits.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dispatch_core::config::ALL_SETTINGS;
use dispatch_core::metrics::{Metric, NAMESPACE, Unit};
use serde_json::{Map, Value, json};

const INCOMING: &str = "IncomingFunction";
const TRIAGE: &str = "TriageFunction";

/// Settings `incoming` does not read: the Slack request verification of `triage`.
const NOT_READ_BY_INCOMING: &[&str] = &["SlackSigningSecret", "SlackVerificationToken"];
/// Settings `triage` does not read: it tags nobody, posts to no channel, answers through each
/// click's `response_url`, which needs no bot token, and opens a No's incident on the REST API.
const NOT_READ_BY_TRIAGE: &[&str] =
    &["GitHubDefaultUser", "SlackDefaultChannel", "SlackBotToken", "PagerDutyRoutingKey", "PagerDutyEventsUrl"];
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
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests package is in the workspace").to_path_buf()
}

/// The template as JSON, with YAML's short forms (`!Ref X`, `!GetAtt A.B`, `!Sub …`) rewritten to
/// the long forms (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": …}`).
fn template() -> Value {
    let path = repo_root().join("cloudformation/dispatch.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    to_json(yaml)
}

fn to_json(yaml: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).expect("a YAML number is a JSON number"),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.as_str().expect("template keys are strings").to_owned(), to_json(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string().trim_start_matches('!').to_owned();
            let value = to_json(tagged.value);
            match (name.as_str(), value) {
                ("Ref", value) => json!({ "Ref": value }),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s.split_once('.').expect("!GetAtt Resource.Attribute");
                    json!({ "Fn::GetAtt": [resource, attribute] })
                }
                (other, value) => json!({ format!("Fn::{other}"): value }),
            }
        }
    }
}

fn section<'a>(template: &'a Value, name: &str) -> &'a Map<String, Value> {
    template[name].as_object().unwrap_or_else(|| panic!("the template has no {name} section"))
}

fn resource<'a>(template: &'a Value, logical_id: &str) -> &'a Value {
    section(template, "Resources").get(logical_id).unwrap_or_else(|| panic!("no resource {logical_id}"))
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    section(template, "Resources").iter().filter(|(_, r)| r["Type"] == kind).map(|(id, r)| (id.as_str(), r)).collect()
}

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

fn parameter<'a>(template: &'a Value, name: &str) -> &'a Value {
    section(template, "Parameters").get(name).unwrap_or_else(|| panic!("no parameter {name}"))
}

fn is_ref_to(value: &Value, name: &str) -> bool {
    value == &json!({ "Ref": name })
}

/// Problems with one function's environment: a setting it reads that is missing or not taken from
/// the parameter of the same name, or a variable it does not read.
fn environment_problems(template: &Value, function: &str, not_read: &[&str]) -> Vec<String> {
    let env = environment(template, function);
    let reads = reads(not_read);
    let mut problems = Vec::new();
    for name in &reads {
        match env.get(*name) {
            None => problems.push(format!("{function} is not given {name}")),
            Some(value) if !is_ref_to(value, name) => {
                problems.push(format!("{function}'s {name} is {value}, not a Ref to the parameter {name}"))
            }
            Some(_) if !section(template, "Parameters").contains_key(*name) => {
                problems.push(format!("{function}'s {name} refers to a parameter the template does not declare"))
            }
            Some(_) => {}
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
    for name in NOT_READ_BY_INCOMING.iter().chain(NOT_READ_BY_TRIAGE).chain(SECRETS).chain(OPTIONAL) {
        assert!(names.contains(name), "{name} is not in ALL_SETTINGS: renamed?");
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
fn optional_settings_default_to_empty_and_required_ones_have_no_default() {
    let template = template();
    for setting in ALL_SETTINGS {
        let definition = parameter(&template, setting.name);
        if OPTIONAL.contains(&setting.name) {
            assert_eq!(definition["Default"], json!(""), "optional {} should default to empty", setting.name);
        } else {
            assert!(definition.get("Default").is_none(), "required {} has a default", setting.name);
        }
    }
}

#[test]
fn both_functions_run_the_cargo_lambda_bootstrap_on_provided_al2023_arm64_by_default() {
    let template = template();
    for (function, binary) in [(INCOMING, "incoming"), (TRIAGE, "triage")] {
        let properties = &resource(&template, function)["Properties"];
        assert_eq!(properties["Runtime"], "provided.al2023", "{function}");
        assert_eq!(properties["Handler"], "bootstrap", "{function}");
        assert_eq!(properties["Architectures"], json!([{ "Ref": "Architecture" }]), "{function}");
        let key = properties["Code"]["S3Key"]["Fn::Sub"].as_str().unwrap_or_default();
        assert_eq!(key, format!("${{CodeS3Prefix}}{binary}/bootstrap.zip"), "{function}'s S3 key");
        assert!(is_ref_to(&properties["Code"]["S3Bucket"], "CodeS3Bucket"), "{function}'s S3 bucket");
    }
    let architecture = parameter(&template, "Architecture");
    assert_eq!(architecture["Default"], "arm64");
    assert_eq!(architecture["AllowedValues"], json!(["arm64", "x86_64"]));
}

#[test]
fn the_outputs_named_in_the_originals_set_up_guide_exist() {
    let template = template();
    let outputs = section(&template, "Outputs");

    let topic = &outputs.get("incomingSNSTopic").expect("output incomingSNSTopic")["Value"];
    let topic_id = topic["Ref"].as_str().expect("incomingSNSTopic is a Ref to the topic");
    assert_eq!(resource(&template, topic_id)["Type"], "AWS::SNS::Topic");
    let subscribed = resources_of_type(&template, "AWS::SNS::Subscription").into_iter().any(|(_, s)| {
        is_ref_to(&s["Properties"]["TopicArn"], topic_id)
            && s["Properties"]["Protocol"] == "lambda"
            && s["Properties"]["Endpoint"] == json!({ "Fn::GetAtt": [INCOMING, "Arn"] })
    });
    assert!(subscribed, "incoming is not subscribed to {topic_id}");

    let endpoint = &outputs.get("triageWebhookAPIEndpoint").expect("output triageWebhookAPIEndpoint")["Value"];
    let url_id = endpoint["Fn::GetAtt"][0].as_str().expect("triageWebhookAPIEndpoint is a GetAtt");
    let url = resource(&template, url_id);
    assert_eq!(url["Type"], "AWS::Lambda::Url");
    assert_eq!(endpoint["Fn::GetAtt"][1], "FunctionUrl");
    assert_eq!(url["Properties"]["TargetFunctionArn"], json!({ "Fn::GetAtt": [TRIAGE, "Arn"] }));
}

#[test]
fn incoming_retries_twice_then_sends_the_event_to_a_queue_it_may_write_to() {
    let template = template();
    let configs: Vec<_> = resources_of_type(&template, "AWS::Lambda::EventInvokeConfig")
        .into_iter()
        .filter(|(_, c)| is_ref_to(&c["Properties"]["FunctionName"], INCOMING))
        .collect();
    let [(_, config)] = configs.as_slice() else { panic!("incoming needs one EventInvokeConfig, has {configs:?}") };
    assert_eq!(config["Properties"]["MaximumRetryAttempts"], 2);
    let destination = &config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
    let queue = destination["Fn::GetAtt"][0].as_str().expect("the on-failure destination is a GetAtt of a queue");
    assert_eq!(resource(&template, queue)["Type"], "AWS::SQS::Queue");

    let role = resource(&template, INCOMING)["Properties"]["Role"]["Fn::GetAtt"][0].as_str().expect("a role");
    let may_send = statements(resource(&template, role))
        .iter()
        .any(|s| actions(s) == ["sqs:SendMessage"] && s["Resource"] == *destination);
    assert!(may_send, "{role} may not send to {queue}");
}

/// A role's policy statements, with `Fn::If` branches flattened.
fn statements(role: &Value) -> Vec<Value> {
    fn flatten(statement: &Value, out: &mut Vec<Value>) {
        match statement.get("Fn::If").and_then(Value::as_array) {
            Some(branches) => branches[1..].iter().for_each(|b| flatten(b, out)),
            None if statement.get("Ref").is_some_and(|r| r == "AWS::NoValue") => {}
            None => out.push(statement.clone()),
        }
    }
    let mut out = Vec::new();
    for policy in role["Properties"]["Policies"].as_array().into_iter().flatten() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().into_iter().flatten() {
            flatten(statement, &mut out);
        }
    }
    out
}

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(action) => vec![action.clone()],
        Value::Array(list) => list.iter().map(|a| a.as_str().expect("actions are strings").to_owned()).collect(),
        other => panic!("unexpected Action {other}"),
    }
}

#[test]
fn roles_grant_no_wildcard_and_decrypt_only_the_kms_key_parameter_when_it_is_set() {
    let template = template();
    let roles = resources_of_type(&template, "AWS::IAM::Role");
    assert_eq!(roles.len(), 2, "one role per function");
    for (id, role) in roles {
        assert!(role["Properties"].get("ManagedPolicyArns").is_none(), "{id} has managed policies");
        for statement in statements(role) {
            assert_eq!(statement["Effect"], "Allow", "{id}: {statement}");
            for action in actions(&statement) {
                assert!(!action.contains('*'), "{id} allows the wildcard action {action}");
            }
            assert_ne!(statement["Resource"], "*", "{id} allows {statement} on every resource");
            if actions(&statement).iter().any(|a| a.starts_with("kms:")) {
                assert_eq!(actions(&statement), ["kms:Decrypt"], "{id}");
                assert!(is_ref_to(&statement["Resource"], "KmsKey"), "{id} decrypts with {}", statement["Resource"]);
            }
        }
        let raw = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        let kms_guarded = raw.as_array().into_iter().flatten().any(|s| s["Fn::If"][0] == "HasKmsKey");
        assert!(kms_guarded, "{id}: kms:Decrypt is not conditional on KmsKey being set");
    }
    assert_eq!(
        section(&template, "Conditions")["HasKmsKey"],
        json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "KmsKey" }, ""] }] })
    );
}

#[test]
fn failures_of_either_function_and_a_non_empty_failure_queue_raise_an_alarm() {
    let template = template();
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    let watches = |namespace: &str, metric: &str, dimension: &Value| {
        alarms.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == namespace
                && p["MetricName"] == metric
                && p["Dimensions"][0]["Value"] == *dimension
                && p["AlarmActions"].as_array().is_some_and(|actions| !actions.is_empty())
        })
    };
    assert!(watches("AWS/Lambda", "Errors", &json!({ "Ref": INCOMING })), "no alarm on incoming's errors");
    assert!(watches("AWS/Lambda", "Errors", &json!({ "Ref": TRIAGE })), "no alarm on triage's errors");
    let queue = resources_of_type(&template, "AWS::SQS::Queue")[0].0;
    let queue_name = json!({ "Fn::GetAtt": [queue, "QueueName"] });
    assert!(watches("AWS/SQS", "ApproximateNumberOfMessagesVisible", &queue_name), "no alarm on the failure queue");
    let emailed = resources_of_type(&template, "AWS::SNS::Subscription").iter().any(|(_, s)| {
        s["Properties"]["Protocol"] == "email" && is_ref_to(&s["Properties"]["Endpoint"], "ServiceAlarmEmail")
    });
    assert!(emailed, "alarms are not emailed to ServiceAlarmEmail");
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

/// A parameter's value as CloudFormation hands it to `Ref` and `Fn::Equals`: a string, the one in
/// `given` if any, else the parameter's default (a number default becomes its decimal text).
fn parameter_value(template: &Value, given: &[(&str, &str)], name: &str) -> String {
    if let Some((_, value)) = given.iter().find(|(n, _)| *n == name) {
        return (*value).to_owned();
    }
    match &parameter(template, name)["Default"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("parameter {name} is not given and its default is {other}"),
    }
}

/// A value of the template as CloudFormation resolves it with the parameters `given` (the others at
/// their defaults): `Ref` to a parameter, `Fn::If` on a condition; `None` for `AWS::NoValue`.
fn resolve(template: &Value, given: &[(&str, &str)], value: &Value) -> Option<Value> {
    if let Some(name) = value.get("Ref").and_then(Value::as_str) {
        return (name != "AWS::NoValue").then(|| Value::String(parameter_value(template, given, name)));
    }
    if let Some([condition, then, otherwise]) = value.get("Fn::If").and_then(Value::as_array).map(Vec::as_slice) {
        let condition = condition.as_str().expect("Fn::If names a condition");
        let branch = if condition_holds(template, given, condition) { then } else { otherwise };
        return resolve(template, given, branch);
    }
    Some(value.clone())
}

/// Whether the named condition holds with the parameters `given` (the others at their defaults).
fn condition_holds(template: &Value, given: &[(&str, &str)], name: &str) -> bool {
    let definition = section(template, "Conditions").get(name).unwrap_or_else(|| panic!("no condition {name}"));
    evaluate(template, given, definition)
}

fn evaluate(template: &Value, given: &[(&str, &str)], expression: &Value) -> bool {
    let operands = |function: &str| expression[function].as_array().cloned().unwrap_or_default();
    let text = |value: &Value| match resolve(template, given, value) {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        other => panic!("Fn::Equals compares {other:?}"),
    };
    let object = expression.as_object().unwrap_or_else(|| panic!("{expression} is not a condition function"));
    match object.keys().next().map(String::as_str) {
        Some("Fn::Not") => !evaluate(template, given, &operands("Fn::Not")[0]),
        Some("Fn::Or") => operands("Fn::Or").iter().any(|c| evaluate(template, given, c)),
        Some("Fn::And") => operands("Fn::And").iter().all(|c| evaluate(template, given, c)),
        Some("Fn::Equals") => {
            let [a, b] = operands("Fn::Equals").try_into().expect("Fn::Equals has two operands");
            text(&a) == text(&b)
        }
        Some("Condition") => condition_holds(template, given, expression["Condition"].as_str().expect("a name")),
        other => panic!("unexpected condition function {other:?} in {expression}"),
    }
}

/// The `ReservedConcurrentExecutions` a function gets with the parameters `given`; `None` when it
/// reserves none (the property is absent or resolves to `AWS::NoValue`).
fn reserved_concurrency(template: &Value, function: &str, given: &[(&str, &str)]) -> Option<String> {
    let property = resource(template, function)["Properties"].get("ReservedConcurrentExecutions")?;
    match resolve(template, given, property)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        other => panic!("{function}'s ReservedConcurrentExecutions is {other}"),
    }
}

/// The `Fn::If` a function's reserved concurrency must be: the parameter under a condition of the
/// template, else no value.
fn assert_reserved_from_parameter_under_a_condition(template: &Value, function: &str, parameter_name: &str) {
    let property = &resource(template, function)["Properties"]["ReservedConcurrentExecutions"];
    let branches = property["Fn::If"].as_array().unwrap_or_else(|| {
        panic!("{function}'s ReservedConcurrentExecutions is {property}, not an Fn::If on a condition")
    });
    let condition = branches[0].as_str().expect("Fn::If names a condition");
    assert!(section(template, "Conditions").contains_key(condition), "no condition {condition}");
    assert!(is_ref_to(&branches[1], parameter_name), "{function} reserves {}, not {parameter_name}", branches[1]);
    assert!(is_ref_to(&branches[2], "AWS::NoValue"), "{function} reserves {} when {condition} is false", branches[2]);
}

#[test]
fn triage_reserves_the_concurrency_of_its_parameter_5_by_default_and_none_when_it_is_0_or_empty() {
    let template = template();
    assert_reserved_from_parameter_under_a_condition(&template, TRIAGE, "TriageReservedConcurrency");
    let definition = parameter(&template, "TriageReservedConcurrency");
    assert_eq!(definition["Type"], "Number");
    assert_eq!(definition["Default"], json!(5));
    assert_eq!(definition["MinValue"], json!(0), "a negative reservation is refused up front");

    let reserved = |value: &str| reserved_concurrency(&template, TRIAGE, &[("TriageReservedConcurrency", value)]);
    assert_eq!(reserved_concurrency(&template, TRIAGE, &[]).as_deref(), Some("5"), "by default");
    assert_eq!(reserved("12").as_deref(), Some("12"));
    assert_eq!(reserved("1").as_deref(), Some("1"));
    // 0 must mean "reserve none", never "reserve 0": that would throttle every click.
    assert_eq!(reserved("0"), None);
    assert_eq!(reserved(""), None);
}

#[test]
fn incoming_reserves_concurrency_only_when_its_parameter_is_set_to_more_than_0() {
    let template = template();
    assert_reserved_from_parameter_under_a_condition(&template, INCOMING, "IncomingReservedConcurrency");
    let definition = parameter(&template, "IncomingReservedConcurrency");
    assert_eq!(definition["Default"], "", "incoming reserves nothing unless a team asks");
    // A whole number in its plain form, or empty: "00" or "0.0" would pass a looser check, miss the
    // condition's "0" and reserve 0, which stops every alarm.
    assert_eq!(definition["AllowedPattern"], "^(0|[1-9][0-9]*)?$");

    let reserved = |value: &str| reserved_concurrency(&template, INCOMING, &[("IncomingReservedConcurrency", value)]);
    assert_eq!(reserved_concurrency(&template, INCOMING, &[]), None, "by default");
    assert_eq!(reserved("20").as_deref(), Some("20"));
    assert_eq!(reserved("0"), None, "0 would throttle every alarm: it must mean none");
    assert_eq!(reserved(""), None);
    // Each function's reservation is its own.
    assert_eq!(reserved_concurrency(&template, TRIAGE, &[("IncomingReservedConcurrency", "20")]).as_deref(), Some("5"));
    assert_eq!(reserved_concurrency(&template, INCOMING, &[("TriageReservedConcurrency", "7")]), None);
}

#[test]
fn every_parameter_is_in_exactly_one_parameter_group_of_the_console() {
    let template = template();
    let groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        .as_array()
        .expect("the template has ParameterGroups");
    let mut grouped = BTreeMap::<&str, usize>::new();
    for group in groups {
        for name in group["Parameters"].as_array().into_iter().flatten() {
            let name = name.as_str().expect("parameter names are strings");
            assert!(section(&template, "Parameters").contains_key(name), "a group lists {name}, not a parameter");
            *grouped.entry(name).or_default() += 1;
        }
    }
    for name in section(&template, "Parameters").keys() {
        assert_eq!(grouped.get(name.as_str()), Some(&1), "{name} is not in exactly one parameter group");
    }
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

const DASHBOARD: &str = "MetricsDashboard";

/// The dashboard's body as CloudFormation renders it in `region`: `${AWS::Region}` resolved and
/// `${!…}` (a literal `${…}`, CloudWatch's dynamic labels) unescaped.
fn dashboard_body(template: &Value, region: &str) -> Value {
    let body = &resource(template, DASHBOARD)["Properties"]["DashboardBody"]["Fn::Sub"];
    let body = body.as_str().unwrap_or_else(|| panic!("the DashboardBody is {body}, not an Fn::Sub of a string"));
    let rendered = body.replace("${AWS::Region}", region).replace("${!", "${");
    assert!(!rendered.contains("${AWS::"), "the body uses only ${{AWS::Region}}");
    serde_json::from_str(&rendered).unwrap_or_else(|e| panic!("the DashboardBody is not JSON once rendered ({e})"))
}

/// One metric a widget plots: namespace, metric name, dimension names, statistic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Plotted {
    namespace: String,
    name: String,
    dimensions: BTreeSet<String>,
    stat: String,
}

/// Reads `SEARCH('{Namespace,Dimension,…} MetricName="Name"', 'stat', period)`.
fn search(expression: &str) -> Plotted {
    let schema = expression.strip_prefix("SEARCH('{").unwrap_or_else(|| panic!("not a SEARCH: {expression}"));
    let (schema, rest) = schema.split_once('}').expect("a schema in braces");
    let mut parts = schema.split(',').map(str::trim);
    let namespace = parts.next().expect("a namespace").to_owned();
    let dimensions = parts.map(str::to_owned).collect();
    let (_, name) = rest.split_once("MetricName=\"").unwrap_or_else(|| panic!("no MetricName in {expression}"));
    let (name, rest) = name.split_once('"').expect("a quoted metric name");
    let (_, stat) = rest.split_once("', '").unwrap_or_else(|| panic!("no statistic in {expression}"));
    let (stat, _) = stat.split_once('\'').expect("a quoted statistic");
    Plotted { namespace, name: name.to_owned(), dimensions, stat: stat.to_owned() }
}

/// Every metric the dashboard's widgets plot, by SEARCH expression or as a metric array.
fn plotted(body: &Value) -> Vec<Plotted> {
    let mut out = Vec::new();
    for widget in body["widgets"].as_array().expect("widgets") {
        if widget["type"] != "metric" {
            continue;
        }
        let properties = &widget["properties"];
        let default_stat = properties["stat"].as_str().unwrap_or("Average");
        for row in properties["metrics"].as_array().expect("a metric widget lists metrics") {
            let row = row.as_array().expect("each metric is an array");
            match row.first() {
                Some(Value::Object(query)) => out.push(search(query["expression"].as_str().expect("an expression"))),
                Some(Value::String(namespace)) => {
                    let names: Vec<&str> = row.iter().filter_map(Value::as_str).collect();
                    let stat = row.iter().find_map(|v| v.get("stat")).and_then(Value::as_str).unwrap_or(default_stat);
                    out.push(Plotted {
                        namespace: namespace.clone(),
                        name: names[1].to_owned(),
                        dimensions: names[2..].iter().step_by(2).map(|d| (*d).to_owned()).collect(),
                        stat: stat.to_owned(),
                    });
                }
                other => panic!("unexpected metric row {other:?}"),
            }
        }
    }
    out
}

#[test]
fn the_dashboard_plots_every_metric_the_code_emits_with_its_namespace_and_dimensions() {
    let body = dashboard_body(&template(), "eu-west-1");
    let plotted = plotted(&body);
    for p in &plotted {
        assert_eq!(p.namespace, NAMESPACE, "{p:?}");
        let metric = Metric::ALL
            .into_iter()
            .find(|m| m.name() == p.name)
            .unwrap_or_else(|| panic!("the dashboard plots {}, which Dispatch does not emit", p.name));
        let emitted: BTreeSet<String> = metric.dimensions().iter().map(|d| (*d).to_owned()).collect();
        assert_eq!(p.dimensions, emitted, "{}: the dashboard's dimensions are not those emitted", p.name);
    }
    for metric in Metric::ALL {
        assert!(plotted.iter().any(|p| p.name == metric.name()), "{} is not on the dashboard", metric.name());
    }
    for widget in body["widgets"].as_array().unwrap() {
        assert_eq!(widget["properties"]["region"], "eu-west-1", "each widget shows the stack's region");
    }
}

#[test]
fn the_dashboard_shows_counts_as_sums_and_time_to_answer_at_p50_and_p90() {
    let plotted = plotted(&dashboard_body(&template(), "eu-west-1"));
    for p in &plotted {
        match Metric::ALL.into_iter().find(|m| m.name() == p.name).map(Metric::unit) {
            Some(Unit::Count) => assert_eq!(p.stat, "Sum", "{p:?}"),
            Some(Unit::Milliseconds) => assert!(p.stat.starts_with('p'), "a duration is shown as percentiles: {p:?}"),
            None => panic!("unknown metric {p:?}"),
        }
    }
    let stats: BTreeSet<&str> =
        plotted.iter().filter(|p| p.name == Metric::TimeToAnswer.name()).map(|p| p.stat.as_str()).collect();
    assert_eq!(stats, BTreeSet::from(["p50", "p90"]));
}

#[test]
fn the_dashboard_is_named_after_the_stack_and_its_address_is_an_output() {
    let template = template();
    assert_eq!(resources_of_type(&template, "AWS::CloudWatch::Dashboard").len(), 1);
    assert!(is_ref_to(&resource(&template, DASHBOARD)["Properties"]["DashboardName"], "AWS::StackName"));
    let url = &section(&template, "Outputs")["metricsDashboard"]["Value"]["Fn::Sub"];
    assert_eq!(
        url,
        "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#dashboards/dashboard/${MetricsDashboard}"
    );
}

#[test]
fn the_search_reader_reads_namespace_dimensions_name_and_statistic() {
    let p = search(r#"SEARCH('{Dispatch,Type,Outcome} MetricName="Alarms"', 'Sum', 300)"#);
    assert_eq!(
        p,
        Plotted {
            namespace: "Dispatch".into(),
            name: "Alarms".into(),
            dimensions: BTreeSet::from(["Outcome".into(), "Type".into()]),
            stat: "Sum".into(),
        }
    );
}
