#!/usr/bin/env bash
# Runs the real `incoming` under `cargo lambda watch` (cargo-lambda's Lambda emulator) with the
# project's fake GitHub, Slack and PagerDuty on loopback, and invokes it once with an SNS event as
# AWS sends it: the self-service example must come back handled, with its issue and DM in the fakes.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The `dispatch` binary the test run built (building it alone would resolve features anew).
test -x target/debug/dispatch || cargo build --quiet --workspace --bins
target/debug/dispatch fakes --env-file "$work/fakes.env" >"$work/fakes.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/fakes.env" ] && break; sleep 0.1; done
test -s "$work/fakes.env" || { cat "$work/fakes.out"; echo "the fakes did not start" >&2; exit 1; }

python3 - "$work/event.json" <<'PY'
import json, sys
message = open("examples/self-service.json").read()
fixture = json.load(open("tests/fixtures/sns-event.json"))
fixture["Records"][0]["Sns"]["Message"] = message
fixture["Records"][0]["Sns"]["MessageId"] = "ci-cargo-lambda-watch-0001"
json.dump(fixture, open(sys.argv[1], "w"))
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo lambda watch --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$port" --env-file "$work/fakes.env" >"$work/watch.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done

answer=$(cargo lambda invoke incoming --invoke-address 127.0.0.1 --invoke-port "$port" --data-file "$work/event.json" 2>&1) || {
  echo "$answer"; tail -40 "$work/watch.out"; exit 1;
}
echo "cargo lambda invoke incoming: $answer"
case "$answer" in
  *'"handled":1'*) ;;
  *) echo "unexpected answer" >&2; tail -40 "$work/watch.out"; exit 1 ;;
esac
