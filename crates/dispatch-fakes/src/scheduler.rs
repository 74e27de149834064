//! A fake Amazon EventBridge Scheduler speaking restJson1 `CreateSchedule` (`POST
//! /schedules/{Name}`), for the real aws-sdk-scheduler (`AWS_ENDPOINT_URL_SCHEDULER`). It keeps the
//! schedules created and answers as Scheduler does: 200 with the `ScheduleArn`, 409
//! `ConflictException` for a name already in the group, 400 `ValidationException` for a bad name,
//! expression or missing field, 404 `ResourceNotFoundException` for a group that does not exist
//! (when groups are declared). It reads the strict view of a one-time schedule in the past: refused.
//! Schedules never fire on their own: a test takes the due ones ([`FakeScheduler::take_due`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

use crate::server::{Incoming, Recorded, Started, lock, serve_with_state};

/// A schedule the fake holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSchedule {
    /// `Name`, from the path.
    pub name: String,
    /// `GroupName` (`default` when absent, as Scheduler does).
    pub group: String,
    /// `ScheduleExpression` as sent.
    pub expression: String,
    /// The time of its `at(…)` expression, in UTC.
    pub at: DateTime<Utc>,
    /// `Target.Arn`.
    pub target_arn: String,
    /// `Target.RoleArn`.
    pub role_arn: String,
    /// `Target.Input`, when given.
    pub input: Option<String>,
    /// `ActionAfterCompletion` (`NONE` when absent, as Scheduler does).
    pub action_after_completion: String,
    /// `FlexibleTimeWindow.Mode`.
    pub flexible_time_window: String,
    /// `Description`, when given.
    pub description: Option<String>,
}

/// A way for `CreateSchedule` to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedulerFault {
    /// Answer `status` with `x-amzn-errortype: error_type`, creating nothing.
    Error {
        /// HTTP status (429, 500, 403, …).
        status: u16,
        /// The error type (`ThrottlingException`, `InternalServerException`, …).
        error_type: String,
    },
    /// Create the schedule, then answer this error anyway (the answer was lost on the way).
    AppliedThenError {
        /// HTTP status.
        status: u16,
        /// The error type.
        error_type: String,
    },
    /// Create nothing and answer (500) only after this long.
    Hang(Duration),
}

impl SchedulerFault {
    /// [`SchedulerFault::Error`] from a status and an error type.
    pub fn error(status: u16, error_type: &str) -> Self {
        Self::Error { status, error_type: error_type.to_owned() }
    }
}

#[derive(Debug, Default)]
struct State {
    schedules: Vec<RecordedSchedule>,
    /// The groups that exist; `None` accepts every group.
    groups: Option<Vec<String>>,
    /// Planned faults, each for a number of requests, first planned first used.
    faults: Vec<(SchedulerFault, usize)>,
}

/// The fake EventBridge Scheduler.
#[derive(Debug, Clone)]
pub struct FakeScheduler {
    url: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeScheduler {
    /// Starts it on a loopback port, accepting schedules in any group.
    pub async fn start() -> std::io::Result<Self> {
        let Started { addr, state, log } =
            serve_with_state(|state: Arc<Mutex<State>>, request| async move { handle(&state, request).await }).await?;
        Ok(Self { url: format!("http://{addr}"), state, log })
    }

    /// Starts it with only these schedule groups existing: others answer 404.
    pub async fn start_with_groups(groups: &[&str]) -> std::io::Result<Self> {
        let fake = Self::start().await?;
        lock(&fake.state).groups = Some(groups.iter().map(|g| (*g).to_owned()).collect());
        Ok(fake)
    }

    /// The endpoint, for `AWS_ENDPOINT_URL_SCHEDULER` or an SDK configuration's `endpoint_url`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The schedules held, in the order they were created.
    pub fn schedules(&self) -> Vec<RecordedSchedule> {
        lock(&self.state).schedules.clone()
    }

    /// Removes and returns the schedules due at `now`, as Scheduler runs and then deletes them
    /// (`ActionAfterCompletion: DELETE`); the test delivers their inputs to `incoming`.
    pub fn take_due(&self, now: DateTime<Utc>) -> Vec<RecordedSchedule> {
        let mut state = lock(&self.state);
        let (due, later) = std::mem::take(&mut state.schedules).into_iter().partition(|s| s.at <= now);
        state.schedules = later;
        due
    }

    /// Plans `fault` for the next `times` `CreateSchedule` requests.
    pub fn fail(&self, fault: SchedulerFault, times: usize) {
        lock(&self.state).faults.push((fault, times));
    }

    /// Forgets planned faults.
    pub fn heal(&self) {
        lock(&self.state).faults.clear();
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log).clone()
    }
}

