//! The committed JSON Schema is the one the Rust types generate.

use dispatch_core::message::schema::message_schema_json;

#[test]
fn the_committed_schema_matches_the_rust_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../MESSAGE-SPEC.schema.json");
    let generated = message_schema_json();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "MESSAGE-SPEC.schema.json is out of date: run `UPDATE_SCHEMA=1 cargo test -p dispatch-core --test spec schema` and commit it"
    );
}

#[test]
fn the_schema_states_what_each_type_requires() {
    let schema: serde_json::Value = serde_json::from_str(&message_schema_json()).unwrap();
    let rules = schema["allOf"].as_array().unwrap();
    let kinds: Vec<&str> = rules.iter().map(|r| r["if"]["properties"]["type"]["const"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["self-service", "broadcast", "nag", "low-priority", "high-priority"]);
    assert_eq!(schema["required"], serde_json::json!(["type"]));
    assert!(schema["properties"]["githubRepo"].is_object());
}
