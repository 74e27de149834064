use super::*;

fn read(event: Value) -> TriageEvent {
    TriageEvent::try_from(event).unwrap()
}

#[test]
fn rest_proxy_events_with_base64_bodies_are_decoded_and_headers_matched_in_any_case() {
    let event = json!({
        "httpMethod": "POST",
        "headers": { "X-Slack-Signature": "v0=ab", "Content-Type": "application/x-www-form-urlencoded" },
        "body": STANDARD.encode("payload=%7B%7D"),
        "isBase64Encoded": true,
    });
    let event = read(event);
    assert_eq!(event.header("X-SLACK-SIGNATURE"), Some("v0=ab"));
    let request = event.into_request().unwrap();
    assert_eq!(request.shape, Shape::RestProxy);
    assert_eq!(request.body, b"payload=%7B%7D");
    assert_eq!(request.header("x-slack-signature"), Some("v0=ab"));
    assert_eq!(request.header("X-SLACK-SIGNATURE"), Some("v0=ab"));
}

#[test]
fn function_url_events_are_http_api_shaped() {
    let event = json!({ "version": "2.0", "headers": { "x-slack-request-timestamp": "1" }, "body": "payload=x", "isBase64Encoded": false });
    let request = from_event(&event).unwrap();
    assert_eq!((request.shape, request.body.as_slice()), (Shape::Http, b"payload=x".as_slice()));
}

#[test]
fn the_originals_post_body_shape_is_accepted() {
    let request = from_event(&json!({ "postBody": "payload=%7B%7D" })).unwrap();
    assert_eq!(request.shape, Shape::LegacyPostBody);
    assert!(request.headers.is_empty());
    assert_eq!(from_event(&json!({ "postBody": 5 })), Err(NotHttp::PostBodyNotText));
}

#[test]
fn other_events_and_bad_base64_are_refused() {
    assert_eq!(from_event(&json!({ "Records": [] })), Err(NotHttp::UnknownShape));
    assert_eq!(from_event(&Value::Null), Err(NotHttp::UnknownShape));
    let bad = json!({ "httpMethod": "POST", "body": "%%%", "isBase64Encoded": true });
    assert_eq!(from_event(&bad), Err(NotHttp::BadBase64));
    assert!(from_event(&Value::Null).unwrap_err().to_string().starts_with("not an HTTP request event"));
}

#[test]
fn an_event_its_typed_request_refuses_is_malformed_and_says_why() {
    let error = from_event(&json!({ "version": "2.0", "body": 5 })).unwrap_err();
    assert!(
        matches!(&error, NotHttp::Malformed { shape: Shape::Http, reason } if reason.contains("string")),
        "{error}"
    );
}

#[test]
fn the_events_api_gateway_sends_are_read_whole_with_their_request_id() {
    let rest = json!({
        "resource": "/triage", "path": "/triage", "httpMethod": "POST",
        "headers": null, "multiValueHeaders": null, "queryStringParameters": null, "pathParameters": null,
        "stageVariables": null,
        "requestContext": { "httpMethod": "POST", "stage": "prod", "requestId": "gw-1", "identity": { "sourceIp": "1.2.3.4" } },
        "body": "payload=x", "isBase64Encoded": false,
    });
    let rest = read(rest);
    assert_eq!((rest.shape(), rest.gateway_request_id()), (Shape::RestProxy, Some("gw-1")));
    assert!(rest.headers().unwrap().is_empty());
    let url = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": { "content-type": "application/x-www-form-urlencoded" },
        "requestContext": { "http": { "method": "POST", "path": "/" }, "requestId": "url-1", "timeEpoch": 1 },
        "body": "payload=x", "isBase64Encoded": false,
    });
    assert_eq!(read(url).gateway_request_id(), Some("url-1"));
}

#[test]
fn headers_http_cannot_carry_are_left_out_and_the_rest_kept() {
    let event = json!({
        "httpMethod": "POST",
        "headers": { "X-Slack-Signature": "v0=ab", "bad name": "x", "": "y", "x-number": 5, "x-control": "a\u{1}b", "x-text": "café" },
        "multiValueHeaders": { "X-Slack-Signature": ["v0=ab"], "bad name": ["x"], "x-list": [1, "ok"] },
    });
    let event = read(event);
    let names: Vec<&str> = event.headers().unwrap().keys().map(HeaderName::as_str).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(event.header("x-text"), Some("café"));
    let TriageEvent::RestProxy(request) = &event else { panic!("a REST proxy event") };
    assert_eq!(request.multi_value_headers.len(), 2);
    assert_eq!(event.into_request().unwrap().header("x-slack-signature"), Some("v0=ab"));
}

#[test]
fn headers_that_are_not_an_object_are_none() {
    for headers in [json!([1]), json!("x"), Value::Null] {
        let request = from_event(&json!({ "version": "2.0", "headers": headers, "body": "b" })).unwrap();
        assert!(request.headers.is_empty());
    }
}

#[test]
fn responses_go_back_in_the_shape_they_came_in() {
    let ok = HttpResponse::new(200, "done");
    assert_eq!(to_event(Shape::Http, &ok).unwrap()["statusCode"], 200);
    assert_eq!(to_event(Shape::RestProxy, &HttpResponse::new(401, "no")).unwrap()["statusCode"], 401);
    assert_eq!(to_event(Shape::LegacyPostBody, &ok).unwrap(), json!({ "text": "done" }));
    assert!(to_event(Shape::LegacyPostBody, &HttpResponse::new(401, "no")).is_err());
}
