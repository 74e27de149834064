#!/usr/bin/env bash
# Builds both deployable zips with cargo-lambda and checks each holds a `bootstrap` executable.
# CI builds for the host architecture (x86_64): this workplace cannot download the aarch64 standard
# library; `cargo lambda build --release --arm64 --output-format zip -p incoming -p triage` is the
# same command for arm64.
# Both functions come from one `cargo build --release --target <host> -p incoming -p triage`
# (cargo-lambda adds `-C target-cpu` to RUSTFLAGS for this release build), so every crate is
# compiled once for them; as in any build with `--target`, build scripts and proc macros compile
# for the host apart from the functions' code. `-p`, not `--bin`: with `--bin` cargo still selects
# every workspace member and unifies their features, so the functions would carry the CLI's AWS
# SSO credential providers, the fakes' HTTP server and tokio's signal driver.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo lambda build --release --output-format zip -p incoming -p triage
for function in incoming triage; do
  zip="target/lambda/$function/bootstrap.zip"
  test -s "$zip" || { echo "missing $zip" >&2; exit 1; }
  python3 - "$zip" <<'PY'
import sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    info = {i.filename: i for i in z.infolist()}
    assert "bootstrap" in info, f"{path} has no bootstrap: {sorted(info)}"
    mode = info["bootstrap"].external_attr >> 16
    assert mode & 0o111, f"{path}: bootstrap is not executable ({oct(mode)})"
    print(f"{path}: bootstrap, {info['bootstrap'].file_size} bytes unpacked, {sum(i.compress_size for i in z.infolist())} bytes zipped")
PY
done
