//! `dispatch publish` against a local SNS double speaking the Query protocol: what it sends, what
//! it prints, and that an invalid message is never sent.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use crate::helpers::*;

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:dispatch-alarms";
const MESSAGE_ID: &str = "5f8d3c8e-1b7a-5d0e-9a4c-0123456789ab";

/// One request the double received: its headers and form fields.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    form: Vec<(String, String)>,
}

impl Received {
    fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// An SNS endpoint on loopback that records every request and answers `status` with its XML.
async fn sns_double(status: StatusCode) -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
        let log = log.clone();
        async move {
            let form = url::form_urlencoded::parse(&body).into_owned().collect();
            log.lock().unwrap().push(Received { headers, form });
            let xml = if status.is_success() {
                format!(
                    r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>{MESSAGE_ID}</MessageId></PublishResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PublishResponse>"#
                )
            } else {
                r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>req-2</RequestId></ErrorResponse>"#.to_owned()
            };
            (status, [("content-type", "text/xml")], xml).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Runs `dispatch ARGS` with only the AWS settings that lead to `endpoint`.
async fn publish(endpoint: &str, args: &[&str], stdin: &str) -> Run {
    publish_in(Some("eu-west-1"), endpoint, args, stdin).await
}

/// The same, in `region` (none: no region anywhere).
async fn publish_in(region: Option<&str>, endpoint: &str, args: &[&str], stdin: &str) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(BIN);
    command.env_clear();
    if let Some(region) = region {
        command.env("AWS_REGION", region);
    }
    let mut child = command
        .args(args)
        .current_dir(repo_root())
        .env("AWS_ENDPOINT_URL_SNS", endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret-key")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[tokio::test]
async fn the_file_is_published_unchanged_to_the_topic_and_the_message_id_printed() {
    let (endpoint, received) = sns_double(StatusCode::OK).await;
    let run = publish(&endpoint, &["publish", "--topic-arn", TOPIC, "examples/self-service.json"], "").await;
    assert_eq!(run.code, 0, "{}", run.both());
    assert_eq!(
        run.stdout,
        format!("examples/self-service.json: published (self-service) to {TOPIC}\nMessageId: {MESSAGE_ID}\n")
    );
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.field("Action"), Some("Publish"));
    assert_eq!(request.field("Version"), Some("2010-03-31"));
    assert_eq!(request.field("TopicArn"), Some(TOPIC));
    let file = std::fs::read_to_string(example("self-service.json")).unwrap();
    assert_eq!(request.field("Message"), Some(file.as_str()), "the message is the file, byte for byte");
    assert_eq!(request.field("Subject"), None);
    let authorization = request.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDSANDBOXEXAMPLE/")
            && authorization.contains("/eu-west-1/sns/aws4_request"),
        "signed with the credentials of the standard chain: {authorization}"
    );
}

#[tokio::test]
async fn a_message_from_standard_input_is_published_with_its_subject() {
    let (endpoint, received) = sns_double(StatusCode::OK).await;
    let message = std::fs::read_to_string(example("high-priority.json")).unwrap();
    let run = publish(&endpoint, &["publish", "--topic-arn", TOPIC, "--subject", "root login", "-"], &message).await;
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.starts_with("<stdin>: published (high-priority)"), "{}", run.stdout);
    let received = received.lock().unwrap().clone();
    assert_eq!(
        (received[0].field("Subject"), received[0].field("Message")),
        (Some("root login"), Some(message.as_str()))
    );
}

#[tokio::test]
async fn an_invalid_message_is_refused_and_nothing_is_sent() {
    let (endpoint, received) = sns_double(StatusCode::OK).await;
    let bad = temp_file("no-title.json", NO_TITLE);
    let run = publish(&endpoint, &["publish", "--topic-arn", TOPIC, arg(&bad)], "").await;
    assert_eq!(run.code, 1, "{}", run.both());
    assert_eq!(run.stdout, format!("{}: body.github.title: required for self-service\n", bad.display()));
    assert!(run.stderr.contains("not published: the message is invalid"), "{}", run.stderr);
    assert!(received.lock().unwrap().is_empty(), "SNS was not called");
}

#[tokio::test]
async fn an_error_from_sns_is_reported_and_fails_the_command() {
    let (endpoint, received) = sns_double(StatusCode::NOT_FOUND).await;
    let run = publish(&endpoint, &["publish", "--topic-arn", TOPIC, "examples/nag.json"], "").await;
    assert_eq!(run.code, 1, "{}", run.both());
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("not published: SNS refused it: NotFound: Topic does not exist"), "{}", run.stderr);
    assert_eq!(received.lock().unwrap().len(), 1, "a NotFound is not retried");
}

#[tokio::test]
async fn without_a_region_nothing_is_sent_and_the_fix_is_named() {
    let (endpoint, received) = sns_double(StatusCode::OK).await;
    let run = publish_in(None, &endpoint, &["publish", "--topic-arn", TOPIC, "examples/nag.json"], "").await;
    assert_eq!(run.code, 1, "{}", run.both());
    assert!(run.stderr.contains("no AWS region: set AWS_REGION, a region in the AWS profile, or --region"));
    assert!(received.lock().unwrap().is_empty());
    let run = publish_in(
        None,
        &endpoint,
        &["publish", "--region", "eu-west-1", "--topic-arn", TOPIC, "examples/nag.json"],
        "",
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.both());
}
