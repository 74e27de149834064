//! Dispatch core: the message spec and its validation, the routing plan, the service clients and
//! the logic of the `incoming` and `triage` handlers. The Lambda binaries are thin wrappers.

pub mod clients;
pub mod compose;
pub mod config;
pub mod deadline;
pub mod github;
pub mod http;
pub mod ids;
pub mod incoming;
pub mod kms;
pub mod message;
pub mod metrics;
pub mod pagerduty;
pub mod routing;
pub mod scheduler;
pub mod slack;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod triage;
