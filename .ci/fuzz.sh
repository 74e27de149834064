#!/usr/bin/env bash
# Fuzzes each cargo-fuzz target in fuzz/ for a bounded time from its committed seed corpus
# (fuzz/corpus/<target>/, read only: new inputs go to a temporary directory). Fails when any target
# finds a crash: a panic, an allocation over the limit, memory over the RSS limit, or an input
# taking longer than the timeout. Crashing inputs are left in fuzz/artifacts/<target>/, where
# `cargo test` replays them (crates/dispatch-fuzz-checks) until the bug is fixed.
#
# Not part of .ci/run: `cargo test` replays the committed corpora through the same checks, and this
# script is for searching further (after changing a parser or a format, before a release), e.g.
# `FUZZ_SECONDS=600 bash .ci/fuzz.sh`. The ASan build alone takes about 10 minutes on 2 cores.
#
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# FUZZ_SECONDS (default 60) sets the time per target.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-60}
targets=(message_parser triage_request callback_decoder)
export RUSTC_BOOTSTRAP=1
# Release build with debug assertions and overflow checks, under AddressSanitizer.
build_flags=(--release --debug-assertions --sanitizer address)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

started=$(date +%s)
echo "== building fuzz targets"
cargo fuzz build "${build_flags[@]}"
echo "   built in $(($(date +%s) - started)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds} s"
    mkdir -p "$work/$target"
    log="$work/$target.log"
    status=0
    # -rss_limit_mb and -malloc_limit_mb report memory blow-ups, -timeout a hang on one input;
    # -max_len keeps inputs to the few kilobytes Slack and SNS deliver in practice.
    cargo fuzz run "${build_flags[@]}" "$target" "$work/$target" "$root/fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=256 -max_len=4096 -timeout=10 \
        -dict="$root/fuzz/dict/$target.dict" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    seeds=$(find "fuzz/corpus/$target" -type f | wc -l)
    found=$(find "$work/$target" -type f | wc -l)
    echo "   runs ${runs:-?}, ${speed:-?} exec/s, peak RSS ${rss:-?} MB, corpus $seeds seeds + $found new"
    if [ "$status" -ne 0 ]; then
        echo "   FAILED (exit $status):"
        # From the first report line (panic, sanitizer, libFuzzer), without the input's byte dump.
        awk '/panicked at|==[0-9]+==ERROR|ERROR: libFuzzer|^SUMMARY|ParseDictionaryFile|^error/ { on = 1 }
             on && !/^\t\[[0-9, ]*\]$/' "$log" | head -n 60 | sed 's/^/   | /'
        failed+=("$target")
    fi
done

echo "== fuzzing took $(($(date +%s) - started)) s"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz targets that found a crash: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
