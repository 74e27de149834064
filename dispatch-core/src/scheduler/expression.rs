//! The pure parts of a one-time schedule: its name and its `at(…)` expression.

use chrono::{DateTime, Duration, DurationRound, Utc};
use sha2::{Digest, Sha256};

/// The earliest a follow-up is scheduled: one minute from now. Scheduler invokes with 60-second
/// precision, and AWS does not document what a one-time schedule in the past does (refused with a
/// `ValidationException`, or never run), so a time already past, or too close to make, is moved
/// here: it then runs about a minute late rather than not at all.
pub const EARLIEST_FROM_NOW: Duration = Duration::minutes(1);

/// Longest name Scheduler accepts.
const MAX_NAME: usize = 64;
/// Hex digits of the key's SHA-256 in a name: 96 bits, so distinct keys do not meet.
const HASH_HEX: usize = 24;

/// The name of the schedule for `step` (`remind`, `escalate`, …) of the prompt identified by `key`:
/// the same for the same pair, so a retried invocation finds its own schedule (409), and distinct
/// otherwise. `dispatch-{step}-{24 hex of sha256(key)}`; characters of `step` outside
/// `[0-9a-zA-Z-_.]` become `_`, and a long step is cut so the name stays within 64 characters.
pub fn schedule_name(step: &str, key: &str) -> String {
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    let room = MAX_NAME - "dispatch-".len() - 1 - HASH_HEX;
    let step: String = step
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .take(room)
        .collect();
    format!("dispatch-{step}-{}", &hash[..HASH_HEX])
}

/// When a schedule asked for `at` runs, given the time `now`: `at` rounded up to the next whole
/// second (Scheduler's expressions have no fractions), and no earlier than [`EARLIEST_FROM_NOW`]
/// after `now`.
pub fn effective_time(at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let at = at.max(now + EARLIEST_FROM_NOW);
    let second = Duration::seconds(1);
    let down = at.duration_trunc(second).unwrap_or(at);
    if down == at { at } else { down + second }
}

/// The `at(yyyy-mm-ddThh:mm:ss)` expression of a time, read in UTC.
pub fn at_expression(at: DateTime<Utc>) -> String {
    format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn valid(name: &str) -> bool {
        (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    }

    #[test]
    fn a_schedule_name_is_the_same_for_the_same_step_and_key_and_valid_for_scheduler() {
        let name = schedule_name("remind", "acme/alarms#42");
        assert_eq!(name, schedule_name("remind", "acme/alarms#42"));
        assert_eq!(name.len(), "dispatch-remind-".len() + 24);
        assert!(name.starts_with("dispatch-remind-"), "{name}");
        assert!(valid(&name), "{name}");
        // sha256("acme/alarms#42"), first 24 hex digits.
        let hash = hex::encode(Sha256::digest(b"acme/alarms#42"));
        assert_eq!(name, format!("dispatch-remind-{}", &hash[..24]));
    }

    #[test]
    fn schedule_names_differ_by_step_and_by_key() {
        let names = [
            schedule_name("remind", "acme/alarms#42"),
            schedule_name("escalate", "acme/alarms#42"),
            schedule_name("remind", "acme/alarms#43"),
            schedule_name("remind", "acme/alarms#42 "),
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn a_long_or_odd_step_still_makes_a_valid_name_of_at_most_64_characters() {
        let long = "x".repeat(200);
        for step in ["remind 2/3", "ésca:late", long.as_str(), ""] {
            let name = schedule_name(step, "key with spaces and ünïcode");
            assert!(valid(&name), "{step:?}: {name}");
        }
        assert_eq!(schedule_name(&long, "k").len(), 64);
        assert!(schedule_name("remind 2/3", "k").starts_with("dispatch-remind_2_3-"));
    }

    #[test]
    fn a_time_with_a_fraction_of_a_second_is_rounded_up_to_the_next_second() {
        let now = time("2026-12-01T10:00:00Z");
        assert_eq!(effective_time(time("2026-12-01T10:30:00.001Z"), now), time("2026-12-01T10:30:01Z"));
        assert_eq!(effective_time(time("2026-12-01T10:30:59.999999Z"), now), time("2026-12-01T10:31:00Z"));
        assert_eq!(effective_time(time("2026-12-01T10:30:00Z"), now), time("2026-12-01T10:30:00Z"));
    }

    #[test]
    fn a_time_in_the_past_or_within_a_minute_is_scheduled_a_minute_from_now() {
        let now = time("2026-12-01T10:00:00.250Z");
        assert_eq!(effective_time(time("2026-11-30T09:00:00Z"), now), time("2026-12-01T10:01:01Z"));
        assert_eq!(effective_time(time("2026-12-01T10:00:30Z"), now), time("2026-12-01T10:01:01Z"));
        assert_eq!(effective_time(time("2026-12-01T10:05:00Z"), now), time("2026-12-01T10:05:00Z"));
    }

    #[test]
    fn the_expression_is_at_with_seconds_and_no_zone() {
        assert_eq!(at_expression(time("2026-03-04T07:08:09Z")), "at(2026-03-04T07:08:09)");
    }
}
