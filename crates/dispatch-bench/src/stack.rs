//! What every measurement shares: the fakes on a runtime and thread of their own, the real
//! handlers built from configuration as the Lambda binaries build them, the example messages made
//! distinct per invocation, signed Slack clicks, and a per-thread CPU clock.

use std::time::Duration;

use dispatch_core::config::{Env, IncomingConfig, TriageConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::ids::{GitHubOwner, Repo, RepoName, RequestId, SlackUserId};
use dispatch_core::incoming::{AlarmError, Envelope, Incoming, Report};
use dispatch_core::state::button::Callback;
use dispatch_core::triage::{self, Triage};
use dispatch_fakes::{Fakes, LambdaRuntime, Recorded};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::runtime::Handle;

/// The default repository's owner and name, and both together.
pub const OWNER: &str = "acme";
/// See [`OWNER`].
pub const REPO_NAME: &str = "dispatch-alarms";
/// See [`OWNER`].
pub const REPO: &str = "acme/dispatch-alarms";
/// The Slack signing secret `triage` verifies clicks with.
pub const SIGNING_SECRET: &str = "bench-signing-secret-7d1e";
/// The Slack user every self-service alarm and click belongs to.
pub const USER: &str = "U012ABCDEF";
/// Time budget of one in-process invocation (the Lambda timeout less the binary's margin).
pub const BUDGET: Duration = Duration::from_secs(60);

/// The settings of both functions, pointed at `fakes`.
pub fn settings(fakes: &Fakes) -> Vec<(&'static str, String)> {
    let mut vars: Vec<(&'static str, String)> = vec![
        ("GitHubOwner", OWNER.into()),
        ("GitHubRepo", REPO_NAME.into()),
        ("GitHubToken", "ghp-bench-token".into()),
        ("GitHubDefaultUser", "acme/security".into()),
        ("SlackBotToken", "xoxb-bench-token".into()),
        ("SlackDefaultChannel", "#security-alerts".into()),
        ("SlackSigningSecret", SIGNING_SECRET.into()),
        ("PagerDutyApiKey", "pd-bench-key".into()),
        ("PagerDutyFromAddress", "oncall@example.com".into()),
        ("PagerDutyServiceId", "PDEFAULT".into()),
    ];
    vars.extend(fakes.env());
    vars
}

/// Starts the fakes on `fakes_runtime`, so that their work runs on its threads, not the caller's.
pub async fn start_fakes(fakes_runtime: &Handle) -> Fakes {
    fakes_runtime.spawn(Fakes::start()).await.expect("fakes task").expect("fakes start on loopback")
}

/// Starts a Lambda Runtime API emulator on `fakes_runtime`.
pub async fn start_lambda(fakes_runtime: &Handle) -> LambdaRuntime {
    fakes_runtime.spawn(LambdaRuntime::start()).await.expect("emulator task").expect("emulator starts on loopback")
}

/// Fresh fakes and both handlers, with the retry policies the Lambda binaries use.
#[derive(Debug)]
pub struct Stack {
    /// The fakes.
    pub fakes: Fakes,
    /// The `incoming` handler.
    pub incoming: Incoming,
    /// The `triage` handler.
    pub triage: Triage,
}

impl Stack {
    /// Starts fresh fakes on `fakes_runtime` and builds the handlers on the caller's runtime.
    pub async fn start(fakes_runtime: &Handle) -> Self {
        let fakes = start_fakes(fakes_runtime).await;
        let env = Env::new(settings(&fakes));
        let incoming_config = IncomingConfig::load(&env, None).await.expect("incoming settings");
        let triage_config = TriageConfig::load(&env, None).await.expect("triage settings");
        Self {
            incoming: Incoming::from_config(&incoming_config, RetryPolicy::default()).expect("incoming clients"),
            triage: Triage::from_config(&triage_config, triage::policy()).expect("triage clients"),
            fakes,
        }
    }

    /// Runs one alarm through `incoming` as one SNS delivery.
    pub async fn alarm(&self, event_id: &str, message: &Value) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let delivery = Envelope { event_id, published: None, body: &body };
        self.incoming.handle(delivery, Deadline::after(BUDGET)).await
    }

    /// Requests received so far by GitHub, Slack and PagerDuty.
    pub fn requests(&self) -> Requests {
        Requests {
            github: self.fakes.github.requests(),
            slack: self.fakes.slack.requests(),
            pagerduty: self.fakes.pagerduty.requests(),
        }
    }
}

/// The request logs of the three fakes.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    /// GitHub.
    pub github: Vec<Recorded>,
    /// Slack.
    pub slack: Vec<Recorded>,
    /// PagerDuty.
    pub pagerduty: Vec<Recorded>,
}

impl Requests {
    /// The requests made since `earlier` was taken.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            github: self.github[earlier.github.len()..].to_vec(),
            slack: self.slack[earlier.slack.len()..].to_vec(),
            pagerduty: self.pagerduty[earlier.pagerduty.len()..].to_vec(),
        }
    }

    /// All of them.
    pub fn total(&self) -> usize {
        self.github.len() + self.slack.len() + self.pagerduty.len()
    }
}

