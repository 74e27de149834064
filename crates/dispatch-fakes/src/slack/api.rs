//! The routes of the fake Slack: `chat.postMessage`, `users.lookupByEmail`, `auth.test`,
//! `conversations.info` and the `response_url`s.

use std::sync::Mutex;

use axum::http::Method;
use axum::response::Response;
use serde_json::json;

use super::payloads::{channel_name, conversation_of};
use super::{BOT_ID, BOT_USER_ID, DISPATCH_SCOPES, Posted, SlackRoute, State, TEAM_DOMAIN, TEAM_ID, lock};
use crate::block_kit::{BLOCKS_TOO_LONG, MAX_MESSAGE_TEXT, check_message};
use crate::server::{Incoming, Recorded, json, late, short_circuit, unexpected};

pub(super) async fn handle(state: &Mutex<State>, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, s.as_slice()) {
        (&Method::POST, ["api", "chat.postMessage"]) => post_message(state, &request.recorded).await,
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

async fn post_message(state: &Mutex<State>, request: &Recorded) -> Response {
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !token.starts_with("xoxb-") {
        return json(
            200,
            json!({ "ok": false, "error": if token.is_empty() { "not_authed" } else { "invalid_auth" } }),
        );
    }
    let body = request.json();
    let channel = body["channel"].as_str().unwrap_or_default().to_owned();
    if body.get("as_user").is_some() {
        return json(200, json!({ "ok": false, "error": "invalid_arguments" }));
    }
    let fault = {
        let mut state = lock(state);
        let specific = state.faults.take(&SlackRoute::PostMessageTo(channel.clone()));
        specific.or_else(|| state.faults.take(&SlackRoute::PostMessage))
    };
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let reply = {
        let mut state = lock(state);
        if channel.is_empty() || state.unknown_channels.contains(&channel) {
            return json(200, json!({ "ok": false, "error": "channel_not_found" }));
        }
        if body["text"].as_str().unwrap_or_default().is_empty() && body["blocks"].as_array().is_none_or(Vec::is_empty) {
            return json(200, json!({ "ok": false, "error": "no_text" }));
        }
        if body.get("blocks").is_some_and(|b| !b.is_null() && !b.is_array()) {
            return json(200, json!({ "ok": false, "error": "invalid_blocks_format" }));
        }
        if let Err(reason) = check_message(&body) {
            let code = if reason.starts_with(BLOCKS_TOO_LONG) { BLOCKS_TOO_LONG } else { "invalid_blocks" };
            return json(200, json!({ "ok": false, "error": code }));
        }
        let ts = format!("1764200000.{:06}", state.messages.len() + 1);
        let conversation = conversation_of(&channel);
        // Slack keeps the first 40,000 characters of a longer text.
        let text: String = body["text"].as_str().unwrap_or_default().chars().take(MAX_MESSAGE_TEXT).collect();
        state.messages.push(Posted { channel: channel.clone(), text, blocks: body["blocks"].clone(), ts: ts.clone() });
        json(200, json!({ "ok": true, "channel": conversation, "ts": ts }))
    };
    late(&fault).await;
    reply
}

/// `auth.test` (the bot, with its scopes in `x-oauth-scopes`) and `conversations.info` (a channel
/// exists unless made unknown; the bot is in it unless taken out). Parameters come from the query
/// string or a form body, as Slack takes them.
fn read_method(state: &Mutex<State>, method: &str, request: &Recorded) -> Response {
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !token.starts_with("xoxb-") {
        return json(
            200,
            json!({ "ok": false, "error": if token.is_empty() { "not_authed" } else { "invalid_auth" } }),
        );
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
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !token.starts_with("xoxb-") {
        let error = if token.is_empty() { "not_authed" } else { "invalid_auth" };
        return json(200, json!({ "ok": false, "error": error }));
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
