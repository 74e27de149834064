use super::*;
use crate::ids::{GitHubOwner, RepoName, RequestId, ServiceId};

fn alarm(yes_response: Option<&str>) -> Alarm {
    Alarm {
        repo: crate::ids::Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap()),
        number: 7,
        request_id: RequestId::parse("abc123").unwrap(),
        intended: None,
        service: ServiceId::parse("PSVC").unwrap(),
        yes_response: yes_response.map(str::to_owned),
        no_response: None,
    }
}

fn text(reply: &Reply) -> &str {
    reply.body["text"].as_str().unwrap()
}

fn failed(error: ClickError, answer: Answer) -> Reply {
    Reply::of(&Err(error), &alarm(None), answer, "U1")
}

#[test]
fn an_answer_replaces_the_prompt_with_the_alarms_own_text_or_the_default() {
    let answered = Answered {
        outcome: Outcome::Acknowledged,
        when: "2026-11-27 10:00:00 UTC".into(),
        issue_url: "https://x/7".into(),
    };
    let own = Reply::of(&Ok(answered.clone()), &alarm(Some("Closed, thanks")), Answer::Yes, "U1");
    assert_eq!(own.outcome, AnswerOutcome::Acknowledged);
    assert_eq!(
        own.body,
        compose::answered(Outcome::Acknowledged, "Closed, thanks", "U1", &answered.when, "https://x/7")
    );
    let escalated = Answered { outcome: Outcome::AlreadyEscalated, ..answered };
    let default = Reply::of(&Ok(escalated.clone()), &alarm(Some("Closed, thanks")), Answer::No, "U1");
    assert_eq!(default.outcome, AnswerOutcome::AlreadyEscalated);
    assert_eq!(
        default.body,
        compose::answered(Outcome::AlreadyEscalated, DEFAULT_NO, "U1", &escalated.when, "https://x/7")
    );
}

#[test]
fn refused_clicks_say_who_may_answer_and_that_nothing_changed() {
    let conversation = SlackUserId::parse("C0123ABCD").unwrap();
    let outside = failed(ClickError::OutsideConversation { conversation }, Answer::Yes);
    assert_eq!(outside.outcome, AnswerOutcome::Refused);
    assert_eq!(
        text(&outside),
        "Only members of <#C0123ABCD> can answer this alarm (dispatch abc123), from the message posted there. Nothing was changed."
    );
    let intended = SlackUserId::parse("U012ABCDEF").unwrap();
    let other = failed(ClickError::NotTheIntendedUser { intended }, Answer::No);
    assert_eq!(text(&other), "Only <@U012ABCDEF> can answer this alarm (dispatch abc123). Nothing was changed.");
    assert_eq!(other.body["response_type"], "ephemeral");
}

#[test]
fn a_second_click_is_told_who_answered_first() {
    let claim = Claim { comment: 1, answer: "yes".into(), user: "U9".into(), at: None };
    let reply = failed(ClickError::AlreadyAnswered(claim), Answer::No);
    assert_eq!(reply.outcome, AnswerOutcome::AlreadyAnswered);
    assert_eq!(text(&reply), "This alarm (dispatch abc123) was already answered yes by <@U9>. Nothing was changed.");
}

#[test]
fn failures_say_what_the_answer_failed_to_do_and_why() {
    let close = failed(ClickError::GitHub(GitHubError::Transient("timeout".into())), Answer::Yes);
    assert_eq!(close.outcome, AnswerOutcome::Failed);
    assert_eq!(
        text(&close),
        "Error: dispatch abc123 failed to close GitHub issue acme/alarms/7, GitHub is not responding; please click again in a minute"
    );
    let page = failed(ClickError::GitHub(GitHubError::NotFound("issue".into())), Answer::No);
    assert_eq!(text(&page), "Error: dispatch abc123 failed to create PagerDuty incident, the issue was not found");
    let refused = ClickError::PagerDuty(PagerDutyError::Rejected { status: 400, message: "bad".into() });
    assert!(refused.is_failure());
    assert_eq!(
        text(&failed(refused, Answer::No)),
        "Error: dispatch abc123 failed to create PagerDuty incident, PagerDuty refused the incident"
    );
}
