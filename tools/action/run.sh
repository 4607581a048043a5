#!/usr/bin/env bash
# The step of the GitHub Action (`action.yml` at the repository root), usable in any CI:
# runs `web3audit scan` with the action's inputs, writes a SARIF log for code scanning,
# appends a Markdown table of the new findings to $GITHUB_STEP_SUMMARY (when set), and
# exits as `--fail-on` says (0: nothing at or above it, 1: something, 2: usage or IO
# error).
#
# Inputs, as GitHub passes them to a composite action's script: INPUT_PATH (default `.`),
# INPUT_FAIL_ON (a severity; empty: never fail on findings), INPUT_CONFIG (a
# web3audit.toml), INPUT_BASELINE (a baseline file: only findings not in it count and are
# listed), INPUT_SARIF_FILE (default web3audit.sarif). WEB3AUDIT names the binary (default:
# `web3audit` on PATH).
set -uo pipefail

bin="${WEB3AUDIT:-web3audit}"
path="${INPUT_PATH:-.}"
sarif="${INPUT_SARIF_FILE:-web3audit.sarif}"
here="$(cd "$(dirname "$0")" && pwd)"

args=()
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
gate=()
[ -n "${INPUT_FAIL_ON:-}" ] && gate+=(--fail-on "$INPUT_FAIL_ON")

"$bin" scan "$path" "${args[@]}" --format sarif --output "$sarif"
status=$?
if [ "$status" -ge 2 ]; then
    echo "web3audit: the scan failed (exit code $status)" >&2
    exit "$status"
fi

json="$(mktemp)"
trap 'rm -f "$json"' EXIT
"$bin" scan "$path" "${args[@]}" "${gate[@]}" --format json --output "$json"
status=$?
if [ "$status" -ge 2 ]; then
    echo "web3audit: the scan failed (exit code $status)" >&2
    exit "$status"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    python3 "$here/summary.py" "$json" "${INPUT_FAIL_ON:-}" >> "$GITHUB_STEP_SUMMARY" || exit 2
fi
echo "web3audit: SARIF written to $sarif"
exit "$status"
