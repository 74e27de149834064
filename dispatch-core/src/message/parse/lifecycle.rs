//! The lifecycle fields: `status` (firing or resolved), and a self-service alarm's own follow-up
//! times `remindAfterMinutes` and `escalateAfterMinutes`.

use serde_json::Value;

use super::reader::{Object, Reader, json_kind};
use crate::message::{FOLLOW_UP_MAX_MINUTES, FollowUpTimes, InvalidMessage, Status};

/// `status`: `firing` (the default) or `resolved`. Any other value is a rejection: taking it for
/// either could page for a problem that is over, or close an alarm that still fires. Only a
/// difference of case or surrounding space is forgiven, with a warning.
pub(super) fn status(r: &mut Reader, value: Option<&Value>) -> Result<Status, InvalidMessage> {
    const PATH: &str = "status";
    let text = match value {
        None | Some(Value::Null) => return Ok(Status::Firing),
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(InvalidMessage::new(
                PATH,
                format!("expected \"firing\" or \"resolved\", found {}", json_kind(other)),
            ));
        }
    };
    for status in [Status::Firing, Status::Resolved] {
        if text == status.as_str() {
            return Ok(status);
        }
        if text.trim().eq_ignore_ascii_case(status.as_str()) {
            r.warn(PATH, format!("taken as \"{}\"", status.as_str()));
            return Ok(status);
        }
    }
    Err(InvalidMessage::new(PATH, format!("expected \"firing\" or \"resolved\", found \"{}\"", text.escape_debug())))
}

/// `remindAfterMinutes` and `escalateAfterMinutes` of a self-service alarm. A value that is not a
/// whole number of minutes is ignored (the setting applies), a number in a string is taken, and a
/// time past a week is cut to a week, each with a warning: a follow-up time never blocks an alarm.
pub(super) fn follow_up(r: &mut Reader, object: &Object) -> FollowUpTimes {
    FollowUpTimes {
        remind_after_minutes: minutes(r, object.get("remindAfterMinutes"), "remindAfterMinutes"),
        escalate_after_minutes: minutes(r, object.get("escalateAfterMinutes"), "escalateAfterMinutes"),
    }
}

fn minutes(r: &mut Reader, value: Option<&Value>, path: &str) -> Option<u32> {
    const INSTEAD: &str = "ignored; the setting applies";
    let number = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(text)) => match text.trim().parse::<f64>() {
            Ok(n) => {
                r.warn(path, "a string, taken as its number");
                Some(n)
            }
            Err(_) => {
                r.warn(path, format!("expected a number of minutes, found a string; {INSTEAD}"));
                return None;
            }
        },
        Some(other) => {
            r.warn(path, format!("expected a number of minutes, found {}; {INSTEAD}", json_kind(other)));
            return None;
        }
    };
    match number {
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => {
            if n > f64::from(FOLLOW_UP_MAX_MINUTES) {
                r.warn(path, format!("longer than a week; cut to {FOLLOW_UP_MAX_MINUTES} minutes"));
                Some(FOLLOW_UP_MAX_MINUTES)
            } else {
                // A whole number within a week: the conversion is exact.
                Some(n as u32)
            }
        }
        _ => {
            r.warn(path, format!("expected a whole number of minutes, 0 or more; {INSTEAD}"));
            None
        }
    }
}

/// Paths a resolve reads: what names its alarm. Warnings about anything else would describe
/// fields a resolve does not use.
pub(super) fn read_by_a_resolve(path: &str) -> bool {
    ["status", "requestId", "githubRepo", "gitHubRepo", "pagerDutyServiceId", "body.github.title", "body.pagerduty"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}.")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read_status(value: Value) -> (Result<Status, InvalidMessage>, usize) {
        let mut r = Reader::default();
        let status = status(&mut r, Some(&value));
        (status, r.warnings.len())
    }

    #[test]
    fn status_is_firing_unless_it_says_resolved() {
        assert_eq!(status(&mut Reader::default(), None).unwrap(), Status::Firing);
        assert_eq!(read_status(json!(null)).0.unwrap(), Status::Firing);
        assert_eq!(read_status(json!("firing")), (Ok(Status::Firing), 0));
        assert_eq!(read_status(json!("resolved")), (Ok(Status::Resolved), 0));
        assert_eq!(read_status(json!(" Resolved ")), (Ok(Status::Resolved), 1));
    }

    #[test]
    fn any_other_status_is_rejected_with_its_path() {
        for value in [json!("ok"), json!("resolve"), json!(true), json!(1)] {
            let error = read_status(value.clone()).0.unwrap_err();
            assert_eq!(error.path, "status", "{value}");
            assert!(error.reason.contains("\"firing\" or \"resolved\""), "{}", error.reason);
        }
    }

    fn read_minutes(value: Value) -> (Option<u32>, Vec<String>) {
        let mut r = Reader::default();
        let object = json!({ "remindAfterMinutes": value });
        let times = follow_up(&mut r, object.as_object().unwrap());
        (times.remind_after_minutes, r.warnings.iter().map(|w| w.reason.clone()).collect())
    }

    #[test]
    fn follow_up_minutes_are_whole_numbers_within_a_week() {
        assert_eq!(read_minutes(json!(15)), (Some(15), vec![]));
        assert_eq!(read_minutes(json!(0)), (Some(0), vec![]));
        assert_eq!(read_minutes(json!(null)), (None, vec![]));
        assert_eq!(read_minutes(json!("45")).0, Some(45));
        assert_eq!(read_minutes(json!(100_000)).0, Some(FOLLOW_UP_MAX_MINUTES));
        for bad in [json!(-1), json!(1.5), json!("soon"), json!([5]), json!(true)] {
            let (minutes, warnings) = read_minutes(bad.clone());
            assert_eq!(minutes, None, "{bad}");
            assert_eq!(warnings.len(), 1, "{bad}");
        }
    }

    #[test]
    fn a_resolve_keeps_only_warnings_about_what_names_its_alarm() {
        assert!(read_by_a_resolve("body.github.title"));
        assert!(read_by_a_resolve("body.pagerduty.service"));
        assert!(read_by_a_resolve("status"));
        assert!(!read_by_a_resolve("body.github.body"));
        assert!(!read_by_a_resolve("users[0].slackId"));
        assert!(!read_by_a_resolve("body.slack.prompt"));
    }
}
