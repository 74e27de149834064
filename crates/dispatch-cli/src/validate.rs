//! `dispatch validate`: each file checked with the same parser `incoming` uses, one line per file
//! followed by a line per warning (a field that was coerced, defaulted, cut or ignored); and
//! `--schema`, the JSON Schema committed as `MESSAGE-SPEC.schema.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use dispatch_core::message::{self, Alarm, InvalidMessage, Message, MessageWarning};

use crate::input;
use crate::style::Paint;

/// Validates every file; exit code 1 if any is invalid or unreadable (warnings alone do not fail).
pub fn run(files: &[PathBuf], paint: Paint) -> ExitCode {
    let mut failed = 0;
    for path in files {
        let line = match input::read(path) {
            Err(e) => {
                failed += 1;
                paint.red(e.to_string())
            }
            Ok(input) => match message::parse(&input.bytes) {
                Ok(message) => {
                    let mut lines = vec![format!("{}: {} ({})", input.label, paint.green("ok"), describe(&message))];
                    lines.extend(message.warnings.iter().map(|w| warning_line(&input.label, w, paint)));
                    lines.join("\n")
                }
                Err(e) => {
                    failed += 1;
                    invalid_line(&input.label, &e, paint)
                }
            },
        };
        println!("{line}");
    }
    if files.len() > 1 {
        let valid = files.len() - failed;
        println!("{} valid, {} invalid", valid, if failed > 0 { paint.red(failed) } else { failed.to_string() });
    }
    if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Prints the JSON Schema of messages.
pub fn schema() -> ExitCode {
    print!("{}", message::schema::message_schema_json());
    ExitCode::SUCCESS
}

/// `FILE: PATH: REASON`.
pub fn invalid_line(label: &str, error: &InvalidMessage, paint: Paint) -> String {
    format!("{label}: {}: {}", paint.red(&error.path), error.reason)
}

/// `FILE: warning: PATH: REASON`.
pub fn warning_line(label: &str, warning: &MessageWarning, paint: Paint) -> String {
    format!("{label}: {}: {}: {}", paint.yellow("warning"), warning.path, warning.reason)
}

/// The type, and what is worth knowing before sending: an unknown type pages, a missing
/// `requestId` is derived from the SNS message id.
pub fn describe(message: &Message) -> String {
    let mut text = match &message.alarm {
        Alarm::Unrouted(u) => format!("{}: not a known type, so it opens a PagerDuty incident", u.type_name),
        _ => message.kind().to_owned(),
    };
    if message.request_id_generated {
        text.push_str("; no requestId: one is derived from the SNS message id");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_types_and_missing_request_ids_are_pointed_out() {
        let message = message::parse(br#"{"type":"high","body":{}}"#).unwrap();
        assert_eq!(
            describe(&message),
            "high: not a known type, so it opens a PagerDuty incident; no requestId: one is derived from the SNS message id"
        );
        let message =
            message::parse(br#"{"type":"high-priority","requestId":"r1","body":{"pagerduty":{"title":"t"}}}"#).unwrap();
        assert_eq!(describe(&message), "high-priority");
    }

    #[test]
    fn a_warning_line_names_the_file_the_path_and_the_reason_in_yellow_when_painting() {
        let warning = MessageWarning::new("requestId", "a number, taken as its decimal string");
        assert_eq!(
            warning_line("a.json", &warning, Paint::plain()),
            "a.json: warning: requestId: a number, taken as its decimal string"
        );
        let painted = warning_line("a.json", &warning, Paint::new(crate::args::ColorChoice::Always, false, false));
        assert!(painted.contains("\x1b[33mwarning\x1b[0m"), "{painted:?}");
    }

    #[test]
    fn an_invalid_line_names_the_file_the_path_and_the_reason() {
        let error = InvalidMessage::new("body.slack.prompt", "required for self-service");
        assert_eq!(
            invalid_line("a.json", &error, Paint::plain()),
            "a.json: body.slack.prompt: required for self-service"
        );
    }
}
