//! The sandbox configuration: every setting Dispatch requires, with harmless values, plus the
//! fakes' URLs; and a one-line account of what the fakes hold.

use std::collections::BTreeSet;

use dispatch_fakes::Fakes;

/// `GitHubOwner`/`GitHubRepo` of the sandbox.
pub const REPO: &str = "acme/dispatch-alarms";
/// `SlackSigningSecret` of the sandbox: the sandbox signs its clicks with it.
pub const SIGNING_SECRET: &str = "sandbox-signing-secret-0123456789abcdef";

/// Every setting `incoming` and `triage` read, pointing at `fakes`.
pub fn sandbox_env(fakes: &Fakes) -> Vec<(&'static str, String)> {
    let (owner, repo) = REPO.split_once('/').unwrap_or((REPO, REPO));
    let mut vars: Vec<(&'static str, String)> = vec![
        ("GitHubOwner", owner.into()),
        ("GitHubRepo", repo.into()),
        ("GitHubToken", "ghp_sandbox_token".into()),
        ("GitHubDefaultUser", "acme/security".into()),
        ("SlackBotToken", "xoxb-sandbox-token".into()),
        // A channel id, not `#name`: env-file readers (cargo lambda's among them) take `#` for a comment.
        ("SlackDefaultChannel", "C0SECURITY".into()),
        ("SlackSigningSecret", SIGNING_SECRET.into()),
        ("PagerDutyApiKey", "pd_sandbox_key".into()),
        ("PagerDutyFromAddress", "oncall@example.com".into()),
        ("PagerDutyServiceId", "PDEFAULT".into()),
    ];
    vars.extend(fakes.env());
    vars
}

/// What the fakes hold: issues (per repository written to), Slack messages, prompt answers and
/// incidents, in one line.
pub fn holdings(fakes: &Fakes) -> String {
    // The fake lists issues per repository only: find the repositories from the requests it saw.
    let repos: BTreeSet<String> = fakes
        .github
        .requests()
        .iter()
        .filter_map(|r| {
            let mut segments = r.path.split('/').filter(|s| !s.is_empty());
            match (segments.next(), segments.next(), segments.next()) {
                (Some("repos"), Some(owner), Some(name)) => Some(format!("{owner}/{name}")),
                _ => None,
            }
        })
        .collect();
    let issues: Vec<_> = repos.iter().flat_map(|repo| fakes.github.issues(repo)).collect();
    let closed = issues.iter().filter(|i| i.state == "closed").count();
    let closed = if closed > 0 { format!(" ({closed} closed)") } else { String::new() };
    format!(
        "{}{closed}, {}, {}, {}",
        count(issues.len(), "GitHub issue"),
        count(fakes.slack.messages().len(), "Slack message"),
        count(fakes.slack.responses().len(), "prompt answer"),
        count(fakes.pagerduty.incidents().len(), "PagerDuty incident"),
    )
}

/// `1 issue`, `2 issues`.
pub fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}
