//! The HTTPS request as Lambda delivers it, read into `aws_lambda_events`' types in the three
//! shapes `triage` accepts: API Gateway REST proxy (payload 1.0), HTTP API or Function URL
//! (payload 2.0), and the Node original's non-proxy mapping `{"postBody": "<form body>"}`. Header
//! names are `http::HeaderName`s, matched in any case; base64 bodies are decoded first.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Map, Value, json};

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

/// A Lambda event `triage` answers, as its shape's typed request.
#[derive(Debug, Clone)]
pub enum TriageEvent {
    /// API Gateway REST API proxy integration (payload 1.0).
    RestProxy(Box<ApiGatewayProxyRequest>),
    /// API Gateway HTTP API or Lambda Function URL (payload 2.0): the same payload format.
    Http(Box<ApiGatewayV2httpRequest>),
    /// The original's mapping template.
    LegacyPostBody(LegacyPostBody),
}

/// The Node original's API Gateway mapping template: the form body alone, no headers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LegacyPostBody {
    /// The form body.
    #[serde(rename = "postBody")]
    pub post_body: String,
}

/// Why an event could not be read as an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotHttp {
    /// None of the three shapes.
    #[error("not an HTTP request event: neither an API Gateway, Function URL nor postBody event")]
    UnknownShape,
    /// `postBody` is there but is not text.
    #[error("not an HTTP request event: postBody is not a string")]
    PostBodyNotText,
    /// The shape's typed request refused the event.
    #[error("not an HTTP request event: malformed {shape:?} event: {reason}")]
    Malformed {
        /// The shape the event claimed.
        shape: Shape,
        /// What the typed request refused.
        reason: String,
    },
    /// `isBase64Encoded` is true and the body is not base64.
    #[error("not an HTTP request event: isBase64Encoded body is not base64")]
    BadBase64,
}

impl TryFrom<Value> for TriageEvent {
    type Error = NotHttp;

    /// Reads an event by the field that names its shape: `postBody`, else `version` "2.0", else
    /// `httpMethod`.
    fn try_from(event: Value) -> Result<Self, NotHttp> {
        let Value::Object(mut fields) = event else { return Err(NotHttp::UnknownShape) };
        if fields.contains_key("postBody") {
            return LegacyPostBody::deserialize(Value::Object(fields))
                .map(Self::LegacyPostBody)
                .map_err(|_| NotHttp::PostBodyNotText);
        }
        let shape = if fields.get("version").and_then(Value::as_str) == Some("2.0") {
            Shape::Http
        } else if fields.contains_key("httpMethod") {
            Shape::RestProxy
        } else {
            return Err(NotHttp::UnknownShape);
        };
        conform(&mut fields, shape);
        let malformed = |e: serde_json::Error| NotHttp::Malformed { shape, reason: e.to_string() };
        let event = Value::Object(fields);
        Ok(match shape {
            Shape::Http => Self::Http(Box::new(serde_json::from_value(event).map_err(malformed)?)),
            _ => Self::RestProxy(Box::new(serde_json::from_value(event).map_err(malformed)?)),
        })
    }
}

/// Fills in what API Gateway's console test events and hand-written events leave out, and what the
/// reader before these types let pass: a missing request context is an empty one (with the
/// method, which the typed request requires), and headers HTTP cannot carry (a name that is not
/// a token, a value with control characters, or not text) are left out. Triage reads two headers
/// only; a request without them is refused as unsigned, as before.
fn conform(fields: &mut Map<String, Value>, shape: Shape) {
    for key in ["headers", "multiValueHeaders"] {
        if let Some(headers) = fields.get_mut(key) {
            *headers = carried(headers);
        }
    }
    let method = fields.get("httpMethod").cloned().unwrap_or_else(|| json!("POST"));
    let context = fields.entry("requestContext").or_insert_with(|| json!({}));
    if let Value::Object(context) = context {
        match shape {
            Shape::RestProxy => context.entry("httpMethod").or_insert(method),
            _ => context.entry("http").or_insert_with(|| json!({ "method": "POST" })),
        };
    }
}

/// The headers of `headers` (name to text, or to a list of texts) that HTTP can carry.
fn carried(headers: &Value) -> Value {
    let valid = |name: &str, value: &Value| {
        value.as_str().is_some_and(|v| HeaderValue::from_bytes(v.as_bytes()).is_ok())
            && HeaderName::from_bytes(name.as_bytes()).is_ok()
    };
    let Some(headers) = headers.as_object() else { return Value::Null };
    let kept = headers.iter().filter_map(|(name, value)| match value {
        Value::Array(values) => {
            let values: Vec<Value> = values.iter().filter(|v| valid(name, v)).cloned().collect();
            (!values.is_empty()).then(|| (name.clone(), Value::Array(values)))
        }
        value => valid(name, value).then(|| (name.clone(), value.clone())),
    });
    Value::Object(kept.collect())
}

impl TriageEvent {
    /// The shape it came in.
    pub fn shape(&self) -> Shape {
        match self {
            Self::RestProxy(_) => Shape::RestProxy,
            Self::Http(_) => Shape::Http,
            Self::LegacyPostBody(_) => Shape::LegacyPostBody,
        }
    }

    /// The headers; the original's mapping carries none.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Self::RestProxy(request) => Some(&request.headers),
            Self::Http(request) => Some(&request.headers),
            Self::LegacyPostBody(_) => None,
        }
    }

    /// A header by name, in any case, if its value is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()?.get(name).and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
    }

    /// API Gateway's id for the request, when it gave one.
    pub fn gateway_request_id(&self) -> Option<&str> {
        match self {
            Self::RestProxy(request) => request.request_context.request_id.as_deref(),
            Self::Http(request) => request.request_context.request_id.as_deref(),
            Self::LegacyPostBody(_) => None,
        }
    }

    /// The request reduced to what verification and parsing need, its body decoded.
    pub fn into_request(self) -> Result<HttpRequest, NotHttp> {
        let shape = self.shape();
        let headers = self
            .headers()
            .map(|headers| {
                let text = |name: &HeaderName| std::str::from_utf8(headers.get(name)?.as_bytes()).ok();
                headers.keys().filter_map(|name| Some((name.as_str().to_owned(), text(name)?.to_owned()))).collect()
            })
            .unwrap_or_default();
        let (text, base64) = match self {
            Self::RestProxy(request) => (request.body.unwrap_or_default(), request.is_base64_encoded),
            Self::Http(request) => (request.body.unwrap_or_default(), request.is_base64_encoded),
            Self::LegacyPostBody(legacy) => (legacy.post_body, false),
        };
        let body =
            if base64 { STANDARD.decode(text.trim()).map_err(|_| NotHttp::BadBase64)? } else { text.into_bytes() };
        Ok(HttpRequest { shape, headers, body })
    }
}

/// An HTTP request reduced to what verification and parsing need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The shape it came in.
    pub shape: Shape,
    /// Headers by name, lowercase as `http::HeaderName` writes them.
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

/// Reads a Lambda event as an HTTP request.
pub fn from_event(event: &Value) -> Result<HttpRequest, NotHttp> {
    TriageEvent::try_from(event.clone())?.into_request()
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
mod tests;
