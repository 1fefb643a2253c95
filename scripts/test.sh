#!/usr/bin/env bash
# Runs every check and test of the project: formatting, lints, and the whole test suite.
# Installs what the tests need (the HTML report test uses Debian's chromium when present; the
# snapshot.sh test, an AWS API server and the aws CLI from PyPI).
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

# The AWS API test server (moto) and the real aws CLI for the snapshot.sh test
# (crates/emrguard-load/tests/snapshot_moto.rs): installed and started in the background while
# formatting and lints run. EMRGUARD_SKIP_MOTO=1 leaves them out (the test then skips, or
# fails under CI=true).
MOTO_JOB=""
MOTO_LOG=target/moto-start.log
stop_moto() {
    if [[ -n "$MOTO_JOB" ]]; then
        kill "$MOTO_JOB" 2>/dev/null || true
        wait "$MOTO_JOB" 2>/dev/null || true
    fi
    scripts/moto-env.sh stop 2>/dev/null || true
}
if [[ "${EMRGUARD_SKIP_MOTO:-}" != "1" ]]; then
    mkdir -p target
    moto_args=()
    [[ "${EMRGUARD_SKIP_INSTALL:-}" == "1" ]] && moto_args+=(--no-install)
    echo "== starting the AWS API test server (moto) in the background; log: $MOTO_LOG"
    scripts/moto-env.sh start "${moto_args[@]}" >"$MOTO_LOG" 2>&1 &
    MOTO_JOB=$!
    trap stop_moto EXIT
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
if [[ -n "$MOTO_JOB" ]]; then
    if wait "$MOTO_JOB"; then
        # shellcheck disable=SC1091
        source target/moto/env
        echo "== AWS API test server at $EMRGUARD_MOTO_ENDPOINT"
    else
        echo "warning: the AWS API test server did not start; the snapshot_moto test will say so:"
        sed 's/^/    /' "$MOTO_LOG"
    fi
    MOTO_JOB=""
fi
echo "== cargo test"
cargo test --workspace --no-fail-fast

# The benchmark script (scripts/bench.sh) on the S snapshot, one round, with the debug binaries
# the tests just built: the script runs end to end and the audit finds every planted violation.
echo "== benchmark script, S, one round"
TARGET=${CARGO_TARGET_DIR:-target}
SMOKE_DIR=$TARGET/bench-smoke
rm -rf "$SMOKE_DIR"
BIN_DIR=$TARGET/debug RUNS=1 BENCH_DIR=$SMOKE_DIR scripts/bench.sh s
# The S row's "planted found" cell is N/N.
grep -qE '^\| s \|.*\| ([0-9]+)/\1 \| [0-9]+ \|$' "$SMOKE_DIR/results.md" \
    || { echo "bench.sh: the S audit missed planted violations (see $SMOKE_DIR/results.md)"; exit 1; }
