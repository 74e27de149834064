//! `dispatch publish`: validate a message, then publish it unchanged to the Dispatch SNS topic
//! with the standard AWS configuration (credentials chain, region, `AWS_ENDPOINT_URL_SNS`).

use std::process::ExitCode;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sns::error::ProvideErrorMetadata;
use dispatch_core::message;

use crate::args::PublishArgs;
use crate::input;
use crate::style::Paint;
use crate::validate::{describe, invalid_line};

/// Longest the whole publish may take, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Validates, then publishes; exit code 1 if the message is invalid or SNS refused it.
pub async fn run(args: &PublishArgs, paint: Paint) -> ExitCode {
    let input = match input::read(&args.file) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("{}", paint.red(e.to_string()));
            return ExitCode::FAILURE;
        }
    };
    let message = match message::parse(&input.bytes) {
        Ok(message) => message,
        Err(e) => {
            println!("{}", invalid_line(&input.label, &e, paint));
            eprintln!("{}: not published: the message is invalid", input.label);
            return ExitCode::FAILURE;
        }
    };
    // The parser accepted it, so it is JSON, so it is UTF-8.
    let text = String::from_utf8_lossy(&input.bytes).into_owned();

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(TimeoutConfig::builder().operation_timeout(OPERATION_TIMEOUT).build());
    if let Some(region) = &args.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        eprintln!(
            "{}: {}: no AWS region: set AWS_REGION, a region in the AWS profile, or --region",
            input.label,
            paint.red("not published")
        );
        return ExitCode::FAILURE;
    }
    let client = aws_sdk_sns::Client::new(&config);
    let sent = client.publish().topic_arn(&args.topic_arn).message(text).set_subject(args.subject.clone()).send().await;
    match sent {
        Ok(output) => {
            println!("{}: {} ({}) to {}", input.label, paint.green("published"), describe(&message), args.topic_arn);
            println!("MessageId: {}", output.message_id().unwrap_or("(none returned)"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            let reason = match e.as_service_error() {
                Some(refused) => {
                    format!(
                        "SNS refused it: {}: {}",
                        refused.code().unwrap_or("error"),
                        refused.message().unwrap_or("")
                    )
                }
                None => causes(&e),
            };
            eprintln!("{}: {}: {reason}", input.label, paint.red("not published"));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes in one sentence, each said once (the SDK nests the same text).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && text != "other" && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}
