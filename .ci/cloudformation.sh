#!/usr/bin/env bash
# Lints every CloudFormation template in cloudformation/ with cfn-lint (installed by .ci/run, or
# `pip install cfn-lint`). Errors and warnings fail the build; informational findings are shown.
# tests/e2e/deploy/ (run by `cargo test`) checks the template against the settings the
# binaries read.
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
templates=(cloudformation/*.yaml cloudformation/*.yml cloudformation/*.json)
if ((${#templates[@]} == 0)); then
  echo "no CloudFormation template in cloudformation/" >&2
  exit 1
fi
command -v cfn-lint >/dev/null || { echo "cfn-lint is not installed: pip install cfn-lint" >&2; exit 1; }

cfn-lint --version
cfn-lint --include-checks I --non-zero-exit-code warning -- "${templates[@]}"
echo "cfn-lint: ${templates[*]}: no errors or warnings"