/// The message types, each with its example from `examples/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `self-service`.
    SelfService,
    /// `broadcast`.
    Broadcast,
    /// `nag`.
    Nag,
    /// `low-priority`.
    LowPriority,
    /// `high-priority`.
    HighPriority,
    /// An unknown type (`examples/fallback.json`).
    Fallback,
}

impl Kind {
    /// Every type, in the README's order.
    pub const ALL: [Self; 6] =
        [Self::SelfService, Self::Broadcast, Self::Nag, Self::LowPriority, Self::HighPriority, Self::Fallback];

    /// The row label.
    pub fn label(self) -> &'static str {
        match self {
            Self::SelfService => "self-service",
            Self::Broadcast => "broadcast (3 users, one by an email Slack does not know)",
            Self::Nag => "nag",
            Self::LowPriority => "low-priority",
            Self::HighPriority => "high-priority",
            Self::Fallback => "fallback (unknown type)",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Self::SelfService => include_str!("../../../examples/self-service.json"),
            Self::Broadcast => include_str!("../../../examples/broadcast.json"),
            Self::Nag => include_str!("../../../examples/nag.json"),
            Self::LowPriority => include_str!("../../../examples/low-priority.json"),
            Self::HighPriority => include_str!("../../../examples/high-priority.json"),
            Self::Fallback => include_str!("../../../examples/fallback.json"),
        }
    }

    /// The example message, with a title and request id of its own (`tag` and `i` make them
    /// distinct), so that the dedup rule sees a new alarm every time.
    pub fn message(self, tag: &str, i: usize) -> Value {
        let mut message: Value = serde_json::from_str(self.example()).expect("examples are JSON");
        let suffix = format!("{tag}-{i}");
        if let Some(id) = message["requestId"].as_str() {
            message["requestId"] = json!(format!("{id}-{suffix}"));
        }
        for service in ["github", "pagerduty"] {
            if let Some(title) = message["body"][service]["title"].as_str() {
                message["body"][service]["title"] = json!(format!("{title} ({suffix})"));
            }
        }
        message
    }
}

/// A broadcast of the example to `recipients` users, with a title of its own.
pub fn broadcast_to(recipients: usize, tag: &str) -> Value {
    let mut message = Kind::Broadcast.message(tag, recipients);
    message["users"] = (0..recipients)
        .map(|i| json!({ "slackId": format!("U{i:08}"), "slack": format!("user{i}"), "github": format!("user{i}") }))
        .collect();
    message
}

/// An SNS event carrying `message`, as Lambda hands it to `incoming`.
pub fn sns_event(message_id: &str, message: &Value) -> Value {
    json!({ "Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:111122223333:dispatch:sub",
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": "arn:aws:sns:us-east-1:111122223333:dispatch",
            "Subject": "bench",
            "Message": message.to_string(),
            "Timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {}
        }
    }]})
}

/// Yes or No.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Closes the issue.
    Yes,
    /// Opens an incident.
    No,
}

impl Answer {
    fn action_id(self) -> &'static str {
        match self {
            Self::Yes => "dispatch_yes",
            Self::No => "dispatch_no",
        }
    }
}

/// The button value `incoming` puts on a self-service prompt for issue `number` of the default
/// repository.
pub fn button(number: u64, request_id: &str) -> String {
    Callback {
        repo: Repo::new(GitHubOwner::parse(OWNER).expect("owner"), RepoName::parse(REPO_NAME).expect("repo")),
        issue: number,
        request_id: RequestId::parse(request_id).expect("request id"),
        user: SlackUserId::parse(USER).expect("user"),
        service: None,
        yes_response: None,
        no_response: None,
    }
    .encode()
}

/// A click on `button` as a Lambda Function URL event, signed now with the signing secret.
pub fn click_event(button: &str, answer: Answer, response_url: &str) -> Value {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": USER, "username": "alice", "name": "alice", "team_id": "T012AB3C4" },
        "response_url": response_url,
        "actions": [{ "action_id": answer.action_id(), "block_id": "dispatch_prompt", "value": button, "type": "button", "action_ts": "1764200100.000002" }]
    });
    let body =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING_SECRET.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": {
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
            "content-type": "application/x-www-form-urlencoded"
        },
        "requestContext": { "http": { "method": "POST", "path": "/" } },
        "body": body,
        "isBase64Encoded": false
    })
}

/// CPU time this thread has used (user and system), from `/proc/thread-self/schedstat`, in
/// nanoseconds; `None` where the kernel does not provide it.
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(text.split_whitespace().next()?.parse().ok()?))
}

/// CPU time used so far by every live thread of process `pid`, from `/proc/<pid>/task/*/schedstat`.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = Duration::ZERO;
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += Duration::from_nanos(text.split_whitespace().next()?.parse().ok()?);
    }
    Some(total)
}
