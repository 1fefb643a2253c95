#!/usr/bin/env bash
# Load benchmark of `emrguard webhook serve`: real AdmissionReviews over TLS on 127.0.0.1.
#
#   full load    wrk (Debian package; C, light, so the two cores go to the server),
#                BENCH_THREADS threads, BENCH_CONNECTIONS keep-alive connections, as fast as the
#                server answers;
#   fixed rate   oha (crates.io; it can hold a request rate), BENCH_RATE reviews/s over
#                BENCH_RATE_CONNECTIONS connections (about what an API server keeps open at that
#                rate: ~0.5 ms per review means 2 to 3 in flight), with latency correction (no
#                coordinated omission).
#
# Both are installed when missing (apt-get install wrk, cargo install oha --locked).
#
# Usage: scripts/bench-webhook.sh [DURATION]      (default 15s per row)
# Env:   BENCH_PORT (18443), BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_RATE (5000),
#        BENCH_RATE_CONNECTIONS (4), BENCH_WORKERS (the server's --workers; default one per
#        core), BENCH_LATENCY_CORRECTION (1; 0 measures from the actual send, as wrk does),
#        BENCH_BIN (an emrguard binary to use instead of building one)
#
# Prints a table and checks the targets: at least 20,000 reviews/s at full load, p99 at most
# 2 ms at BENCH_RATE reviews/s, no errors. Exit 1 if a target is missed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:-15s}
port=${BENCH_PORT:-18443}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
rate=${BENCH_RATE:-5000}
rate_connections=${BENCH_RATE_CONNECTIONS:-4}
correction=(--latency-correction)
[ "${BENCH_LATENCY_CORRECTION:-1}" = 0 ] && correction=()
workers=()
[ -n "${BENCH_WORKERS:-}" ] && workers=(--workers "$BENCH_WORKERS")
target_dir=${CARGO_TARGET_DIR:-$root/target}
fixtures=$root/crates/emrguard-webhook/tests/fixtures/admission

if ! command -v wrk >/dev/null 2>&1; then
    echo "bench: installing wrk (apt-get install wrk)" >&2
    sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo
    $sudo_ apt-get install -y wrk >&2 || { $sudo_ apt-get update >&2 && $sudo_ apt-get install -y wrk >&2; }
fi
if ! command -v oha >/dev/null 2>&1; then
    echo "bench: installing oha (cargo install oha --locked; a few minutes, once)" >&2
    cargo install oha --locked >&2
fi
command -v python3 >/dev/null 2>&1 || { echo "bench: python3 is needed to read the results" >&2; exit 2; }

if [ -n "${BENCH_BIN:-}" ]; then
    bin=$BENCH_BIN
else
    echo "bench: building the release binary" >&2
    cargo build --release -p emrguard --manifest-path "$root/Cargo.toml" >&2
    bin=$target_dir/release/emrguard
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$bin" webhook certs --out-dir "$work/certs" --dns-name localhost 2>/dev/null
# The decision log goes to a file, as it would to a node's log pipeline.
"$bin" webhook serve --listen "127.0.0.1:$port" \
    --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" \
    --emr-namespace emr "${workers[@]}" >"$work/decisions.log" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

# wrk posts the review and reports what the table needs as one JSON line.
cat >"$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%f,"p50":%f,"p99":%f,"max":%f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA

# Which decision-log lines belong to a row: the log is flushed every 20 ms.
mark() { sleep 0.2; wc -l <"$work/decisions.log" >"$work/$1.lines"; }

full_load() { # name, fixture
    BENCH_BODY=$fixtures/$2 wrk -t"$threads" -c"$connections" -d"$duration" -s "$work/post.lua" \
        "https://localhost:$port/validate" | tail -n 1 >"$work/$1.json"
    mark "$1"
    echo "$1"
}

fixed_rate() { # name, fixture (or "healthz": GET /healthz, the floor without review work)
    local request=(-m POST -T application/json -D "$fixtures/$2" "https://localhost:$port/validate")
    [ "$2" = healthz ] && request=("https://localhost:$port/healthz")
    oha --no-tui --output-format json -z "$duration" -c "$rate_connections" -q "$rate" \
        "${correction[@]}" --wait-ongoing-requests-after-deadline \
        --cacert "$work/certs/ca.crt" "${request[@]}" >"$work/$1.oha.json"
    mark "$1"
    echo "$1"
}