/// A restJson1 error: the type in `x-amzn-errortype`, the message in the body.
fn error(status: u16, error_type: &str, message: &str) -> Response {
    let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = [("content-type", "application/json"), ("x-amzn-errortype", error_type)];
    (status, headers, json!({ "Message": message }).to_string()).into_response()
}

fn invalid(message: &str) -> Response {
    error(400, "ValidationException", message)
}

fn take_fault(state: &Mutex<State>) -> Option<SchedulerFault> {
    let mut state = lock(state);
    let entry = state.faults.iter_mut().find(|(_, times)| *times > 0)?;
    entry.1 -= 1;
    let fault = entry.0.clone();
    state.faults.retain(|(_, times)| *times > 0);
    Some(fault)
}

async fn handle(state: &Mutex<State>, request: Incoming) -> Response {
    let recorded = &request.recorded;
    let name = match (&request.method, request.segments.as_slice()) {
        (&Method::POST, [schedules, name]) if schedules == "schedules" => name.clone(),
        _ => return error(404, "UnknownOperationException", "fake: only CreateSchedule is served"),
    };
    if !recorded.header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")) {
        return error(403, "AccessDeniedException", "the request is not signed");
    }
    let fault = take_fault(state);
    match &fault {
        Some(SchedulerFault::Error { status, error_type }) => {
            return error(*status, error_type, "fake: injected failure");
        }
        Some(SchedulerFault::Hang(delay)) => {
            tokio::time::sleep(*delay).await;
            return error(500, "InternalServerException", "fake: hung");
        }
        Some(SchedulerFault::AppliedThenError { .. }) | None => {}
    }
    let region = region_of(recorded).unwrap_or_else(|| "us-east-1".to_owned());
    let response = create(state, &name, &recorded.json(), &region, Utc::now());
    match fault {
        Some(SchedulerFault::AppliedThenError { status, error_type }) => {
            error(status, &error_type, "fake: injected failure after the schedule was created")
        }
        _ => response,
    }
}

/// The region of the SigV4 credential scope (`Credential=AKID/DATE/REGION/scheduler/aws4_request`).
fn region_of(recorded: &Recorded) -> Option<String> {
    let auth = recorded.header("authorization")?;
    let scope = auth.split("Credential=").nth(1)?.split(',').next()?;
    scope.split('/').nth(2).map(str::to_owned)
}

fn create(state: &Mutex<State>, name: &str, body: &Value, region: &str, now: DateTime<Utc>) -> Response {
    let schedule = match parse(name, body, now) {
        Ok(schedule) => schedule,
        Err(message) => return invalid(&message),
    };
    let mut state = lock(state);
    if state.groups.as_ref().is_some_and(|groups| !groups.contains(&schedule.group)) {
        return error(404, "ResourceNotFoundException", &format!("Schedule group {} does not exist.", schedule.group));
    }
    if state.schedules.iter().any(|s| s.name == schedule.name && s.group == schedule.group) {
        return error(409, "ConflictException", &format!("Schedule {} already exists.", schedule.name));
    }
    let arn = format!("arn:aws:scheduler:{region}:123456789012:schedule/{}/{}", schedule.group, schedule.name);
    state.schedules.push(schedule);
    (axum::http::StatusCode::OK, [("content-type", "application/json")], json!({ "ScheduleArn": arn }).to_string())
        .into_response()
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The time of `at(yyyy-mm-ddThh:mm:ss)`.
fn parse_at(expression: &str) -> Option<DateTime<Utc>> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc())
}

