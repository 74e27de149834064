//! The HTTPS request as Lambda delivers it, in the three shapes `triage` accepts: API Gateway REST
//! proxy (payload 1.0), HTTP API or Function URL (payload 2.0), and the Node original's non-proxy
//! mapping `{"postBody": "<form body>"}`. Header names are matched in any case; base64 bodies are
//! decoded first.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// Which shape the request came in, so the answer goes back in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// API Gateway REST API proxy integration (payload 1.0).
    RestProxy,
    /// API Gateway HTTP API or Lambda Function URL (payload 2.0).
    Http,
    /// The original's mapping template: `{"postBody": "..."}`, no headers.
    LegacyPostBody,
}

/// An HTTP request reduced to what verification and parsing need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The shape it came in.
    pub shape: Shape,
    /// Headers, names lowercase.
    pub headers: HashMap<String, String>,
    /// The raw body, base64 already decoded.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A header by name, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Plain-text body (Slack ignores it for button clicks; people reading logs do not).
    pub body: String,
}

impl HttpResponse {
    /// A response.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self { status, body: body.into() }
    }
}

/// Why an event could not be read as an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an HTTP request event: {0}")]
pub struct NotHttp(pub &'static str);

/// Reads a Lambda event as an HTTP request.
pub fn from_event(event: &Value) -> Result<HttpRequest, NotHttp> {
    if let Some(post_body) = event.get("postBody") {
        let body = post_body.as_str().ok_or(NotHttp("postBody is not a string"))?;
        return Ok(HttpRequest {
            shape: Shape::LegacyPostBody,
            headers: HashMap::new(),
            body: body.as_bytes().to_vec(),
        });
    }
    let shape = if event.get("version").and_then(Value::as_str) == Some("2.0") {
        Shape::Http
    } else if event.get("httpMethod").is_some() {
        Shape::RestProxy
    } else {
        return Err(NotHttp("neither an API Gateway, Function URL nor postBody event"));
    };
    let headers = event
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| h.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.to_ascii_lowercase(), v.to_owned()))).collect())
        .unwrap_or_default();
    let text = event.get("body").and_then(Value::as_str).unwrap_or_default();
    let body = if event.get("isBase64Encoded").and_then(Value::as_bool).unwrap_or(false) {
        STANDARD.decode(text.trim()).map_err(|_| NotHttp("isBase64Encoded body is not base64"))?
    } else {
        text.as_bytes().to_vec()
    };
    Ok(HttpRequest { shape, headers, body })
}

/// The Lambda result for `response` in `shape`. The original's mapping template cannot carry a
/// status: a failure there becomes the function's error.
pub fn to_event(shape: Shape, response: &HttpResponse) -> Result<Value, String> {
    match shape {
        Shape::RestProxy | Shape::Http => Ok(json!({
            "statusCode": response.status,
            "headers": { "content-type": "text/plain; charset=utf-8" },
            "body": response.body,
            "isBase64Encoded": false,
        })),
        Shape::LegacyPostBody if response.status == 200 => Ok(json!({ "text": response.body })),
        Shape::LegacyPostBody => Err(format!("{} {}", response.status, response.body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_proxy_events_with_base64_bodies_are_decoded_and_headers_lowercased() {
        let event = json!({
            "httpMethod": "POST",
            "headers": { "X-Slack-Signature": "v0=ab", "Content-Type": "application/x-www-form-urlencoded" },
            "body": STANDARD.encode("payload=%7B%7D"),
            "isBase64Encoded": true,
        });
        let request = from_event(&event).unwrap();
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
    }

    #[test]
    fn other_events_and_bad_base64_are_refused() {
        assert!(from_event(&json!({ "Records": [] })).is_err());
        assert!(from_event(&json!({ "httpMethod": "POST", "body": "%%%", "isBase64Encoded": true })).is_err());
    }

    #[test]
    fn responses_go_back_in_the_shape_they_came_in() {
        let ok = HttpResponse::new(200, "done");
        assert_eq!(to_event(Shape::Http, &ok).unwrap()["statusCode"], 200);
        assert_eq!(to_event(Shape::RestProxy, &HttpResponse::new(401, "no")).unwrap()["statusCode"], 401);
        assert_eq!(to_event(Shape::LegacyPostBody, &ok).unwrap(), json!({ "text": "done" }));
        assert!(to_event(Shape::LegacyPostBody, &HttpResponse::new(401, "no")).is_err());
    }
}
