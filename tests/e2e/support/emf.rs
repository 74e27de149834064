//! Reads the metric lines a handler emitted (`dispatch_core::metrics::capture`), checking that each
//! is an EMF document whose `_aws` metadata declares exactly the members it holds.

use dispatch_core::metrics::{Metric, NAMESPACE};
use serde_json::Value;

/// Each line as `Metric{Dimension=value,…}=n`, in the order emitted, after checking it.
pub fn read(lines: &[String]) -> Vec<String> {
    lines.iter().map(|line| read_line(line)).collect()
}

fn read_line(line: &str) -> String {
    assert!(!line.contains('\n'), "one document per line: {line}");
    let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let members = value.as_object().unwrap_or_else(|| panic!("not an object: {line}"));
    let aws = &value["_aws"];
    assert!(aws["Timestamp"].as_i64().is_some_and(|t| t > 0), "Timestamp in milliseconds: {line}");
    let [directive] = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics").as_slice() else {
        panic!("one directive: {line}")
    };
    assert_eq!(directive["Namespace"], NAMESPACE, "{line}");
    let [dimensions] = directive["Dimensions"].as_array().expect("Dimensions").as_slice() else {
        panic!("one dimension set: {line}")
    };
    let dimensions: Vec<&str> = dimensions.as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let [definition] = directive["Metrics"].as_array().expect("Metrics").as_slice() else {
        panic!("one metric: {line}")
    };
    let name = definition["Name"].as_str().expect("Name");
    let metric = Metric::ALL.into_iter().find(|m| m.name() == name).unwrap_or_else(|| panic!("unknown metric {name}"));
    assert_eq!(definition["Unit"], metric.unit().as_str(), "{line}");
    assert_eq!(dimensions, metric.dimensions(), "{name}'s dimension set: {line}");
    assert_eq!(members.len(), 2 + dimensions.len(), "only _aws, the dimensions and the metric: {line}");
    let values: Vec<String> = dimensions
        .iter()
        .map(|d| format!("{d}={}", members[*d].as_str().unwrap_or_else(|| panic!("{d} is not a string: {line}"))))
        .collect();
    let n = members[name].as_u64().unwrap_or_else(|| panic!("{name} is not a number: {line}"));
    format!("{name}{{{}}}={n}", values.join(","))
}
