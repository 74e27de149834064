//! The answer to a self-service prompt: a signed click through `Triage::handle`, and its effect.

use chrono::Utc;
use dispatch_core::compose::{ACKNOWLEDGED_COLOUR, NO_ACTION, YES_ACTION};
use dispatch_core::incoming::{Report, SlackResult};
use dispatch_core::routing::SlackContent;
use dispatch_core::slack::SlackMessage;
use dispatch_fakes::FakeIncident;
use serde_json::Value;

use crate::args::AnswerArg;
use crate::click::{self, ClickSpec};
use crate::render::{self, indented, labelled, quoted};
use crate::settings::SIGNING_SECRET;

use super::{Outcome, Sandbox};

impl Sandbox {
    /// Answers the self-service prompt of `report`, if it has one, and checks the effect; leaves
    /// it unanswered when `--answer none` (or the turn) says so, or, without `--answer`, when a
    /// later message resolves the alarm.
    pub(super) async fn click(&mut self, n: usize, report: &Report, resolved_later: bool, outcome: &mut Outcome) {
        let paint = self.paint;
        let prompt = report.slack.iter().find_map(|s| match (&s.delivery.content, &s.result) {
            (SlackContent::Prompt { intended_user, .. }, SlackResult::Sent(message)) => {
                Some((intended_user.as_str().to_owned(), s.delivery.recipient.clone(), message))
            }
            _ => None,
        });
        if report.slack.iter().any(|s| matches!(s.delivery.content, SlackContent::PromptWithoutButtons(_))) {
            println!("{}", labelled(paint, "Click", "no buttons to click: the prompt is in a shared channel"));
        }
        let (Some((user_id, user_name, message)), Some(issue)) = (prompt, &report.issue) else { return };
        // The turns leave it for the resolve to update; an explicit --answer clicks it anyway.
        if resolved_later && self.answer.is_none() {
            println!("{}", labelled(paint, "Click", "nobody answers: a later message resolves this alarm"));
            outcome.done.push("left for the resolve".into());
            return;
        }
        const TURNS: [AnswerArg; 3] = [AnswerArg::Yes, AnswerArg::No, AnswerArg::Unanswered];
        let answer = self.answer.unwrap_or(TURNS[self.answered.len() % TURNS.len()]);
        self.answered.push(answer);
        let (action_id, word) = match answer {
            AnswerArg::Yes => (YES_ACTION, "yes"),
            AnswerArg::No => (NO_ACTION, "no"),
            AnswerArg::Unanswered => {
                let what = format!("{user_name} does not answer: the follow-ups at the end remind, then escalate");
                println!("{}", labelled(paint, "Click", &what));
                outcome.done.push("left unanswered".into());
                return;
            }
        };
        let Some((text, value, style)) = button(message, action_id) else {
            outcome.problems.push(format!("the prompt has no {action_id} button"));
            return;
        };
        let interaction = format!("sandbox-{n}");
        let response_url = self.fakes.slack.response_url(&interaction);
        let spec = ClickSpec {
            action_id,
            text: &text,
            value: &value,
            user_id: &user_id,
            user_name: &user_name,
            response_url: &response_url,
        };
        let now = Utc::now();
        let request = click::signed_request(SIGNING_SECRET, now.timestamp(), click::form(&click::block_actions(&spec)));
        let repo = issue.repo.to_string();
        let number = issue.issue.number;
        self.clicked.push(format!("{repo}#{number}"));
        let comments_before = self.stored_issue(&repo, number).map_or(0, |s| s.comments.len());
        let incidents_before = self.fakes.pagerduty.incidents().len();
        let response = self.triage.handle(&request, now).await;

        let status = if response.status == 200 { paint.green("200 OK") } else { paint.red(response.status) };
        println!(
            "{}",
            labelled(
                paint,
                "Click",
                &format!(
                    "{user_name} clicks {} (a signed Slack request to triage: {status})",
                    render::button(paint, &text, style.as_deref())
                )
            )
        );
        if response.status != 200 {
            outcome.problems.push(format!("triage answered {}: {}", response.status, response.body));
            return;
        }

        let stored = self.stored_issue(&repo, number);
        let reply = self.fakes.slack.responses().into_iter().rev().find(|(id, _)| *id == interaction).map(|(_, v)| v);
        let new_incidents: Vec<FakeIncident> = self.fakes.pagerduty.incidents().split_off(incidents_before);
        let already_escalated = reply
            .as_ref()
            .and_then(|r| r["text"].as_str())
            .is_some_and(|t| t.starts_with("Dispatch alert already escalated"));

        let closed = stored.as_ref().is_some_and(|s| s.state == "closed");
        match answer {
            AnswerArg::Yes if closed => outcome.done.push("answered yes: issue closed".into()),
            AnswerArg::Yes => outcome.problems.push(format!("issue {repo}#{number} is still open after a yes")),
            AnswerArg::No | AnswerArg::Unanswered => {
                if let Some(incident) = new_incidents.first() {
                    println!(
                        "{}",
                        indented(&format!(
                            "PagerDuty incident {} {} on service {}",
                            paint.bold(&incident.id),
                            paint.red("opened"),
                            incident.service
                        ))
                    );
                    self.show_incident_content(&incident.title, &incident.incident_key, incident.details.as_deref());
                    outcome.done.push(format!("answered no: incident {} opened", incident.id));
                } else if already_escalated {
                    println!("{}", indented("PagerDuty already has an open incident for this alarm: not paged twice"));
                    outcome.done.push("answered no: incident already open".into());
                } else {
                    outcome.problems.push("no incident was opened after a no".into());
                }
            }
        }
        let added: Vec<String> =
            stored.map(|s| s.comments.into_iter().skip(comments_before).collect()).unwrap_or_default();
        let state = if closed { paint.green("closed") } else { "stays open".to_owned() };
        let with = match added.len() {
            0 => "",
            1 => ", with the comment:",
            _ => ", with the comments:",
        };
        println!("{}", indented(&format!("GitHub issue {} {state}{with}", paint.bold(format!("{repo}#{number}")))));
        let shown: Vec<String> = added.iter().map(|c| render::markdown(paint, c)).collect();
        println!("{}", quoted(&paint.dim("│"), &shown.join("\n\n")));
        // Triage ends its record with `<!-- dispatch:answer request=… answer=yes|no user=… -->`.
        let marker = format!("answer={word} ");
        if !added.iter().any(|c| c.contains("<!-- dispatch:answer ") && c.contains(&marker)) {
            outcome.problems.push(format!("the answer is not recorded on issue {repo}#{number}"));
        }
        self.show_reply(reply.as_ref(), answer, outcome);
    }

