//! The triage request path, as `Triage::handle` runs it before acting: Lambda event →
//! `from_event` → Slack signature (or legacy token) check with the clock pinned → `payload_json`
//! → `parse_click`.
//!
//! Input: a flag byte, then the rest.
//! - bits 0-1, the envelope: 0, the rest is a whole Lambda event (JSON); 1, a Function URL event;
//!   2, an API Gateway REST proxy event with a base64 body; 3, the original's `{"postBody": …}`.
//!   For 1 to 3 the rest is `Name: value` header lines, a blank line, then the body part.
//! - bit 2: the body part is the payload JSON, sent as Slack does (`payload=<url-encoded>`).
//! - bit 3: sign the request's body with the fixed secret, so that the parser behind the
//!   signature check is reached.
//! - bit 4: verify with the legacy token instead of the signing secret.
//! - bits 5-6, the signed timestamp: 0, now; 1, the request's own header; 2, now ± up to 512 s
//!   (one more byte); 3, any second (eight more bytes, little-endian).
//!
//! Invariants: no panic; events built from a request give that request back; the signature check
//! agrees with an independent one (so a forged or stale request never passes, and a fresh signed
//! one always does); the token check passes only for the exact token; a payload sent as a form
//! decodes to the JSON sent; a parsed click has a user, an http(s) `response_url` and an alarm
//! reference that encodes back to itself.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dispatch_core::compose::{NO_ACTION, YES_ACTION};
use dispatch_core::state::button::Callback;
use dispatch_core::triage::event::{self, HttpRequest, Shape};
use dispatch_core::triage::payload::{self, AlarmRef, Answer, Click};
use dispatch_core::triage::verify::{self, MAX_AGE_SECS};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use sha2::Sha256;

/// Slack's published example signing secret.
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// Slack's published example verification token.
const TOKEN: &str = "xyzz0WbapA4vBCDEFasx0q6G";
/// The pinned clock: 2026-11-27T14:30:00Z.
const NOW: i64 = 1_795_789_800;
const TIMESTAMP: &str = "x-slack-request-timestamp";
const SIGNATURE: &str = "x-slack-signature";

fn secret() -> &'static SecretString {
    static SECRET_STRING: OnceLock<SecretString> = OnceLock::new();
    SECRET_STRING.get_or_init(|| SecretString::from(SECRET.to_owned()))
}

fn token() -> &'static SecretString {
    static TOKEN_STRING: OnceLock<SecretString> = OnceLock::new();
    TOKEN_STRING.get_or_init(|| SecretString::from(TOKEN.to_owned()))
}

/// Runs one input through the triage request path; panics when an invariant breaks.
pub fn check(data: &[u8]) {
    run(data);
}

fn run(data: &[u8]) -> Option<()> {
    let (&flags, mut rest) = data.split_first()?;
    let (envelope, form, sign, legacy) = (flags & 3, flags & 4 != 0, flags & 8 != 0, flags & 16 != 0);
    let timestamp = match (flags >> 5) & 3 {
        0 => Some(NOW),
        1 => None,
        2 => {
            let (&skew, tail) = rest.split_first()?;
            rest = tail;
            Some(NOW + i64::from(skew as i8) * 4)
        }
        _ => {
            let (bytes, tail) = rest.split_at_checked(8)?;
            rest = tail;
            Some(i64::from_le_bytes(bytes.try_into().ok()?))
        }
    };

    let mut request = if envelope == 0 {
        event::from_event(&serde_json::from_slice(rest).ok()?).ok()?
    } else {
        let (headers, part) = split_headers(rest);
        let sent_json = form.then(|| serde_json::from_str::<Value>(&String::from_utf8_lossy(part)).ok()).flatten();
        let body = if form { form_body(part) } else { part.to_vec() };
        let request = built(envelope, &headers, &body);
        if let Some(sent) = sent_json.filter(|_| request.body.len() <= payload::MAX_BODY) {
            assert_eq!(payload::payload_json(&request.body), Ok(sent), "the form payload decodes to another JSON");
        }
        request
    };

    if sign {
        let ts = timestamp
            .map(|t| t.to_string())
            .or_else(|| request.header(TIMESTAMP).map(|t| t.trim().to_owned()))
            .unwrap_or_else(|| NOW.to_string());
        let signature = format!("v0={}", hex::encode(mac(&ts, &request.body)));
        request.headers.insert(TIMESTAMP.to_owned(), ts);
        request.headers.insert(SIGNATURE.to_owned(), signature);
    }

    if legacy {
        // Legacy token mode: the handler reads the payload first, then checks its `token`.
        let payload = payload::payload_json(&request.body);
        let given = payload.as_ref().ok().and_then(|p| p.get("token")).and_then(Value::as_str);
        let verdict = verify::verify_token(token(), given);
        assert_eq!(verdict.is_ok(), given == Some(TOKEN), "token check wrong for {given:?}");
        check_click(&payload.ok()?);
        return Some(());
    }

    if request.shape == Shape::LegacyPostBody {
        // Refused as unverifiable before any parsing.
        return None;
    }
    let (Some(ts), Some(signature)) = (request.header(TIMESTAMP), request.header(SIGNATURE)) else {
        assert!(!sign, "a signed request lost its headers");
        return None;
    };
    let verdict = verify::verify_signature(secret(), ts, &request.body, signature, NOW);
    let expected = reference_verify(ts, &request.body, signature);
    assert_eq!(
        verdict.is_ok(),
        expected,
        "signature check gave {verdict:?} for timestamp {ts:?}, signature {signature:?}"
    );
    verdict.ok()?;
    check_click(&payload::payload_json(&request.body).ok()?);
    Some(())
}

