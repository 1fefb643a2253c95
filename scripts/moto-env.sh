#!/usr/bin/env bash
# An AWS API server for tests: moto in server mode on a free loopback port, with the real aws
# CLI beside it, seeded with an EMR on EKS account (scripts/moto-seed.py).
#
#   scripts/moto-env.sh start [--no-install]   venv (made or reused), server, seed; prints the env
#   scripts/moto-env.sh stop                   stops the server started by `start`
#
# Everything lives in target/moto/ (EMRGUARD_MOTO_DIR to change): venv/, server.log,
# server.pid, seeded.json (what was created) and env, which `start` also prints:
#   export EMRGUARD_MOTO_ENDPOINT=http://127.0.0.1:PORT   the server, for AWS_ENDPOINT_URL
#   export EMRGUARD_MOTO_BIN=.../venv/bin                 aws, python (with boto3), moto_server
# Then, for example (kubectl must reach some cluster; the test uses a stand-in):
#   eval "$(scripts/moto-env.sh start)"
#   AWS_ENDPOINT_URL=$EMRGUARD_MOTO_ENDPOINT AWS_ACCESS_KEY_ID=testing \
#   AWS_SECRET_ACCESS_KEY=testing PATH=$EMRGUARD_MOTO_BIN:$PATH \
#   scripts/snapshot.sh --cluster analytics --region us-west-2 --context CONTEXT --out snap/
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${EMRGUARD_MOTO_DIR:-$PWD/target/moto}
VENV=$DIR/venv
REQUIREMENTS=scripts/moto-requirements.txt
PIDFILE=$DIR/server.pid
LOG=$DIR/server.log

say() { echo "moto-env.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

running_pid() {
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    # The recorded process, if it is still this server (a pid can be reused).
    [[ "$pid" =~ ^[0-9]+$ ]] && grep -qa moto_server "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

# The venv is reused while the requirements and the interpreter are the same.
ensure_venv() {
    local no_install=$1 stamp
    stamp="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version)')"
    if [[ -x "$VENV/bin/python" && "$(cat "$VENV/.stamp" 2>/dev/null)" == "$stamp" ]]; then
        return 0
    fi
    [[ "$no_install" == 0 ]] || die "no venv in $VENV and --no-install given"
    say "installing moto and the aws CLI into $VENV"
    rm -rf "$VENV"
    # Without pip inside: the outer pip installs into it, so Debian's python3 without
    # ensurepip (python3-venv) works too.
    python3 -m venv --without-pip "$VENV"
    python3 -m pip --python "$VENV/bin/python" install --quiet --no-deps --no-compile \
        --disable-pip-version-check -r "$REQUIREMENTS"
    # Bytecode once, here: every aws CLI call would otherwise recompile botocore (or, with
    # PYTHONDONTWRITEBYTECODE set, never cache it), about a second per call.
    "$VENV/bin/python" -m compileall -q -j 0 "$VENV/lib" >/dev/null
    echo "$stamp" >"$VENV/.stamp"
}

start() {
    local no_install=0
    [[ "${1:-}" == "--no-install" ]] && no_install=1
    mkdir -p "$DIR"
    ensure_venv "$no_install"

    local pid port=""
    if pid=$(running_pid); then
        port=$(sed -n 's|.*Running on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$LOG" | head -n 1)
        say "reusing the server (pid $pid, port $port)"
    else
        : >"$LOG"
        # Port 0: the kernel picks a free port and the server prints it. AWS managed policies
        # (AdministratorAccess, ...) exist only when moto is told to load them.
        MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p 0 \
            >>"$LOG" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$PIDFILE"
        for _ in $(seq 1 300); do
            port=$(sed -n 's|.*Running on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$LOG" | head -n 1)
            [[ -n "$port" ]] && break
            kill -0 "$pid" 2>/dev/null || die "the server exited: $(tail -n 20 "$LOG")"
            sleep 0.2
        done
        [[ -n "$port" ]] || die "the server did not start in 60 s: $(tail -n 20 "$LOG")"
        say "server on 127.0.0.1:$port (pid $pid)"
    fi
    local endpoint=http://127.0.0.1:$port
    "$VENV/bin/python" scripts/moto-seed.py --endpoint "$endpoint" --reset \
        --manifest "$DIR/seeded.json"
    printf 'export EMRGUARD_MOTO_ENDPOINT=%q\nexport EMRGUARD_MOTO_BIN=%q\n' "$endpoint" "$VENV/bin" \
        >"$DIR/env"
    cat "$DIR/env"
}

stop() {
    local pid
    if pid=$(running_pid); then
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        say "stopped the server (pid $pid)"
    fi
    rm -f "$PIDFILE" "$DIR/env"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) stop ;;
    *) echo "usage: scripts/moto-env.sh start [--no-install] | stop" >&2; exit 2 ;;
esac
