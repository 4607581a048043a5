#!/usr/bin/env bash
# The GitHub Action's install step: puts web3audit into DIR/bin and exports WEB3AUDIT
# (through $GITHUB_ENV) for the scan step.
#
#   bash tools/action/setup.sh ACTION_PATH DIR
#
# VERSION: `source` builds ACTION_PATH with cargo; a version installs that release; empty
# installs the release of ACTION_PATH's own version. RELEASE_URL: where the releases are;
# empty: https://github.com/OWNER/REPO/releases/download, OWNER/REPO read from
# ACTION_PATH (the runner checks actions out at .../_actions/OWNER/REPO/REF; the
# `github.action_repository` context is not reliable in composite actions).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 ACTION_PATH DIR" >&2; exit 2; }
action="$1" dir="$2"
version="${VERSION:-}"

if [ "$version" = source ]; then
    cargo install --locked --path "$action/crates/cli" --no-default-features --root "$dir"
    bin="$dir/bin/web3audit"
else
    [ -n "$version" ] || version="$(bash "$action/tools/release/version.sh")"
    base="${RELEASE_URL:-}"
    if [ -z "$base" ]; then
        case "$action" in
            */_actions/*/*/*)
                rest="${action#*/_actions/}"
                owner="${rest%%/*}"; rest="${rest#*/}"; repo="${rest%%/*}"
                base="https://github.com/$owner/$repo/releases/download"
                ;;
            *)
                echo "cannot tell which repository this action comes from ($action): set release-url, or version: source" >&2
                exit 2
                ;;
        esac
    fi
    bin="$(WEB3AUDIT_RELEASE_BASE="$base" bash "$action/tools/action/install.sh" "$version" "$dir")"
fi
"$bin" --version
if [ -n "${GITHUB_ENV:-}" ]; then
    echo "WEB3AUDIT=$bin" >> "$GITHUB_ENV"
fi