/// Header lines `Name: value` up to the first blank line, then the body part.
fn split_headers(rest: &[u8]) -> (Map<String, Value>, &[u8]) {
    let Some(at) = rest.windows(2).position(|w| w == b"\n\n") else { return (Map::new(), rest) };
    let headers = String::from_utf8_lossy(&rest[..at])
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), Value::from(value.trim())))
        .collect();
    (headers, &rest[at + 2..])
}

/// The form body Slack posts for a payload.
fn form_body(payload: &[u8]) -> Vec<u8> {
    let json = String::from_utf8_lossy(payload);
    format!("payload={}", url::form_urlencoded::byte_serialize(json.as_bytes()).collect::<String>()).into_bytes()
}

/// Wraps a request in the event of `envelope` and reads it back; the request must survive.
fn built(envelope: u8, headers: &Map<String, Value>, body: &[u8]) -> HttpRequest {
    let text = String::from_utf8_lossy(body).into_owned();
    let (event, shape, expected_body) = match envelope {
        1 => (
            json!({ "version": "2.0", "headers": headers, "body": text, "isBase64Encoded": false }),
            Shape::Http,
            text.into_bytes(),
        ),
        2 => (
            json!({ "httpMethod": "POST", "headers": headers, "body": STANDARD.encode(body), "isBase64Encoded": true }),
            Shape::RestProxy,
            body.to_vec(),
        ),
        _ => (json!({ "postBody": text }), Shape::LegacyPostBody, text.into_bytes()),
    };
    let request = event::from_event(&event).unwrap_or_else(|e| panic!("own event refused ({e}): {event}"));
    assert_eq!((request.shape, &request.body), (shape, &expected_body), "event read back differently");
    if shape != Shape::LegacyPostBody {
        // A header HTTP can carry survives; one it cannot (a name that is not a token, a value
        // with control characters) is dropped, as API Gateway would never deliver it.
        for (name, value) in headers {
            let carried = http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && value.as_str().is_some_and(|v| http::HeaderValue::from_str(v).is_ok());
            assert!(!carried || request.header(name).is_some(), "header {name:?} lost");
        }
    }
    request
}

fn mac(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Slack's rule, written independently: a decimal timestamp within five minutes of now (compared
/// without overflow), and `v0=` + the hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
fn reference_verify(timestamp: &str, body: &[u8], signature: &str) -> bool {
    let timestamp = timestamp.trim();
    let Ok(sent) = timestamp.parse::<i64>() else { return false };
    if (i128::from(NOW) - i128::from(sent)).abs() > i128::from(MAX_AGE_SECS) {
        return false;
    }
    signature
        .trim()
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .is_some_and(|given| given == mac(timestamp, body))
}

fn check_click(payload: &Value) {
    let Ok(click) = payload::parse_click(payload) else { return };
    let Click { answer, alarm, user, channel, response_url, token, message_ts: _ } = &click;
    let url = response_url.url();
    assert!(matches!(url.scheme(), "http" | "https"), "response_url {response_url:?}");
    if let Some(channel) = channel {
        assert!(!channel.is_empty());
    }
    assert!(!user.id.is_empty() && !user.name.is_empty(), "click without a user: {user:?}");
    assert_eq!(token.as_deref(), payload["token"].as_str().filter(|t| !t.is_empty()));
    match alarm {
        AlarmRef::Current(callback) => {
            assert_eq!(payload["type"], "block_actions");
            let action = payload["actions"][0]["action_id"].as_str();
            assert_eq!(action, Some(if *answer == Answer::Yes { YES_ACTION } else { NO_ACTION }));
            let value = callback.encode();
            let decoded = Callback::decode(&value).unwrap_or_else(|e| panic!("button value refused ({e}): {value}"));
            assert_eq!(decoded.encode(), value, "button value not stable");
        }
        AlarmRef::Legacy(legacy) => {
            assert_eq!(payload["type"], "interactive_message");
            assert!(legacy.issue > 0);
            // A Node-era button's answer is its name alone, never its value.
            let name = payload["actions"][0]["name"].as_str().unwrap_or_default().trim().to_ascii_lowercase();
            assert_eq!(name, answer.as_str(), "legacy answer not read from the button's name");
        }
    }
}