    /// The issue as the fake GitHub holds it.
    pub(super) fn stored_issue(&self, repo: &str, number: u64) -> Option<dispatch_fakes::FakeIssue> {
        self.fakes.github.issues(repo).into_iter().find(|i| i.number == number)
    }

    /// Prints what the prompt became and checks that it says what the answer did.
    pub(super) fn show_reply(&self, reply: Option<&Value>, answer: AnswerArg, outcome: &mut Outcome) {
        let paint = self.paint;
        let Some(reply) = reply else {
            outcome.problems.push("triage did not answer through the response_url".into());
            return;
        };
        let text = reply["text"].as_str().unwrap_or_default();
        if reply["replace_original"] != true {
            println!("{}", indented(&format!("Slack shows only to the clicker: {}", paint.yellow(text))));
            outcome.problems.push(format!("the click was not acted on: {text}"));
            return;
        }
        println!("{}", indented("The prompt in Slack is replaced with:"));
        for attachment in reply["attachments"].as_array().into_iter().flatten() {
            let bar = if attachment["color"] == ACKNOWLEDGED_COLOUR { paint.green("┃") } else { paint.red("┃") };
            let blocks = attachment["blocks"].as_array().map(Vec::as_slice).unwrap_or_default();
            println!("{}", quoted(&bar, &render::blocks(paint, blocks)));
        }
        let expected = match answer {
            AnswerArg::Yes => "Dispatch alert acknowledged",
            AnswerArg::No | AnswerArg::Unanswered => "Dispatch alert escalated",
        };
        if !text.starts_with(expected) && !text.starts_with("Dispatch alert already escalated") {
            outcome.problems.push(format!("the replaced prompt says \"{text}\""));
        }
    }
}

/// Text, value and style of the button with `action_id`.
fn button(message: &SlackMessage, action_id: &str) -> Option<(String, String, Option<String>)> {
    message
        .blocks
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .find(|e| e["action_id"] == action_id)
        .map(|b| {
            (
                b["text"]["text"].as_str().unwrap_or(action_id).to_owned(),
                b["value"].as_str().unwrap_or_default().to_owned(),
                b["style"].as_str().map(str::to_owned),
            )
        })
}
