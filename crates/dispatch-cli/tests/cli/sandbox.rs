//! `dispatch sandbox`: every example through the real handlers, checked against its plan.

use serde_json::Value;

use crate::helpers::*;

#[test]
fn every_example_runs_as_planned_and_the_sandbox_exits_zero() {
    let run = dispatch(&["sandbox"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    let files = examples();
    assert!(files.len() >= 6, "one example per type");
    for path in &files {
        let name = format!("━━ examples/{}", path.file_name().unwrap().to_str().unwrap());
        assert!(out.contains(&name), "{name} missing\n{out}");
        let message = example_json(path);
        let kind = message["type"].as_str().unwrap();
        let resolved = message["status"] == "resolved";
        let body = &message["body"];
        for title in [&body["github"]["title"], &body["pagerduty"]["title"]].into_iter().filter_map(Value::as_str) {
            assert!(out.contains(title), "{kind}: title {title:?} missing\n{out}");
        }
        if ["self-service", "broadcast", "nag"].contains(&kind) && !resolved {
            for user in message["users"].as_array().unwrap() {
                let dm = match user["slackId"].as_str() {
                    Some(id) => format!("direct message to {} ({id})", user["slack"].as_str().unwrap()),
                    // A user known by email only, registered in the sandbox's fake Slack.
                    None => format!("direct message to {} (U", user["email"].as_str().unwrap()),
                };
                assert!(out.contains(&dm), "{kind}: {dm:?} missing\n{out}");
            }
        }
        let section = sections(out).into_iter().find(|s| s.starts_with(name.trim_start_matches("━━ "))).unwrap();
        assert!(section.contains("✓ as planned"), "{section}");
        match kind {
            _ if resolved => assert!(section.contains("status resolved"), "{section}"),
            "self-service" | "broadcast" | "nag" | "low-priority" => {
                assert!(section.contains("issue acme/dispatch-alarms#") && section.contains(" opened"), "{section}")
            }
            _ => assert!(section.contains("PagerDuty  incident Q0000"), "{section}"),
        }
    }
    assert!(out.contains("incident Q00002 opened on service PSECOPS"), "the message's service is paged\n{out}");
    // The self-service prompts are answered Yes, No, not at all, in turn: every path shows.
    assert!(out.contains("bob clicks [ Yes, it's mine ] (a signed Slack request to triage: 200 OK)"), "{out}");
    assert!(out.contains("Dispatch alert acknowledged\n"), "{out}");
    assert!(out.contains("dave clicks [ No, escalate ] (a signed Slack request to triage: 200 OK)"), "{out}");
    assert!(out.contains("Dispatch alert escalated\n"), "{out}");
    assert!(out.contains("alice does not answer"), "{out}");
    assert!(out.contains("user alice did not respond for self-service issue"), "the silence is escalated\n{out}");
    // The token alarm is resolved by the next example, so nobody answers it.
    assert!(out.contains("Click      nobody answers: a later message resolves this alarm"), "{out}");
    assert!(out.contains("PagerDuty  incident Q00002 resolved"), "{out}");
    assert!(out.contains("the prompt to carol is updated (chat.update)"), "{out}");
    assert!(out.contains(&format!("━━ {} messages and 8 follow-ups, all as planned", files.len())), "{out}");
    assert!(!out.contains("Only Yes was clicked"), "{out}");
}

/// The times of `remind at … (+N min), escalate at … (+M min)` on the Scheduler line.
fn scheduled_times(out: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    let line = out.lines().find(|l| l.starts_with("Scheduler  one-time schedules in dispatch-follow-ups:")).unwrap();
    line.split(" at ")
        .skip(1)
        .map(|rest| {
            let time = &rest[..rest.find(" UTC").unwrap()];
            chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S").unwrap().and_utc()
        })
        .collect()
}

#[test]
fn answer_none_leaves_the_prompt_unanswered_and_the_scheduler_reminds_then_escalates_at_their_times() {
    let run = dispatch(&["sandbox", "--answer", "none", "examples/self-service.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    assert!(!out.contains(" clicks "), "nobody clicks\n{out}");
    assert!(out.contains("Click      alice does not answer"), "{out}");
    let times = scheduled_times(out);
    assert_eq!(times.len(), 2, "a reminder and an escalation are scheduled\n{out}");
    assert_eq!(times[1] - times[0], chrono::Duration::minutes(30), "remind after 30, escalate after 60\n{out}");
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    for expected in [
        "━━ EventBridge Scheduler: 2 follow-ups, each run now as if it were its time".to_owned(),
        format!("{} · remind ss-2fa-disabled-0001 · 30 minutes after the alarm · alice", at(times[0])),
        "Scheduler  invokes dispatch-incoming with:".to_owned(),
        r#"{"dispatchFollowUp":"remind","repo":"acme/dispatch-alarms","issue":1,"requestId":"ss-2fa-disabled-0001""#
            .to_owned(),
        "Slack      reminder to alice in the prompt's thread:".to_owned(),
        "│ Reminder: @U012ABCDEF, this alarm has waited 30 minutes for your answer.".to_owned(),
        "✓ as planned: alice reminded under the prompt".to_owned(),
        format!("{} · escalate ss-2fa-disabled-0001 · 60 minutes after the alarm · alice", at(times[1])),
        "PagerDuty  incident Q00001 opened on service PDEFAULT".to_owned(),
        "dispatch ss-2fa-disabled-0001: user alice did not respond for self-service issue acme/dispatch-alarms/1"
            .to_owned(),
        "Slack      the prompt to alice is replaced (chat.update), without its buttons:".to_owned(),
        "Dispatch alert escalated: nobody answered within 60 minutes.".to_owned(),
        "Nobody answered the Slack prompt within 60 minutes: escalated.".to_owned(),
        "✓ as planned: escalated: incident Q00001 opened, prompt replaced".to_owned(),
        "━━ 1 message and 2 follow-ups, all as planned".to_owned(),
        "0 prompt answers, 1 PagerDuty incident".to_owned(),
    ] {
        assert!(out.contains(&expected), "{expected:?} missing\n{out}");
    }
    assert!(out.find("· remind ").unwrap() < out.find("· escalate ").unwrap(), "in time order\n{out}");
}

#[test]
fn answer_none_over_every_example_clicks_nothing_and_escalates_every_silent_prompt() {
    let run = dispatch(&["sandbox", "--answer", "none"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    assert!(!out.contains(" clicks "), "{out}");
    for user in ["alice", "bob", "dave"] {
        assert!(out.contains(&format!("{user} reminded under the prompt")), "{user}\n{out}");
        assert!(out.contains(&format!("user {user} did not respond")), "{user}\n{out}");
    }
    // carol's alarm is resolved before its follow-ups fall due: they find the issue closed.
    assert!(out.contains("nothing to do (the issue is closed)"), "{out}");
    assert!(out.contains("0 prompt answers"), "{out}");
}

#[test]
fn a_resolve_closes_the_issue_updates_the_prompt_and_resolves_the_incident() {
    let files = [
        "examples/self-service-token.json",
        "examples/self-service-token.resolved.json",
        "examples/high-priority.json",
        "examples/high-priority.resolved.json",
    ];
    let mut args = vec!["sandbox"];
    args.extend(files);
    let run = dispatch(&args);
    assert_eq!(run.code, 0, "{}", run.both());
    let sections = sections(&run.stdout);
    assert!(sections[0].contains("Click      nobody answers: a later message resolves this alarm"), "{}", sections[0]);
    for expected in [
        "type self-service · requestId ss-admin-token-0001 · status resolved",
        "GitHub     issue acme/dispatch-alarms#1 closed: resolved at the source, with the comment:",
        "(SNS message sandbox-2) that the problem is gone. Closing this issue; replacing 1 Slack prompt with a resolved note.",
        "Slack      the prompt to carol is updated (chat.update), without its buttons:",
        "Resolved at the source, nothing to do.",
        "✓ as planned: issue closed, 1 prompt updated",
    ] {
        assert!(sections[1].contains(expected), "{expected:?} missing\n{}", sections[1]);
    }
    assert!(!sections[1].contains("[ Yes, I did ]"), "the buttons are gone\n{}", sections[1]);
    for expected in [
        "type high-priority · requestId hp-root-login-0001 · status resolved",
        "PagerDuty  incident Q00001 resolved",
        "key: AWS root account login",
        "✓ as planned: incident Q00001 resolved",
    ] {
        assert!(sections[3].contains(expected), "{expected:?} missing\n{}", sections[3]);
    }
    // carol's reminder (10 minutes) and escalation (20) find nothing to do.
    let out = &run.stdout;
    assert!(out.contains("· remind ss-admin-token-0001 · 10 minutes after the alarm · carol"), "{out}");
    assert!(out.contains("· escalate ss-admin-token-0001 · 20 minutes after the alarm · carol"), "{out}");
    assert_eq!(out.matches("✓ as planned: nothing to do (the issue is closed)").count(), 2, "{out}");
    assert!(out.contains("━━ 4 messages and 2 follow-ups, all as planned"), "{out}");
    assert!(out.contains("1 PagerDuty incident (1 resolved); 1 Slack message updated."), "{out}");
}

#[test]
fn with_answer_no_the_resolve_closes_the_issue_and_resolves_the_incident_the_no_opened() {
    let run = dispatch(&[
        "sandbox",
        "--answer",
        "no",
        "examples/self-service-token.json",
        "examples/self-service-token.resolved.json",
    ]);
    assert_eq!(run.code, 0, "{}", run.both());
    let sections = sections(&run.stdout);
    assert!(sections[0].contains("carol clicks [ No, escalate ]"), "an explicit answer is clicked\n{}", sections[0]);
    assert!(sections[0].contains("incident Q00001 opened"), "{}", sections[0]);
    for expected in [
        "Closing this issue; resolving the PagerDuty incident of this alarm.",
        "PagerDuty  incident Q00001 resolved",
        "✓ as planned: issue closed, incident Q00001 resolved",
    ] {
        assert!(sections[1].contains(expected), "{expected:?} missing\n{}", sections[1]);
    }
    assert!(!sections[1].contains("chat.update"), "an answered prompt has no buttons left to update\n{}", sections[1]);
    assert!(run.stdout.contains("1 PagerDuty incident (1 resolved)."), "{}", run.stdout);
}

#[test]
fn a_resolve_that_arrives_before_its_alarm_is_recorded_and_a_later_alarm_still_fires() {
    let run = dispatch(&["sandbox", "examples/self-service-token.resolved.json", "examples/self-service-token.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let sections = sections(&run.stdout);
    assert!(
        sections[0].contains(
            "no open issue of this alarm: the resolve is recorded as the closed issue acme/dispatch-alarms#1"
        ),
        "{}",
        sections[0]
    );
    assert!(sections[0].contains("✓ as planned: resolve recorded before its alarm"), "{}", sections[0]);
    // Published after the resolve: a new firing, not the one the resolve ended.
    assert!(sections[1].contains("issue acme/dispatch-alarms#2 opened"), "{}", sections[1]);
}

#[test]
fn yes_closes_the_issue_records_the_answer_and_replaces_the_prompt() {
    let run = dispatch(&["sandbox", "--answer", "yes", "examples/self-service.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    for expected in [
        "│ Two-factor authentication was just disabled on your GitHub account.",
        "│ GitHub issue #1 (http://127.0.0.1:",
        "│ Did you disable it yourself?",
        "│ [ Yes, it was me ]  [ No, escalate ]",
        "GitHub issue acme/dispatch-alarms#1 closed",
        "│ Slack user alice (U012ABCDEF) answered yes at ",
        "┃ Dispatch alert acknowledged",
        "┃ Thanks! The alarm is closed. Please turn 2FA back on.",
        "┃ Answered by @U012ABCDEF at ",
        "✓ as planned: issue opened, 1 Slack message delivered, 2 follow-ups scheduled, answered yes: issue closed",
    ] {
        assert!(out.contains(expected), "{expected:?} missing\n{out}");
    }
    assert!(out.contains("1 prompt answer, 0 PagerDuty incidents.\n"), "a yes pages nobody\n{out}");
    assert_eq!(out.matches("nothing to do (the issue is closed)").count(), 2, "the follow-ups do nothing\n{out}");
}

#[test]
fn no_opens_an_incident_for_the_self_service_alarm_and_keeps_the_issue_open() {
    let run = dispatch(&["sandbox", "--answer", "no", "examples/self-service.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    for expected in [
        "alice clicks [ No, escalate ] (a signed Slack request to triage: 200 OK)",
        "PagerDuty incident Q00001 opened on service PDEFAULT",
        "dispatch ss-2fa-disabled-0001: user alice responded 'no' for self-service issue acme/dispatch-alarms/1",
        "key: ss-2fa-disabled-0001",
        "GitHub issue acme/dispatch-alarms#1 stays open",
        "answered no at ",
        "┃ Dispatch alert escalated",
        "┃ The security team has been paged and will contact you.",
        "answered no: incident Q00001 opened",
        "Only No was clicked",
    ] {
        assert!(out.contains(expected), "{expected:?} missing\n{out}");
    }
}

#[test]
fn without_an_answer_the_prompts_get_yes_no_and_none_in_turn() {
    let run = dispatch(&[
        "sandbox",
        "examples/self-service.json",
        "examples/self-service.json",
        "examples/self-service-ssh-key.json",
    ]);
    assert_eq!(run.code, 0, "{}", run.both());
    let sections = sections(&run.stdout);
    assert_eq!(sections.len(), 4, "three messages and the follow-ups");
    assert!(sections[0].contains("clicks [ Yes, it was me ]") && sections[0].contains("#1 closed"), "{}", sections[0]);
    // The first issue is closed, so the same alarm again is a new one (retrigger).
    assert!(sections[1].contains("issue acme/dispatch-alarms#2 opened"), "{}", sections[1]);
    assert!(sections[1].contains("clicks [ No, escalate ]") && sections[1].contains("incident Q00001 opened"));
    assert!(sections[2].contains("bob does not answer") && !sections[2].contains(" clicks "), "{}", sections[2]);
    assert!(sections[3].contains("✓ as planned: bob reminded under the prompt"), "{}", sections[3]);
    assert!(!run.stdout.contains("Only"), "both paths were shown: no hint");
}

#[test]
fn a_repeated_alarm_is_suppressed_by_the_dedup_rule_as_planned() {
    let run = dispatch(&["sandbox", "examples/low-priority.json", "examples/low-priority.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let sections = sections(&run.stdout);
    assert!(sections[1].contains("issue acme/dispatch-alarms#1 already exists (open)"), "{}", sections[1]);
    assert!(sections[1].contains("✓ as planned: duplicate suppressed"), "{}", sections[1]);
    assert!(run.stdout.contains("The fakes hold 1 GitHub issue, 0 Slack messages"), "{}", run.stdout);
}

#[test]
fn an_invalid_message_is_reported_with_its_path_and_reason_and_fails_the_run() {
    let bad = temp_file("no-title.json", NO_TITLE);
    let run = dispatch(&["sandbox", arg(&bad), "examples/low-priority.json"]);
    assert_eq!(run.code, 1, "{}", run.both());
    let out = &run.stdout;
    assert!(out.contains("invalid message: body.github.title: required for self-service"), "{out}");
    assert!(out.contains("━━ 2 messages, 1 not as planned:"), "{out}");
    assert!(out.contains("no-title.json: invalid message: body.github.title"), "the summary names the file\n{out}");
    assert!(sections(out)[1].contains("✓ as planned: issue opened"), "the other messages still run\n{out}");
}

#[test]
fn a_file_that_is_not_json_or_missing_fails_the_run_with_the_reason() {
    let garbage = temp_file("garbage.json", "not json");
    let run = dispatch(&["sandbox", arg(&garbage), "does-not-exist.json"]);
    assert_eq!(run.code, 1, "{}", run.both());
    assert!(run.stdout.contains("invalid message: $: not valid JSON"), "{}", run.stdout);
    assert!(run.stdout.contains("does-not-exist.json: cannot read: No such file"), "{}", run.stdout);
}

#[test]
fn a_user_without_a_slack_id_gets_the_prompt_in_the_default_channel_without_buttons() {
    let mut message = example_json(&example("self-service.json"));
    message["users"] = serde_json::json!([{ "slack": "carol", "github": "carol" }]);
    let file = temp_file("no-slack-id.json", &message.to_string());
    let run = dispatch(&["sandbox", arg(&file)]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    assert!(out.contains("Slack      default channel C0SECURITY, for carol (no Slack ID)"), "{out}");
    assert!(out.contains("Slack      default channel C0SECURITY: notice that carol has no Slack ID"), "{out}");
    assert!(out.contains("no buttons to click"), "{out}");
    assert!(!out.contains("[ Yes, it was me ]"), "{out}");
}

#[test]
fn a_user_known_by_email_is_found_in_the_fake_slack_and_gets_the_dm() {
    let run = dispatch(&["sandbox", "examples/broadcast.json"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    assert!(out.contains("Slack      direct message to carol@example.com (U056MNOPQR, found by email)"), "{out}");
    assert!(out.contains("alice,bob,carol@example.com"), "the issue lists carol by address\n{out}");
    assert!(out.contains("✓ as planned: issue opened, 3 Slack messages delivered"), "{out}");
}

#[test]
fn a_user_whose_email_slack_does_not_know_gets_the_message_in_the_default_channel_with_a_notice() {
    let mut message = example_json(&example("broadcast.json"));
    message["users"] = serde_json::json!([{ "email": "erin@example.com" }]);
    let file = temp_file("unknown-email.json", &message.to_string());
    let run = dispatch(&["sandbox", arg(&file)]);
    assert_eq!(run.code, 0, "{}", run.both());
    let out = &run.stdout;
    assert!(
        out.contains("Slack      default channel C0SECURITY, for erin@example.com (erin@example.com not found)"),
        "{out}"
    );
    assert!(
        out.contains("Slack      default channel C0SECURITY: notice that no Slack user was found for erin@example.com"),
        "{out}"
    );
}

#[test]
fn without_arguments_the_repositorys_examples_are_found_from_any_directory() {
    let mut command = command(&["sandbox"]);
    command.current_dir(temp_dir("elsewhere"));
    let run = run_with(command, "");
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.contains("examples/self-service.json"), "{}", run.stdout);
}