/// The schedule a `CreateSchedule` body asks for, or the `ValidationException` message.
fn parse(name: &str, body: &Value, now: DateTime<Utc>) -> Result<RecordedSchedule, String> {
    if !valid_name(name) {
        return Err(format!("Name {name} must be 1 to 64 of [0-9a-zA-Z-_.]"));
    }
    let group = body["GroupName"].as_str().unwrap_or("default");
    if !valid_name(group) {
        return Err(format!("GroupName {group} must be 1 to 64 of [0-9a-zA-Z-_.]"));
    }
    let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
    let required = |pointer: &str, field: &str| text(pointer).ok_or_else(|| format!("{field} is required"));
    let expression = required("/ScheduleExpression", "ScheduleExpression")?;
    let flexible_time_window = required("/FlexibleTimeWindow/Mode", "FlexibleTimeWindow.Mode")?;
    if !matches!(flexible_time_window, "OFF" | "FLEXIBLE") {
        return Err(format!("FlexibleTimeWindow.Mode {flexible_time_window} is not OFF or FLEXIBLE"));
    }
    let target_arn = required("/Target/Arn", "Target.Arn")?;
    let role_arn = required("/Target/RoleArn", "Target.RoleArn")?;
    if text("/ScheduleExpressionTimezone").is_some_and(|zone| zone != "UTC") {
        return Err("fake: only the UTC time zone is served".to_owned());
    }
    let at = parse_at(expression).ok_or_else(|| format!("Invalid Schedule Expression {expression}."))?;
    if at < now {
        return Err(format!("The schedule expression {expression} is in the past."));
    }
    let action_after_completion = text("/ActionAfterCompletion").unwrap_or("NONE");
    if !matches!(action_after_completion, "NONE" | "DELETE") {
        return Err(format!("ActionAfterCompletion {action_after_completion} is not NONE or DELETE"));
    }
    Ok(RecordedSchedule {
        name: name.to_owned(),
        group: group.to_owned(),
        expression: expression.to_owned(),
        at,
        target_arn: target_arn.to_owned(),
        role_arn: role_arn.to_owned(),
        input: text("/Target/Input").map(str::to_owned),
        action_after_completion: action_after_completion.to_owned(),
        flexible_time_window: flexible_time_window.to_owned(),
        description: text("/Description").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({
            "GroupName": "dispatch",
            "ScheduleExpression": "at(2030-01-02T03:04:05)",
            "FlexibleTimeWindow": { "Mode": "OFF" },
            "Target": { "Arn": "arn:aws:lambda:eu-west-1:123456789012:function:incoming", "RoleArn": "arn:aws:iam::123456789012:role/r", "Input": "{}" },
            "ActionAfterCompletion": "DELETE",
        })
    }

    #[test]
    fn a_complete_body_is_read_with_its_time_in_utc() {
        let schedule = parse("dispatch-remind-abc", &body(), Utc::now()).unwrap();
        assert_eq!(schedule.at, "2030-01-02T03:04:05Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!((schedule.group.as_str(), schedule.action_after_completion.as_str()), ("dispatch", "DELETE"));
        assert_eq!(schedule.input.as_deref(), Some("{}"));
    }

    #[test]
    fn a_missing_field_a_bad_expression_a_past_time_or_a_bad_name_is_a_validation_error() {
        let now = Utc::now();
        for pointer in ["/ScheduleExpression", "/FlexibleTimeWindow", "/Target/Arn", "/Target/RoleArn"] {
            let body = crate::support::without(body(), pointer);
            assert!(parse("n", &body, now).unwrap_err().contains("is required"), "{pointer}");
        }
        for expression in
            ["rate(5 minutes)", "at(2030-01-02 03:04:05)", "at(2030-01-02T03:04)", "at(2000-01-01T00:00:00)"]
        {
            let body = crate::support::with(body(), "/ScheduleExpression", json!(expression));
            assert!(parse("n", &body, now).is_err(), "{expression}");
        }
        assert!(parse("has space", &body(), now).is_err());
        assert!(parse(&"n".repeat(65), &body(), now).is_err());
    }
}
