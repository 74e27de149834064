#!/usr/bin/env bash
# Runs the real `incoming` under cargo-lambda's Lambda emulator (`cargo lambda watch`) with the
# project's fake GitHub, Slack and PagerDuty on loopback, and invokes it once with an SNS event as
# AWS sends it (`cargo lambda invoke incoming`): the self-service example must come back handled.
#
# The emulator runs the binary the test run built. Left to itself, `cargo lambda watch` compiles
# the function with `cargo run --bin incoming`, which resolves features for `incoming` alone
# (tokio without `test-util`, hyper without `server`, serde_json without `raw_value`, ...: the
# test run's dev-dependencies add them), so Cargo rebuilt most of the dependency graph and
# `incoming` itself in a second configuration. Here the emulator only serves the Runtime API
# (`--only-lambda-apis`) and this script starts `target/debug/incoming` against it, under the
# function name the invocation uses.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The binaries as `cargo test --workspace` built them: selecting the same packages and targets
# (dev-dependencies included) resolves the same features, so after the test run nothing compiles
# and this only checks that they are fresh.
cargo build --workspace --tests --bin incoming --bin dispatch
test -x target/debug/incoming && test -x target/debug/dispatch
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
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" >"$work/watch.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
# The variables the emulator asks a function started outside it to set; the Runtime API path names
# the function, so that invocations of `incoming` reach this process.
(
  set -a
  . "$work/fakes.env"
  set +a
  AWS_LAMBDA_FUNCTION_NAME=incoming AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=4096 \
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/incoming" exec target/debug/incoming
) >"$work/incoming.out" 2>&1 &
pids+=($!)

answer=$(timeout 60 cargo lambda invoke incoming --invoke-address 127.0.0.1 --invoke-port "$port" \
  --data-file "$work/event.json" 2>&1) || {
  echo "$answer"; tail -20 "$work/watch.out"; tail -40 "$work/incoming.out"; exit 1;
}
echo "cargo lambda invoke incoming: $answer"
case "$answer" in
  *'"handled":1'*) ;;
  *) echo "unexpected answer" >&2; tail -40 "$work/incoming.out"; exit 1 ;;
esac
