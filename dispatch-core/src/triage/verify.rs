//! Is a request from Slack (DESIGN.md §7a)? Pure checks that take the clock as an argument.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Oldest (and furthest in the future) a signed request may be, in seconds.
pub const MAX_AGE_SECS: i64 = 5 * 60;

/// Why a request was not accepted as Slack's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    /// A header Slack always sends is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The timestamp is not a number.
    #[error("malformed timestamp")]
    BadTimestamp,
    /// The timestamp is more than five minutes from now.
    #[error("timestamp outside the five-minute window")]
    Stale,
    /// The signature does not match.
    #[error("signature mismatch")]
    BadSignature,
    /// The legacy verification token does not match, or is absent.
    #[error("verification token mismatch")]
    BadToken,
    /// The request has a shape that this configuration cannot verify.
    #[error("{0}")]
    Unverifiable(&'static str),
}

/// Checks Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{body}` with the signing secret,
/// hex, compared in constant time with `signature` (`v0=…`), with `timestamp` within five minutes
/// of `now` (Unix seconds).
pub fn verify_signature(
    secret: &SecretString,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now: i64,
) -> Result<(), Unverified> {
    let sent: i64 = timestamp.trim().parse().map_err(|_| Unverified::BadTimestamp)?;
    // Checked: a sender's timestamp near i64::MIN must not overflow (found by fuzzing).
    if now.checked_sub(sent).is_none_or(|age| age.unsigned_abs() > MAX_AGE_SECS.unsigned_abs()) {
        return Err(Unverified::Stale);
    }
    let given = signature
        .trim()
        .strip_prefix("v0=")
        .and_then(|hex_sig| hex::decode(hex_sig).ok())
        .ok_or(Unverified::BadSignature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).map_err(|_| Unverified::BadSignature)?;
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| Unverified::BadSignature)
}

/// Checks the legacy verification token in constant time.
pub fn verify_token(expected: &SecretString, given: Option<&str>) -> Result<(), Unverified> {
    let given = given.ok_or(Unverified::BadToken)?;
    if bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(Unverified::BadToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const NOW: i64 = 1_531_420_618;

    fn secret() -> SecretString {
        SecretString::from(SECRET.to_owned())
    }

    #[test]
    fn slacks_published_example_verifies_with_the_clock_pinned() {
        assert_eq!(verify_signature(&secret(), TIMESTAMP, BODY.as_bytes(), SIGNATURE, NOW), Ok(()));
        assert_eq!(verify_signature(&secret(), TIMESTAMP, BODY.as_bytes(), SIGNATURE, NOW + MAX_AGE_SECS), Ok(()));
    }

    #[test]
    fn a_changed_byte_in_the_body_is_refused() {
        let changed = BODY.replace("roadrunner", "roadrunnes");
        assert_eq!(
            verify_signature(&secret(), TIMESTAMP, changed.as_bytes(), SIGNATURE, NOW),
            Err(Unverified::BadSignature)
        );
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let wrong = SecretString::from("8f742231b10e8888abcd99yyyzzz85a6".to_owned());
        assert_eq!(verify_signature(&wrong, TIMESTAMP, BODY.as_bytes(), SIGNATURE, NOW), Err(Unverified::BadSignature));
    }

    #[test]
    fn a_timestamp_six_minutes_old_or_ahead_is_refused() {
        assert_eq!(
            verify_signature(&secret(), TIMESTAMP, BODY.as_bytes(), SIGNATURE, NOW + 360),
            Err(Unverified::Stale)
        );
        assert_eq!(
            verify_signature(&secret(), TIMESTAMP, BODY.as_bytes(), SIGNATURE, NOW - 360),
            Err(Unverified::Stale)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_an_overflow() {
        for timestamp in [i64::MIN.to_string(), (NOW - i64::MAX).to_string(), i64::MAX.to_string()] {
            assert_eq!(
                verify_signature(&secret(), &timestamp, BODY.as_bytes(), SIGNATURE, NOW),
                Err(Unverified::Stale),
                "{timestamp}"
            );
        }
        assert_eq!(
            verify_signature(&secret(), "-9223372036854775808", BODY.as_bytes(), SIGNATURE, i64::MAX),
            Err(Unverified::Stale)
        );
    }

    #[test]
    fn a_changed_timestamp_breaks_the_signature() {
        assert_eq!(
            verify_signature(&secret(), "1531420619", BODY.as_bytes(), SIGNATURE, NOW),
            Err(Unverified::BadSignature)
        );
    }

    #[test]
    fn malformed_signatures_and_timestamps_are_refused() {
        for bad in
            ["", "v0=", "v1=a2114d57", "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "v0=zz"]
        {
            assert_eq!(
                verify_signature(&secret(), TIMESTAMP, BODY.as_bytes(), bad, NOW),
                Err(Unverified::BadSignature),
                "{bad}"
            );
        }
        assert_eq!(verify_signature(&secret(), "soon", BODY.as_bytes(), SIGNATURE, NOW), Err(Unverified::BadTimestamp));
    }

    #[test]
    fn the_legacy_token_must_match_exactly() {
        let expected = SecretString::from("xyzz0WbapA4vBCDEFasx0q6G".to_owned());
        assert_eq!(verify_token(&expected, Some("xyzz0WbapA4vBCDEFasx0q6G")), Ok(()));
        assert_eq!(verify_token(&expected, Some("xyzz0WbapA4vBCDEFasx0q6")), Err(Unverified::BadToken));
        assert_eq!(verify_token(&expected, Some("")), Err(Unverified::BadToken));
        assert_eq!(verify_token(&expected, None), Err(Unverified::BadToken));
    }
}
