//! The CloudFormation template (`cloudformation/dispatch.yaml`) against what the binaries read
//! (`dispatch_core::config::ALL_SETTINGS`): each function is given every setting it reads, from the
//! parameter of the same name, and no other; secrets are `NoEcho`; the runtime, handler and code keys
//! match what `cargo lambda build` writes; the outputs the original's users know exist; roles grant
//! no wildcard action; the set-up guide's deploy command names only parameters the template has;
//! and the metrics dashboard plots what `dispatch_core::metrics` emits.

mod dashboard;
mod follow_ups;
mod functions;
mod settings;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

const INCOMING: &str = "IncomingFunction";
const TRIAGE: &str = "TriageFunction";

/// The repository's root: the tests package is one of its folders.
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

fn parameter<'a>(template: &'a Value, name: &str) -> &'a Value {
    section(template, "Parameters").get(name).unwrap_or_else(|| panic!("no parameter {name}"))
}

fn is_ref_to(value: &Value, name: &str) -> bool {
    value == &json!({ "Ref": name })
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
