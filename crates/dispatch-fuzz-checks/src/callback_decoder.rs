//! The values a Slack button click carries back to `triage`: the current button value
//! (`Callback::decode`) and the Node version's base64 `callback_id` (`LegacyCallback::decode`).
//!
//! Input: any bytes, read as text. The text is decoded as a button value and as a callback id, and
//! also wrapped in base64url first, so that the JSON inside a legacy callback id is reached too.
//! Invariants: no panic; a decoded button value re-encodes within Slack's 2,000 characters, decodes
//! back to the same alarm (response texts may be dropped, never anything else) and re-encodes to
//! the same text; a decoded legacy callback has a positive issue number and a valid request id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dispatch_core::ids::RequestId;
use dispatch_core::state::button::{Callback, LegacyCallback, VALUE_MAX};

/// Decodes one input as a button value and as a legacy callback id; panics when an invariant breaks.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(callback) = Callback::decode(&text) {
        check_round_trip(&callback);
    }
    for id in [text.clone().into_owned(), URL_SAFE_NO_PAD.encode(data)] {
        if let Ok(legacy) = LegacyCallback::decode(&id) {
            assert!(legacy.issue > 0, "legacy callback with issue 0 accepted: {id:?}");
            assert!(RequestId::parse(legacy.request_id.as_str()).is_ok(), "invalid request id accepted: {id:?}");
        }
    }
}

fn check_round_trip(callback: &Callback) {
    let value = callback.encode();
    let chars = value.chars().count();
    assert!(chars <= VALUE_MAX, "button value of {chars} characters: {value}");
    let decoded = Callback::decode(&value).unwrap_or_else(|e| panic!("own encoding refused ({e}): {value}"));
    let dropped = decoded.yes_response.is_none() && decoded.no_response.is_none();
    let expected = if dropped && decoded != *callback {
        Callback { yes_response: None, no_response: None, ..callback.clone() }
    } else {
        callback.clone()
    };
    assert_eq!(decoded, expected, "round trip changed the alarm: {value}");
    assert_eq!(decoded.encode(), value, "re-encoding is not stable");
}
