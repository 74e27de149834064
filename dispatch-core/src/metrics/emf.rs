//! One metric as an Embedded Metric Format document: the JSON line CloudWatch Logs reads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Metric, NAMESPACE};

/// One EMF document: one metric with its dimension values, written as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    at: DateTime<Utc>,
    metric: Metric,
    /// Values of `metric.dimensions()`, in order.
    values: Vec<&'static str>,
    value: u64,
}

impl Document {
    /// `metric` = `value` with the values of its dimensions, in the order of
    /// [`Metric::dimensions`].
    ///
    /// # Panics
    /// If the number of dimension values is not the metric's number of dimensions.
    pub fn new(at: DateTime<Utc>, metric: Metric, values: &[&'static str], value: u64) -> Self {
        assert_eq!(values.len(), metric.dimensions().len(), "dimension values of {}", metric.name());
        Self { at, metric, values: values.to_vec(), value }
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The JSON line, without its newline.
    pub fn to_line(&self) -> String {
        let mut members = BTreeMap::new();
        for (name, value) in self.metric.dimensions().iter().zip(&self.values) {
            members.insert(*name, Member::Text(value));
        }
        members.insert(self.metric.name(), Member::Number(self.value));
        let emf = Emf {
            aws: Aws {
                timestamp: self.at.timestamp_millis(),
                cloud_watch_metrics: [Directive {
                    namespace: NAMESPACE,
                    dimensions: [self.metric.dimensions()],
                    metrics: [MetricDefinition { name: self.metric.name(), unit: self.metric.unit().as_str() }],
                }],
            },
            members,
        };
        serde_json::to_string(&emf).expect("an EMF document serializes")
    }
}

/// The EMF root: the metadata, then the dimension and metric values as top-level members.
#[derive(Serialize)]
struct Emf<'a> {
    #[serde(rename = "_aws")]
    aws: Aws<'a>,
    #[serde(flatten)]
    members: BTreeMap<&'a str, Member<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Aws<'a> {
    timestamp: i64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'a str,
    dimensions: [&'a [&'a str]; 1],
    metrics: [MetricDefinition<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricDefinition<'a> {
    name: &'a str,
    unit: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Member<'a> {
    Text(&'a str),
    Number(u64),
}
