//! The functions' runtime, outputs, retries, roles, alarms, reserved concurrency and the console's
//! parameter groups.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    INCOMING, TRIAGE, actions, is_ref_to, parameter, resource, resources_of_type, section, statements, template,
};

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

#[test]
fn roles_grant_no_wildcard_and_decrypt_only_the_kms_key_parameter_when_it_is_set() {
    let template = template();
    let roles = resources_of_type(&template, "AWS::IAM::Role");
    assert_eq!(roles.len(), 3, "one role per function, and the one EventBridge Scheduler invokes incoming with");
    for (id, role) in &roles {
        assert!(role["Properties"].get("ManagedPolicyArns").is_none(), "{id} has managed policies");
        for statement in statements(role) {
            assert_eq!(statement["Effect"], "Allow", "{id}: {statement}");
            for action in actions(&statement) {
                assert!(!action.contains('*'), "{id} allows the wildcard action {action}");
            }
            assert_ne!(statement["Resource"], "*", "{id} allows {statement} on every resource");
        }
    }
    for id in ["IncomingRole", "TriageRole"] {
        let role = resource(&template, id);
        for statement in statements(role) {
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
