//! `body.pagerduty.severity`: `critical` by default, PagerDuty's four names as written, anything else
//! rejected with its path (high-priority) or ignored with a warning (the fallback, which nothing
//! rejects); carried by the routing plan with the incident.

use dispatch_core::message::Alarm;
use dispatch_core::pagerduty::Severity;
use serde_json::json;

use super::helpers::*;

#[test]
fn a_high_priority_alarm_without_a_severity_is_critical() {
    let message = ok(&json(HIGH_PRIORITY));
    let Alarm::HighPriority(incident) = &message.alarm else { panic!("{message:?}") };
    assert_eq!(incident.severity, Severity::Critical);
    assert_eq!(plan_of(&json(HIGH_PRIORITY)).incident.unwrap().severity, Severity::Critical);
    let null = with(json(HIGH_PRIORITY), "/body/pagerduty/severity", json!(null));
    assert_eq!(plan_of(&null).incident.unwrap().severity, Severity::Critical);
}

#[test]
fn each_of_pagerdutys_four_severities_is_taken_as_written() {
    for (name, severity) in [
        ("critical", Severity::Critical),
        ("error", Severity::Error),
        ("warning", Severity::Warning),
        ("info", Severity::Info),
    ] {
        let message = with(json(HIGH_PRIORITY), "/body/pagerduty/severity", json!(name));
        assert_eq!(ok(&message).warnings, [], "{name}");
        assert_eq!(plan_of(&message).incident.unwrap().severity, severity, "{name}");
    }
}

#[test]
fn any_other_severity_is_rejected_with_its_path() {
    for value in [json!("high"), json!("Critical"), json!(" critical"), json!(""), json!(3)] {
        let message = with(json(HIGH_PRIORITY), "/body/pagerduty/severity", value.clone());
        let error = parse_value(&message).unwrap_err();
        assert_eq!(error.path, "body.pagerduty.severity", "{value}");
        assert_eq!(error.reason, "must be one of critical, error, warning, info", "{value}");
    }
    for value in [json!(true), json!(["critical"]), json!({ "level": "critical" })] {
        let message = with(json(HIGH_PRIORITY), "/body/pagerduty/severity", value.clone());
        let error = parse_value(&message).unwrap_err();
        assert_eq!(error.path, "body.pagerduty.severity", "{value}");
        assert!(error.reason.starts_with("expected a string, found"), "{error}");
    }
}

#[test]
fn the_fallback_takes_a_valid_severity_and_ignores_another_with_a_warning() {
    let fallback = json!({ "type": "page-me", "body": { "pagerduty": { "title": "t", "severity": "warning" } } });
    assert_eq!(plan_of(&fallback).incident.unwrap().severity, Severity::Warning);

    let odd = with(fallback, "/body/pagerduty/severity", json!("sev1"));
    let message = ok(&odd);
    let warning = message.warnings.iter().find(|w| w.path == "body.pagerduty.severity").expect("a warning");
    assert_eq!(warning.reason, "must be one of critical, error, warning, info; critical is used");
    assert_eq!(plan_of(&odd).incident.unwrap().severity, Severity::Critical);

    // Without body.pagerduty.title, the fallback pages with its whole message, as critical.
    assert_eq!(plan_of(&json(FALLBACK)).incident.unwrap().severity, Severity::Critical);
}

#[test]
fn a_severity_is_not_read_by_types_that_do_not_page() {
    let message = with(json(SELF_SERVICE), "/body/pagerduty", json!({ "title": "t", "severity": "sev1" }));
    assert_eq!(ok(&message).warnings, []);
}

#[test]
fn an_alarm_without_an_issue_has_no_links_for_its_alert() {
    assert_eq!(plan_of(&json(HIGH_PRIORITY)).incident.unwrap().links, []);
    assert_eq!(plan_of(&json(FALLBACK)).incident.unwrap().links, []);
}
