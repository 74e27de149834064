//! The metrics dashboard against what `dispatch_core::metrics` emits.

use std::collections::BTreeSet;

use dispatch_core::metrics::{Metric, NAMESPACE, Unit};
use serde_json::Value;

use super::{is_ref_to, resource, resources_of_type, section, template};

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
