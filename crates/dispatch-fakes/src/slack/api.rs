//! The routes of the fake Slack: `chat.postMessage` (thread replies too), `chat.update`,
//! `users.lookupByEmail`, `auth.test`, `conversations.info` and the `response_url`s.

use std::sync::Mutex;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::payloads::{channel_name, conversation_of, stored_message};
use super::{
    BOT_ID, BOT_USER_ID, DISPATCH_SCOPES, Posted, Revision, SlackRoute, State, TEAM_DOMAIN, TEAM_ID, Updated, lock,
    next_ts,
};
use crate::block_kit::{BLOCKS_TOO_LONG, MAX_MESSAGE_TEXT, check_message};
use crate::server::{Fault, Incoming, Recorded, json, late, short_circuit, unexpected};

pub(super) async fn handle(state: &Mutex<State>, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, s.as_slice()) {
        (&Method::POST, ["api", "chat.postMessage"]) => post_message(state, &request.recorded).await,
        (&Method::POST, ["api", "chat.update"]) => update_message(state, &request.recorded).await,
        (&Method::GET | &Method::POST, ["api", "users.lookupByEmail"]) => {
            lookup_by_email(state, &request.recorded).await
        }
        (&Method::GET | &Method::POST, ["api", method @ ("auth.test" | "conversations.info")]) => {
            read_method(state, method, &request.recorded)
        }
        (&Method::POST, ["response", id]) => {
            let fault = lock(state).faults.take(&SlackRoute::Respond);
            if let Some(fault) = &fault
                && let Some(response) = short_circuit(fault).await
            {
                return response;
            }
            let body = request.recorded.json();
            if check_message(&body).is_err() {
                return json(400, json!({ "ok": false, "error": "invalid_blocks" }));
            }
            lock(state).responses.push(((*id).to_owned(), body));
            late(&fault).await;
            axum::response::IntoResponse::into_response((axum::http::StatusCode::OK, "ok"))
        }
        _ => unexpected(&request),
    }
}

/// Slack's answer to a request without a bot token (`not_authed`) or with a wrong one
/// (`invalid_auth`); `None` for a bot token.
fn refused_token(request: &Recorded) -> Option<Response> {
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    let error = match token {
        t if t.starts_with("xoxb-") => return None,
        "" => "not_authed",
        _ => "invalid_auth",
    };
    Some(json(200, json!({ "ok": false, "error": error })))
}

/// The first fault planned for one of `routes`, most specific first.
fn take_fault(state: &Mutex<State>, routes: &[SlackRoute]) -> Option<Fault> {
    let mut state = lock(state);
    routes.iter().find_map(|route| state.faults.take(route))
}

/// What Slack refuses in a message's content, as `chat.postMessage` and `chat.update` both check
/// it: no text at all, `blocks` that are not a list, blocks out of Block Kit's limits.
fn check_content(body: &Value) -> Result<(), &'static str> {
    if body["text"].as_str().unwrap_or_default().is_empty() && body["blocks"].as_array().is_none_or(Vec::is_empty) {
        return Err("no_text");
    }
    if body.get("blocks").is_some_and(|b| !b.is_null() && !b.is_array()) {
        return Err("invalid_blocks_format");
    }
    check_message(body)
        .map_err(|reason| if reason.starts_with(BLOCKS_TOO_LONG) { BLOCKS_TOO_LONG } else { "invalid_blocks" })
}

/// The `text` Slack keeps: the first 40,000 characters.
fn kept_text(body: &Value) -> String {
    body["text"].as_str().unwrap_or_default().chars().take(MAX_MESSAGE_TEXT).collect()
}

fn slack_error(code: &str) -> Response {
    json(200, json!({ "ok": false, "error": code }))
}

/// `chat.postMessage`; with `thread_ts`, a reply in the thread of that message of the same
/// conversation (malformed: `invalid_thread_ts`; naming no message there: `thread_not_found`).
async fn post_message(state: &Mutex<State>, request: &Recorded) -> Response {
    if let Some(refused) = refused_token(request) {
        return refused;
    }
    let body = request.json();
    let channel = body["channel"].as_str().unwrap_or_default().to_owned();
    if body.get("as_user").is_some() {
        return slack_error("invalid_arguments");
    }
    let thread_ts = body.get("thread_ts").filter(|t| !t.is_null());
    let mut routes = vec![SlackRoute::PostMessageTo(channel.clone())];
    if thread_ts.is_some() {
        routes.push(SlackRoute::Reply);
    }
    routes.push(SlackRoute::PostMessage);
    let fault = take_fault(state, &routes);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let reply = {
        let mut state = lock(state);
        if channel.is_empty() || state.unknown_channels.contains(&channel) {
            return slack_error("channel_not_found");
        }
        let conversation = conversation_of(&channel);
        let thread_ts = match thread_ts.map(|t| t.as_str().filter(|t| is_timestamp(t))) {
            None => None,
            Some(None) => return slack_error("invalid_thread_ts"),
            Some(Some(ts)) if !state.messages.iter().any(|m| m.ts == ts && m.conversation() == conversation) => {
                return slack_error("thread_not_found");
            }
            Some(Some(ts)) => Some(ts.to_owned()),
        };
        if let Err(code) = check_content(&body) {
            return slack_error(code);
        }
        let posted = Posted {
            channel: channel.clone(),
            text: kept_text(&body),
            blocks: body["blocks"].clone(),
            ts: next_ts(&state),
            thread_ts,
            author: BOT_USER_ID.to_owned(),
            revisions: Vec::new(),
            edited: None,
        };
        state.messages.push(posted.clone());
        json(200, json!({ "ok": true, "channel": conversation, "ts": posted.ts, "message": stored_message(&posted) }))
    };
    late(&fault).await;
    reply
}

