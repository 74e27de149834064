#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/ from the examples, the fixtures and payloads shaped like
those of tests/e2e/triage/harness.rs. Run from the repository root; the output is
committed, so run it again only when the inputs change."""

import base64
import json
import os
import struct
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
NOW = 1795789800  # the pinned clock of crates/dispatch-fuzz-checks/src/triage_request.rs
TOKEN = "xyzz0WbapA4vBCDEFasx0q6G"
RESPONSE_URL = "https://hooks.slack.com/actions/T012AB3C4/1/abc"


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read(*path):
    with open(os.path.join(ROOT, *path), "rb") as f:
        return f.read()


# message_parser: the examples, the SNS fixture, and three edge shapes.
for name in sorted(os.listdir(os.path.join(ROOT, "examples"))):
    if name.endswith(".json"):
        write("message_parser", name, read("examples", name))
write("message_parser", "sns-event.json", read("tests", "fixtures", "sns-event.json"))
write("message_parser", "broadcast-missing-slack-ids.json", compact({
    "type": "broadcast",
    "users": [{"slackId": "", "slack": "carol", "github": "@acme/team"}, {"github": "dave"}, {}],
    "body": {"github": {"title": "  padded title  ", "body": "", "labels": ["a", "a"], "label": "a"},
             "slack": {"message": "x"}},
}))
write("message_parser", "self-service-long-texts.json", compact({
    "type": "self-service",
    "requestId": "ss-long:1/2@3+4=5",
    "retrigger": False,
    "githubRepo": "acme/other",
    "pagerDutyServiceId": "PSEC",
    "users": [{"slackId": "U012ABCDEF", "github": "alice"}],
    "body": {
        "github": {"title": "Long texts", "body": "b"},
        "slack": {
            "message": ("é" + "a" * 39 + "\n") * 75 + "tail",
            "prompt": "ok?",
            "actions": {"yes": "Y" * 75, "no": "N", "yes_response": "\u0001" * 40, "no_response": "n" * 20},
        },
    },
}))
write("message_parser", "unknown-type-with-pagerduty.json", compact({
    "type": "medium", "requestId": "bad id!", "pagerDutyServiceId": "P-1",
    "body": {"pagerduty": {"title": "t", "body": "d", "service": "PX"}},
}))

# callback_decoder: button values as Callback::encode writes them, and legacy callback ids.
button = {"v": 1, "o": "acme", "r": "dispatch-alarms", "n": 42, "id": "ss-2fa-disabled-0001", "u": "U012ABCDEF",
          "s": "PSEC", "y": "Thanks \"you\"", "no": "Paged."}
write("callback_decoder", "button-value.json", compact(button))
write("callback_decoder", "button-value-minimal.json", compact({"v": 1, "o": "a", "r": "b", "n": 1, "id": "x", "u": "U1"}))
write("callback_decoder", "button-value-long-responses.json",
      compact(dict(button, n=18446744073709551615, y="\u0001" * 500, no="n" * 500)))
legacy = compact({"github": 7, "requestId": "abc123"})
write("callback_decoder", "legacy.json", legacy)
write("callback_decoder", "legacy-url-safe-no-pad.txt", base64.urlsafe_b64encode(legacy.encode()).rstrip(b"="))
write("callback_decoder", "legacy-string-issue-padded.txt",
      base64.urlsafe_b64encode(compact({"github": " 12 ", "requestId": "a-b_c"}).encode()))
write("callback_decoder", "legacy-standard.txt", base64.b64encode(b'{"github":3,"requestId":"??>>??"}'))

# triage_request: a flag byte (see the target's documentation), then headers and body or an event.
FUNCTION_URL, REST, POST_BODY = 1, 2, 3
FORM, SIGN, LEGACY = 4, 8, 16
HEADER_CLOCK, SKEW_CLOCK, ANY_CLOCK = 32, 64, 96


def block_actions(action_id, value):
    return {
        "type": "block_actions", "token": TOKEN,
        "user": {"id": "U012ABCDEF", "username": "alice", "name": "alice", "team_id": "T012AB3C4"},
        "team": {"id": "T012AB3C4", "domain": "acme"},
        "channel": {"id": "D012ABCDEF", "name": "directmessage"},
        "response_url": RESPONSE_URL,
        "actions": [{"action_id": action_id, "block_id": "dispatch_prompt", "value": value, "type": "button"}],
    }


def interactive_message(callback_id, answer):
    return {
        "type": "interactive_message", "callback_id": callback_id, "token": TOKEN,
        "user": {"id": "U012ABCDEF", "name": "alice"},
        "actions": [{"name": answer, "type": "button", "value": answer}],
        "response_url": RESPONSE_URL,
    }


def form(payload):
    return "payload=" + urllib.parse.quote_plus(compact(payload))


legacy_id = base64.urlsafe_b64encode(compact({"github": 7, "requestId": "abc123"}).encode()).rstrip(b"=").decode()
headers = "Content-Type: application/x-www-form-urlencoded\nX-Slack-Request-Timestamp: %d\n\n" % NOW
yes = compact(block_actions("dispatch_yes", compact(button)))
no = compact(block_actions("dispatch_no", compact(dict(button, s=None, y=None, no=None))))
write("triage_request", "function-url-block-actions-yes", bytes([FUNCTION_URL | FORM | SIGN]) + (headers + yes).encode())
write("triage_request", "rest-proxy-block-actions-no", bytes([REST | FORM | SIGN]) + (headers + no).encode())
write("triage_request", "rest-proxy-legacy-click", bytes([REST | FORM | SIGN | HEADER_CLOCK])
      + (headers + compact(interactive_message(legacy_id, "no"))).encode())
write("triage_request", "post-body-legacy-token", bytes([POST_BODY | FORM | LEGACY])
      + compact(interactive_message(legacy_id, "yes")).encode())
write("triage_request", "function-url-window-edge", bytes([FUNCTION_URL | FORM | SIGN | SKEW_CLOCK, 75])
      + (headers + yes).encode())
write("triage_request", "function-url-any-clock", bytes([FUNCTION_URL | SIGN | ANY_CLOCK]) + struct.pack("<q", NOW - 301)
      + (headers + form(block_actions("dispatch_no", compact(button)))).encode())
# The clock's extremes: the oldest timestamp `now - timestamp` can be computed for, and the latest.
OLDEST = -(2**63) + NOW + 1
for name, when in [("oldest", OLDEST), ("latest", 2**63 - 1)]:
    write("triage_request", "function-url-signed-%s-timestamp" % name, bytes([FUNCTION_URL | FORM | SIGN | ANY_CLOCK])
          + struct.pack("<q", when) + (headers + yes).encode())
write("triage_request", "function-url-unsigned-oldest-timestamp", bytes([FUNCTION_URL])
      + ("X-Slack-Request-Timestamp: %d\nX-Slack-Signature: v0=00\n\npayload=%%7B%%7D" % OLDEST).encode())
# The crashes found so far, kept as seeds once fixed: timestamps whose distance from now overflowed.
write("triage_request", "unsigned-timestamp-i64-min", bytes([FUNCTION_URL])
      + b"X-Slack-Request-Timestamp: -9223372036854775808\nX-Slack-Signature: v0=00\n\npayload={}")
write("triage_request", "signed-timestamp-now-minus-2-pow-63", bytes([FUNCTION_URL | SIGN | ANY_CLOCK])
      + struct.pack("<q", NOW - 2**63) + b"\n\npayload={}")
write("triage_request", "function-url-bad-signature", bytes([FUNCTION_URL])
      + ("X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503\n" + headers
         + form(block_actions("dispatch_yes", compact(button)))).encode())
api_gateway = {
    "resource": "/", "path": "/", "httpMethod": "POST",
    "headers": {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(NOW),
                "X-Slack-Signature": "v0=00"},
    "body": base64.b64encode(form(block_actions("dispatch_yes", compact(button))).encode()).decode(),
    "isBase64Encoded": True,
}
write("triage_request", "api-gateway-event-signed", bytes([SIGN | HEADER_CLOCK]) + compact(api_gateway).encode())
function_url = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/",
    "headers": {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": str(NOW)},
    "body": form(interactive_message(legacy_id, "yes")), "isBase64Encoded": False,
}
write("triage_request", "function-url-event-unsigned", bytes([0]) + compact(function_url).encode())
write("triage_request", "post-body-event-legacy", bytes([LEGACY]) + compact({"postBody": form(interactive_message(legacy_id, "no"))}).encode())
