//! Verification and request shapes: only Slack's requests get through, as Slack sends them.

use base64::Engine;
use dispatch_core::triage::event::{HttpRequest, Shape};
use serde_json::{Value, json};

use super::harness::*;

async fn prepared() -> (Harness, String, usize) {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    let before = h.fakes.github.requests().len();
    (h, value, before)
}

fn assert_untouched(h: &Harness, before: usize) {
    assert_eq!(h.fakes.github.requests().len(), before, "no request reached GitHub");
    assert!(h.fakes.pagerduty.requests().is_empty(), "no request reached PagerDuty");
    assert!(h.fakes.slack.responses().is_empty());
}

#[tokio::test]
async fn unsigned_tampered_stale_or_future_requests_are_refused_with_401() {
    let (h, value, before) = prepared().await;
    let body = form(&block_actions(&value, "dispatch_no", "U012ABCDEF", &h.fakes.slack.response_url("x")));
    let ts = now().timestamp();
    let mut cases: Vec<(&str, HttpRequest)> = Vec::new();
    let mut unsigned = signed(&body, ts);
    unsigned.headers.remove("x-slack-signature");
    cases.push(("missing signature", unsigned));
    let mut no_timestamp = signed(&body, ts);
    no_timestamp.headers.remove("x-slack-request-timestamp");
    cases.push(("missing timestamp", no_timestamp));
    let mut tampered = signed(&body, ts);
    tampered.body = body.replace("dispatch_no", "dispatch_ye").into_bytes();
    cases.push(("changed byte", tampered));
    cases.push(("6 minutes old", signed(&body, ts - 360)));
    cases.push(("6 minutes ahead", signed(&body, ts + 360)));
    let mut wrong_secret = signed(&body, ts);
    wrong_secret.headers.insert(
        "x-slack-signature".into(),
        "v0=0000000000000000000000000000000000000000000000000000000000000000".into(),
    );
    cases.push(("wrong secret", wrong_secret));
    cases.push((
        "original postBody shape",
        HttpRequest { shape: Shape::LegacyPostBody, headers: Default::default(), body: body.clone().into_bytes() },
    ));
    for (name, request) in cases {
        assert_eq!(h.triage.handle(&request, now()).await.status, 401, "{name}");
    }
    assert_untouched(&h, before);
}

#[tokio::test]
async fn header_names_are_matched_in_any_case() {
    let (h, value, _) = prepared().await;
    let body = form(&block_actions(&value, "dispatch_yes", "U012ABCDEF", &h.fakes.slack.response_url("x")));
    let request = signed(&body, now().timestamp());
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "headers": {
            "X-Slack-Request-Timestamp": request.headers["x-slack-request-timestamp"],
            "X-SLACK-SIGNATURE": request.headers["x-slack-signature"],
            "content-type": "application/x-www-form-urlencoded"
        },
        "requestContext": { "http": { "method": "POST", "path": "/" } },
        "body": body,
        "isBase64Encoded": false
    });
    let answer = h.triage.handle_event(&event, now()).await.unwrap();
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(h.issue(1).state, "closed");
}

#[tokio::test]
async fn an_api_gateway_proxy_event_with_a_base64_body_is_handled() {
    let (h, value, _) = prepared().await;
    let body = form(&block_actions(&value, "dispatch_no", "U012ABCDEF", &h.fakes.slack.response_url("x")));
    let request = signed(&body, now().timestamp());
    let event = json!({
        "resource": "/triage",
        "path": "/triage",
        "httpMethod": "POST",
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": request.headers["x-slack-request-timestamp"],
            "X-Slack-Signature": request.headers["x-slack-signature"]
        },
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "requestContext": { "httpMethod": "POST", "stage": "prod" },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true
    });
    let answer = h.triage.handle_event(&event, now()).await.unwrap();
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
}

#[tokio::test]
async fn the_originals_post_body_shape_works_with_the_legacy_token_only() {
    let h = harness_with(true).await;
    h.fakes.github.add_issue(REPO, "legacy alarm", "from the Node version", true);
    let payload = legacy_click(&legacy_callback_id(json!(1), "abc123"), "yes", &h.fakes.slack.response_url("x"));
    let answer = h.triage.handle_event(&json!({ "postBody": form(&payload) }), now()).await.unwrap();
    assert_eq!(answer, json!({ "text": "" }));
    assert_eq!(h.issue(1).state, "closed");

    let mut forged = payload.clone();
    forged["token"] = json!("not-the-token");
    let refused = h.triage.handle_event(&json!({ "postBody": form(&forged) }), now()).await.unwrap_err();
    assert!(refused.starts_with("401"), "{refused}");
}

#[tokio::test]
async fn with_only_the_legacy_token_a_wrong_or_missing_token_is_401() {
    let h = harness_with(true).await;
    let before = h.fakes.github.requests().len();
    let mut payload = legacy_click(&legacy_callback_id(json!(1), "abc123"), "yes", &h.fakes.slack.response_url("x"));
    payload.as_object_mut().unwrap().remove("token");
    let request =
        HttpRequest { shape: Shape::RestProxy, headers: Default::default(), body: form(&payload).into_bytes() };
    assert_eq!(h.triage.handle(&request, now()).await.status, 401);
    let garbage =
        HttpRequest { shape: Shape::RestProxy, headers: Default::default(), body: b"payload=%7Bnot json".to_vec() };
    assert_eq!(h.triage.handle(&garbage, now()).await.status, 401, "an unverifiable body is not trusted");
    assert_eq!(h.fakes.github.requests().len(), before);
}

#[tokio::test]
async fn verified_but_malformed_payloads_are_400() {
    let (h, value, before) = prepared().await;
    let base = block_actions(&value, "dispatch_yes", "U012ABCDEF", &h.fakes.slack.response_url("x"));
    let mut no_actions = base.clone();
    no_actions["actions"] = json!([]);
    let mut two_actions = base.clone();
    let action = base["actions"][0].clone();
    two_actions["actions"] = json!([action.clone(), action]);
    let mut unknown_action = base.clone();
    unknown_action["actions"][0]["action_id"] = json!("dispatch_maybe");
    let mut bad_value = base.clone();
    bad_value["actions"][0]["value"] = json!("{\"v\":1,\"o\":\"../..\"}");
    let mut bad_legacy = legacy_click("!!!not-base64!!!", "yes", &h.fakes.slack.response_url("x"));
    bad_legacy["token"] = json!(LEGACY_TOKEN);
    let mut unsupported = base.clone();
    unsupported["type"] = json!("view_submission");
    let bodies: Vec<(&str, String)> = vec![
        ("no actions", form(&no_actions)),
        ("two actions", form(&two_actions)),
        ("unknown action", form(&unknown_action)),
        ("bad button value", form(&bad_value)),
        ("bad base64 legacy callback", form(&bad_legacy)),
        ("unsupported type", form(&unsupported)),
        ("bad JSON", "payload=%7B%22type%22".to_owned()),
        ("no payload field", "text=hello".to_owned()),
    ];
    for (name, body) in bodies {
        let response = h.triage.handle(&signed(&body, now().timestamp()), now()).await;
        assert_eq!(response.status, 400, "{name}: {}", response.body);
        assert!(response.body.starts_with("Bad request: "), "{name}");
    }
    assert_untouched(&h, before);
}

#[tokio::test]
async fn events_that_are_not_http_requests_are_errors() {
    let h = harness().await;
    let error = h.triage.handle_event(&Value::Null, now()).await.unwrap_err();
    assert!(error.starts_with("not an HTTP request event"), "{error}");
}