# Warm up connections, caches and the CPU frequency.
BENCH_BODY=$fixtures/allow/pod-executor-by-driver.json wrk -t"$threads" -c"$connections" -d2s \
    -s "$work/post.lua" "https://localhost:$port/validate" >/dev/null
mark warm-up

rows=(
    "$(full_load full-load-allowed-pod allow/pod-executor-by-driver.json)"
    "$(full_load full-load-denied-pod deny/WH003-pod-driver-sa-by-tenant.json)"
    "$(fixed_rate "rate-$rate-allowed-pod" allow/pod-executor-by-driver.json)"
    "$(fixed_rate "rate-$rate-denied-pod" deny/WH003-pod-driver-sa-by-tenant.json)"
    "$(fixed_rate "rate-$rate-healthz" healthz)"
)

decisions=$(grep -c '"admission decision"' "$work/decisions.log" || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo
echo "emrguard webhook serve over TLS on 127.0.0.1; $(nproc) cores ($cpu) shared with the load generator"
echo "keep-alive connections: $connections at full load, $rate_connections at a fixed rate; $duration per row; decision log written to a file ($decisions lines)"
echo "client: latency seen by the load generator (fixed rate: ${correction[*]:-without latency correction}); server: review handling time from the decision log"
echo "server workers: ${BENCH_WORKERS:-one per core}; the healthz row (no review work) is the floor of the load generator, TLS and HTTP at that rate, not a target"
python3 - "$work" "$rate" "${rows[@]}" <<'EOF'
import json, os, sys
work, rate, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
log = open(f"{work}/decisions.log").read().splitlines()
def server_p99(name, previous):
    start = int(open(f"{work}/{previous}.lines").read())
    end = int(open(f"{work}/{name}.lines").read())
    lat = sorted(json.loads(l)["latency_us"] for l in log[start:end] if '"admission decision"' in l)
    return lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1e3 if lat else float("nan")
print()
print(f"| {'scenario':<24} | {'tool':<4} | {'requests':>9} | {'reviews/s':>9} | {'client p50 ms':>13} | {'client p99 ms':>13} | {'client max ms':>13} | {'server p99 ms':>13} | {'errors':>6} |")
print(f"|{'-'*26}|{'-'*6}|{'-'*11}|{'-'*11}|{'-'*15}|{'-'*15}|{'-'*15}|{'-'*15}|{'-'*8}|")
ok = True
previous = "warm-up"
for name in names:
    if os.path.exists(f"{work}/{name}.json"):
        r = json.load(open(f"{work}/{name}.json"))
        tool, total, rps = "wrk", r["requests"], r["requests"] / r["seconds"]
        p50, p99, mx, errors = r["p50"], r["p99"], r["max"], r["errors"]
    else:
        r = json.load(open(f"{work}/{name}.oha.json"))
        s, p = r["summary"], r["latencyPercentiles"]
        codes = r.get("statusCodeDistribution", {})
        tool, total, rps = "oha", sum(codes.values()), s["requestsPerSec"]
        p50, p99, mx = p["p50"] * 1e3, p["p99"] * 1e3, s["slowest"] * 1e3
        errors = sum(r.get("errorDistribution", {}).values()) + sum(v for k, v in codes.items() if k != "200")
    handled_p99 = server_p99(name, previous)
    previous = name
    print(f"| {name:<24} | {tool:<4} | {total:>9} | {rps:>9.0f} | {p50:>13.3f} | {p99:>13.3f} | {mx:>13.3f} | {handled_p99:>13.3f} | {errors:>6} |")
    if errors:
        ok = False
    if name.startswith("full-load") and rps < 20000:
        ok = False
    if name.endswith("-pod") and name.startswith("rate-") and (p99 > 2.0 or rps < rate * 0.95):
        ok = False
print()
print(f"targets (>= 20,000 reviews/s at full load; client p99 <= 2 ms at {rate} reviews/s; no errors):", "met" if ok else "MISSED")
sys.exit(0 if ok else 1)
EOF
