#!/usr/bin/env bash
# Runs every check and test of the project: formatting, lints, and the whole test suite.
# Installs what the tests need (the HTML report test uses Debian's chromium when present).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${EMRGUARD_SKIP_INSTALL:-}" != "1" ]]; then
    if ! command -v chromium >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == "0" ]]; then
            echo "== installing chromium for the HTML report test"
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
                || echo "warning: chromium could not be installed; the HTML render test will report it"
        fi
    fi
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace --no-fail-fast