/// `chat.update`: the message `ts` of conversation `channel` (a user id finds nothing:
/// `channel_not_found`, as in Slack) takes the new `text`, and the new `blocks` when the field is
/// there (an absent field keeps the old ones, `[]` removes them); its old content is kept in
/// [`Posted::revisions`].
async fn update_message(state: &Mutex<State>, request: &Recorded) -> Response {
    if let Some(refused) = refused_token(request) {
        return refused;
    }
    let body = request.json();
    if body.get("as_user").is_some() {
        return slack_error("invalid_arguments");
    }
    let channel = body["channel"].as_str().unwrap_or_default().to_owned();
    let ts = body["ts"].as_str().unwrap_or_default().to_owned();
    let fault = take_fault(state, &[SlackRoute::UpdateIn(channel.clone()), SlackRoute::Update]);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let reply = {
        let mut state = lock(state);
        let user_id = channel.starts_with(['U', 'W']);
        if channel.is_empty() || user_id || state.unknown_channels.contains(&channel) {
            return slack_error("channel_not_found");
        }
        let edit_ts = format!("1764200500.{:06}", state.updates.len() + 1);
        let Some(message) = state.messages.iter_mut().find(|m| m.ts == ts && m.conversation() == channel) else {
            return slack_error("message_not_found");
        };
        if message.author != BOT_USER_ID {
            return slack_error("cant_update_message");
        }
        if let Err(code) = check_content(&body) {
            return slack_error(code);
        }
        let blocks = body.get("blocks").filter(|b| !b.is_null()).cloned();
        let previous = Revision { text: message.text.clone(), blocks: message.blocks.clone() };
        message.revisions.push(previous);
        message.text = kept_text(&body);
        if let Some(blocks) = &blocks {
            message.blocks = blocks.clone();
        }
        message.edited = Some(edit_ts);
        let stored = stored_message(message);
        let text = message.text.clone();
        state.updates.push(Updated { channel: channel.clone(), ts: ts.clone(), text: text.clone(), blocks });
        json(200, json!({ "ok": true, "channel": channel, "ts": ts, "text": text, "message": stored }))
    };
    late(&fault).await;
    reply
}

/// Whether `ts` has the form of a Slack timestamp: digits, a dot, digits.
fn is_timestamp(ts: &str) -> bool {
    ts.split_once('.').is_some_and(|(secs, micros)| {
        [secs, micros].iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// `auth.test` (the bot, with its scopes in `x-oauth-scopes`) and `conversations.info` (a channel
/// exists unless made unknown; the bot is in it unless taken out). Parameters come from the query
/// string or a form body, as Slack takes them.
fn read_method(state: &Mutex<State>, method: &str, request: &Recorded) -> Response {
    if let Some(refused) = refused_token(request) {
        return refused;
    }
    let state = lock(state);
    if method == "auth.test" {
        let scopes = state.scopes.clone().unwrap_or_else(|| DISPATCH_SCOPES.iter().map(|s| (*s).to_owned()).collect());
        let mut response = json(
            200,
            json!({
                "ok": true,
                "url": format!("https://{TEAM_DOMAIN}.slack.com/"),
                "team": "Dispatch Fake",
                "user": "dispatch",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": false,
            }),
        );
        if let Ok(value) = scopes.join(",").parse() {
            response.headers_mut().insert("x-oauth-scopes", value);
        }
        return response;
    }
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&request.body).into_owned().collect();
    let channel = request.query.get("channel").or_else(|| form.get("channel")).cloned().unwrap_or_default();
    if channel.is_empty() || state.unknown_channels.contains(&channel) || !channel.starts_with(['C', 'G']) {
        return json(200, json!({ "ok": false, "error": "channel_not_found" }));
    }
    json(
        200,
        json!({
            "ok": true,
            "channel": {
                "id": channel,
                "name": channel_name(&channel),
                "is_channel": channel.starts_with('C'),
                "is_private": channel.starts_with('G'),
                "is_archived": false,
                "is_member": !state.not_member.contains(&channel),
            },
        }),
    )
}

/// `users.lookupByEmail`: `email` in the query (GET) or a form body (POST); the user registered
/// with that address, or `users_not_found`.
async fn lookup_by_email(state: &Mutex<State>, request: &Recorded) -> Response {
    if let Some(refused) = refused_token(request) {
        return refused;
    }
    let fault = lock(state).faults.take(&SlackRoute::LookupByEmail);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let email = request.query.get("email").cloned().or_else(|| {
        url::form_urlencoded::parse(&request.body).find(|(k, _)| k == "email").map(|(_, v)| v.into_owned())
    });
    let Some(email) = email.filter(|e| !e.is_empty()) else {
        return json(200, json!({ "ok": false, "error": "invalid_arguments" }));
    };
    let reply = {
        let mut state = lock(state);
        state.lookups.push(email.clone());
        match state.users.iter().find(|u| u.email.eq_ignore_ascii_case(&email)) {
            None => json(200, json!({ "ok": false, "error": "users_not_found" })),
            Some(user) => {
                let name = user.email.split('@').next().unwrap_or_default();
                json(
                    200,
                    json!({ "ok": true, "user": {
                        "id": user.id,
                        "team_id": TEAM_ID,
                        "name": name,
                        "deleted": user.deleted,
                        "is_bot": user.is_bot,
                        "is_app_user": false,
                        "tz": "Europe/London",
                        "profile": { "email": user.email, "real_name": name, "display_name": name },
                    } }),
                )
            }
        }
    };
    late(&fault).await;
    reply
}
