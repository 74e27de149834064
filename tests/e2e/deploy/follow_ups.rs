//! Follow-ups of self-service prompts on EventBridge Scheduler: the schedule group, the role
//! Scheduler invokes `incoming` with, exactly what `incoming` may do with Scheduler, the two delay
//! parameters, and no circular dependency between the resources.

use std::collections::{BTreeMap, BTreeSet};

use dispatch_core::config::MAX_FOLLOW_UP_MINUTES;
use serde_json::{Value, json};

use super::{INCOMING, TRIAGE, actions, parameter, resource, resources_of_type, section, statements, template};

const ROLE: &str = "SchedulerRole";
const GROUP: &str = "SchedulerGroup";

/// Every action a role's policies allow.
fn allowed(template: &Value, role: &str) -> BTreeSet<String> {
    statements(resource(template, role)).iter().flat_map(actions).collect()
}

#[test]
fn the_stack_makes_one_schedule_group_for_the_follow_ups() {
    let template = template();
    let groups: Vec<&str> =
        resources_of_type(&template, "AWS::Scheduler::ScheduleGroup").into_iter().map(|(id, _)| id).collect();
    assert_eq!(groups, [GROUP]);
}

#[test]
fn the_scheduler_role_is_trusted_only_by_scheduler_in_this_account_and_may_only_invoke_incoming() {
    let template = template();
    let role = &resource(&template, ROLE)["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": { "Service": "scheduler.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } },
        }])
    );
    let [statement] = statements(resource(&template, ROLE)).try_into().expect("one statement");
    assert_eq!(actions(&statement), ["lambda:InvokeFunction"]);
    // incoming by the name the stack gives it (a reference to the function would be circular:
    // the function refers to this role), unqualified and as a version or alias.
    let name = resource(&template, INCOMING)["Properties"]["FunctionName"]["Fn::Sub"].as_str().unwrap().to_owned();
    assert_eq!(name, "${AWS::StackName}-incoming");
    let function = format!("arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}");
    assert_eq!(statement["Resource"], json!([{ "Fn::Sub": function }, { "Fn::Sub": format!("{function}:*") }]));
}

#[test]
fn incoming_may_create_schedules_only_in_its_group_and_pass_only_the_scheduler_role_to_scheduler() {
    let template = template();
    let expected: BTreeSet<String> = [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "kms:Decrypt",
        "scheduler:CreateSchedule",
        "iam:PassRole",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(allowed(&template, "IncomingRole"), expected, "incoming's actions, exactly");

    let role = resource(&template, "IncomingRole");
    let of = |action: &str| -> Vec<Value> {
        statements(role).into_iter().filter(|s| actions(s).iter().any(|a| a == action)).collect()
    };
    let [create] = of("scheduler:CreateSchedule").try_into().expect("one statement allows CreateSchedule");
    assert_eq!(actions(&create), ["scheduler:CreateSchedule"]);
    assert_eq!(
        create["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${SchedulerGroup}/*" })
    );
    assert!(create.get("Condition").is_none());
    let [pass] = of("iam:PassRole").try_into().expect("one statement allows PassRole");
    assert_eq!(actions(&pass), ["iam:PassRole"]);
    assert_eq!(pass["Resource"], json!({ "Fn::GetAtt": [ROLE, "Arn"] }));
    assert_eq!(pass["Condition"], json!({ "StringEquals": { "iam:PassedToService": "scheduler.amazonaws.com" } }));

    let triage = allowed(&template, "TriageRole");
    assert!(triage.iter().all(|a| !a.starts_with("scheduler:") && !a.starts_with("iam:")), "{triage:?}");
}

#[test]
fn the_follow_up_delays_are_numbers_of_minutes_from_0_to_7_days() {
    let template = template();
    for name in ["SelfServiceRemindAfter", "SelfServiceEscalateAfter"] {
        let definition = parameter(&template, name);
        assert_eq!(definition["Type"], "Number", "{name}");
        assert_eq!(definition["MinValue"], json!(0), "{name}");
        assert_eq!(definition["MaxValue"], json!(MAX_FOLLOW_UP_MINUTES), "{name}: the code's bound");
        assert!(definition["Description"].as_str().is_some_and(|d| d.contains("0 ")), "{name} says what 0 means");
    }
    let triage = resource(&template, TRIAGE)["Properties"]["Environment"]["Variables"].as_object().unwrap();
    assert!(!triage.keys().any(|k| k.starts_with("SelfService") || k.starts_with("Scheduler")), "{triage:?}");
}

/// The logical ids `value` refers to: `Ref`, `Fn::GetAtt` and `${…}` in `Fn::Sub`.
fn references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("Ref") {
                out.insert(name.clone());
            }
            if let Some(Value::String(name)) = map.get("Fn::GetAtt").and_then(|a| a.get(0)) {
                out.insert(name.clone());
            }
            let sub = map.get("Fn::Sub").and_then(|s| s.as_str().or_else(|| s.get(0).and_then(Value::as_str)));
            for part in sub.unwrap_or_default().split("${").skip(1).filter(|p| !p.starts_with('!')) {
                let name = part.split(['}', '.']).next().unwrap_or_default();
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| references(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// A cycle of resources that refer to each other (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`).
fn cycle(resources: &serde_json::Map<String, Value>) -> Option<Vec<String>> {
    let graph: BTreeMap<&str, BTreeSet<String>> = resources
        .iter()
        .map(|(id, r)| {
            let mut out = BTreeSet::new();
            references(r, &mut out);
            match &r["DependsOn"] {
                Value::String(d) => {
                    out.insert(d.clone());
                }
                Value::Array(ds) => out.extend(ds.iter().filter_map(Value::as_str).map(str::to_owned)),
                _ => {}
            }
            out.retain(|name| resources.contains_key(name));
            (id.as_str(), out)
        })
        .collect();
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| *n == node) {
            return Some(path[start..].iter().map(|n| (*n).to_owned()).chain([node.to_owned()]).collect());
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in &graph[node] {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, &graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_resource_depends_on_itself_through_the_others() {
    assert_eq!(cycle(section(&template(), "Resources")), None);
}

#[test]
fn the_cycle_finder_finds_a_function_and_a_role_that_refer_to_each_other() {
    let resources = json!({
        "Function": { "Properties": { "Env": { "Fn::GetAtt": ["Role", "Arn"] } } },
        "Role": { "Properties": { "Resource": { "Fn::Sub": "${Function.Arn}:*" }, "Literal": { "Fn::Sub": "${!Role}" } } },
        "Other": { "Properties": { "Name": { "Ref": "AWS::StackName" } } },
    });
    let found = cycle(resources.as_object().unwrap()).expect("a cycle");
    assert_eq!(found, ["Function", "Role", "Function"]);
    let acyclic = json!({
        "Function": { "Properties": { "Env": { "Fn::GetAtt": ["Role", "Arn"] } } },
        "Role": { "Properties": { "Resource": { "Fn::Sub": "${AWS::StackName}-incoming" } } },
    });
    assert_eq!(cycle(acyclic.as_object().unwrap()), None);
}
