#!/usr/bin/env bash
# End-to-end benchmark of `emrguard audit` on synthetic snapshots (emrguard synth).
#
# For each size: generates the snapshot once (seed 1) under target/bench/<size>, then measures
# wall time, peak RSS and CPU time of each run (python3's perf_counter and wait4), median of
# RUNS runs taken in rounds over all sizes:
#   - the audit:       emrguard audit DIR --format json --output REPORT
#   - the parse floor: emrguard-parse-floor DIR (reads and deserialises every file, nothing else)
#   - a reference:     emrguard-parse-floor --documents DIR (the same, into generic JSON/YAML
#                      values: what a tool that loads whole documents does at least)
#   - the typed floor: emrguard-parse-floor --typed DIR (the loader's own reading into the
#                      model's types, each file's objects dropped: loading before keeping)
# and checks that the audit found every planted violation (expected-findings.json).
# Prints a Markdown table (also written to target/bench/results.md): medians, and in parentheses
# the fastest run (other load on the machine only ever slows a run down).
#
# Usage: scripts/bench.sh [SIZES...]        e.g. scripts/bench.sh s m l xl   (default: s m l xl)
# Env:   RUNS=3  SEED=1  BENCH_DIR=target/bench  REGENERATE=1 (regenerate existing snapshots)
#        BIN_DIR=DIR (use binaries built elsewhere instead of building them)
#        INSTRUCTIONS="s m" (also count the instructions of the audit and of the floor at these
#        sizes with valgrind's callgrind: the same count on every run of the same binary and
#        inputs, however loaded the machine; about 50 times slower than a run)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-3}
SEED=${SEED:-1}
BENCH_DIR=${BENCH_DIR:-$ROOT/target/bench}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(s m l xl)


# BIN_DIR: use already-built binaries (emrguard, emrguard-parse-floor, emrguard-check-findings).
if [ -n "${BIN_DIR:-}" ]; then
    BIN=$BIN_DIR
else
    cargo build --release -q -p emrguard -p emrguard-synth
    BIN=$ROOT/target/release
fi
mkdir -p "$BENCH_DIR"

# measure CMD...: runs CMD, prints "wall_seconds peak_kb cpu_seconds"; stdout of CMD
# discarded. The wall time is taken around the child alone, at microsecond resolution (GNU
# time prints hundredths, coarse for the S floor's ten milliseconds); peak RSS and CPU time
# (user + system, less sensitive to other load on the machine) are the child's own, from
# wait4. Linux carries the starting process's high-water mark across exec, so a peak below
# python's own (about 14 MB) reads as python's; every audit's peak is above it.
MEASURE=$(mktemp)
trap 'rm -f "$MEASURE"' EXIT
cat > "$MEASURE" <<'PY'
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, _, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
print(f"{wall:.4f} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime:.3f}")
PY
measure() {
    python3 "$MEASURE" "$@"
}

# instructions CMD...: user-space instructions executed by CMD (all threads), from callgrind.
instructions() {
    # The audit exits with 1 when it has findings: the count is read either way.
    { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null || true; } \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# median of field $1 of RUNS lines on stdin.
median() {
    sort -n -k"$1" | awk -v k="$1" '{ a[NR] = $k } END { print a[int((NR + 1) / 2)] }'
}

# smallest value of field $1 of RUNS lines on stdin: on a shared machine, other load only
# ever slows a run down, so the fastest run is the least disturbed one.
fastest() {
    sort -n -k"$1" | awk -v k="$1" 'NR == 1 { print $k }'
}

{
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM; $(rustc --version); $(date -u +%Y-%m-%d)."
echo "Median of $RUNS runs (fastest run in parentheses); wall time around the process, peak RSS and CPU time from wait4; seed $SEED."
echo
echo "| size | files | MB | pods | RBAC objects | IAM roles | generate s | parse floor s | typed floor s | typed / floor | document floor s | audit s | audit CPU s | audit / floor | audit / typed floor | audit / document floor | audit peak RSS MB | growth vs previous (time / n log n) | planted found | other findings |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$BENCH_DIR/results.md"

# Snapshots first, then the runs in rounds over every size (floor, documents reference and
# audit of each size in turn): this machine's speed drifts over minutes, and rounds make every
# size see the same drift, so the growth from one size to the next compares like with like.
declare -A gen_s files mb pods rbac roles floor_runs typed_runs documents_runs audit_runs
for size in "${SIZES[@]}"; do
    dir=$BENCH_DIR/$size
    gen_s[$size]="-"
    if [ -n "${REGENERATE:-}" ] || [ ! -f "$dir/expected-findings.json" ]; then
        rm -rf "$dir"
        read -r "gen_s[$size]" _ < <(measure "$BIN/emrguard" synth --size "$size" --seed "$SEED" --out "$dir")
    fi
    files[$size]=$(find "$dir" -type f | wc -l)
    mb[$size]=$(du -sm --apparent-size "$dir" | cut -f1)
    pods[$size]=$(cat "$dir"/k8s/pods/*.json | grep -c '"kind": "Pod"' || true)
    # List items sit at the third indentation level (roleRef kinds are deeper).
    rbac[$size]=$(grep -cE '^            "kind": "(Cluster)?Role(Binding)?"' "$dir"/k8s/roles-rolebindings.json "$dir"/k8s/clusterroles-clusterrolebindings.json | awk -F: '{s += $2} END {print s}')
    roles[$size]=$(cat "$dir"/aws/iam/get-account-authorization-details.page-*.json | grep -c '"RoleName"' || true)
done
for _ in $(seq "$RUNS"); do
    for size in "${SIZES[@]}"; do
        dir=$BENCH_DIR/$size
        floor_runs[$size]+="$(measure "$BIN/emrguard-parse-floor" "$dir")"$'\n'
        typed_runs[$size]+="$(measure "$BIN/emrguard-parse-floor" --typed "$dir")"$'\n'
        documents_runs[$size]+="$(measure "$BIN/emrguard-parse-floor" --documents "$dir")"$'\n'
        audit_runs[$size]+="$(measure "$BIN/emrguard" audit "$dir" --format json --output "$BENCH_DIR/$size-report.json")"$'\n'
    done
done

prev_mb=""
prev_s=""
prev_min=""
for size in "${SIZES[@]}"; do
    dir=$BENCH_DIR/$size
    floor_s=$(printf '%s' "${floor_runs[$size]}" | median 1)
    audit_s=$(printf '%s' "${audit_runs[$size]}" | median 1)
    floor_min=$(printf '%s' "${floor_runs[$size]}" | fastest 1)
    typed_s=$(printf '%s' "${typed_runs[$size]}" | median 1)
    typed_min=$(printf '%s' "${typed_runs[$size]}" | fastest 1)
    documents_s=$(printf '%s' "${documents_runs[$size]}" | median 1)
    documents_min=$(printf '%s' "${documents_runs[$size]}" | fastest 1)
    audit_min=$(printf '%s' "${audit_runs[$size]}" | fastest 1)
    audit_kb=$(printf '%s' "${audit_runs[$size]}" | median 2)
    audit_cpu=$(printf '%s' "${audit_runs[$size]}" | median 3)
    check=$("$BIN/emrguard-check-findings" "$dir/expected-findings.json" "$BENCH_DIR/$size-report.json" || true)
    found=$(printf '%s\n' "$check" | sed -n 's/^found \([0-9]*\/[0-9]*\).*/\1/p')
    other=$(printf '%s\n' "$check" | sed -n 's/.*planted; \([0-9]*\) other.*/\1/p')
    printf '%s\n' "$check" | grep '^missing' >&2 || true
    ratio=$(awk -v a="$audit_s" -v f="$floor_s" 'BEGIN { if (f > 0) printf "%.2f", a / f; else print "-" }')
    ratio_min=$(awk -v a="$audit_min" -v f="$floor_min" 'BEGIN { if (f > 0) printf "%.2f", a / f; else print "-" }')
    typed_ratio=$(awk -v a="$typed_s" -v f="$floor_s" 'BEGIN { if (f > 0) printf "%.2f", a / f; else print "-" }')
    audit_typed_ratio=$(awk -v a="$audit_s" -v f="$typed_s" 'BEGIN { if (f > 0) printf "%.2f", a / f; else print "-" }')
    documents_ratio=$(awk -v a="$audit_s" -v f="$documents_s" 'BEGIN { if (f > 0) printf "%.2f", a / f; else print "-" }')
    documents_ratio_min=$(awk -v a="$audit_min" -v f="$documents_min" 'BEGIN { if (f > 0) printf "%.2f", a / f; else print "-" }')
    growth="-"
    if [ -n "$prev_mb" ]; then
        # Measured time ratio (medians, then fastest runs) against what n log n growth
        # (n = snapshot bytes) would allow.
        growth=$(awk -v t1="$prev_s" -v t2="$audit_s" -v m1="$prev_min" -v m2="$audit_min" -v n1="$prev_mb" -v n2="${mb[$size]}" \
            'BEGIN { printf "%.2fx (%.2fx) for %.2fx data (n log n: %.2fx)", t2 / t1, m2 / m1, n2 / n1, (n2 * log(n2 * 1e6)) / (n1 * log(n1 * 1e6)) }')
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s (%s) | %s | %s (%s) | %s (%s) | %s | %s (%s) | %s | %s (%s) | %s | %s | %s | %s |\n' \
        "$size" "${files[$size]}" "${mb[$size]}" "${pods[$size]}" "${rbac[$size]}" "${roles[$size]}" "${gen_s[$size]}" "$floor_s" "$floor_min" "$typed_s" "$typed_min" "$typed_ratio" "$documents_s" "$documents_min" "$audit_s" "$audit_min" "$audit_cpu" \
        "$ratio" "$ratio_min" "$audit_typed_ratio" "$documents_ratio" "$documents_ratio_min" \
        "$((audit_kb / 1024))" "$growth" "$found" "$other" | tee -a "$BENCH_DIR/results.md"
    prev_mb=${mb[$size]}
    prev_s=$audit_s
    prev_min=$audit_min
done

if [ -n "${INSTRUCTIONS:-}" ]; then
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "INSTRUCTIONS needs valgrind (Debian package 'valgrind')" >&2
        exit 2
    fi
    {
    echo
    echo "Instructions executed (callgrind, every thread; independent of the machine's load):"
    echo
    echo "| size | parse floor instructions | typed floor instructions | document floor instructions | audit instructions | audit / floor | typed / floor | audit / document floor |"
    echo "|---|---|---|---|---|---|---|---|"
    } | tee -a "$BENCH_DIR/results.md"
    for size in $INSTRUCTIONS; do
        dir=$BENCH_DIR/$size
        floor_i=$(instructions "$BIN/emrguard-parse-floor" "$dir")
        typed_i=$(instructions "$BIN/emrguard-parse-floor" --typed "$dir")
        documents_i=$(instructions "$BIN/emrguard-parse-floor" --documents "$dir")
        audit_i=$(instructions "$BIN/emrguard" audit "$dir" --format json --output "$BENCH_DIR/$size-report.json")
        awk -v s="$size" -v f="$floor_i" -v t="$typed_i" -v d="$documents_i" -v a="$audit_i" \
            'BEGIN { printf "| %s | %.3f G | %.3f G | %.3f G | %.3f G | %.2f | %.2f | %.2f |\n", s, f / 1e9, t / 1e9, d / 1e9, a / 1e9, (f > 0 ? a / f : 0), (f > 0 ? t / f : 0), (d > 0 ? a / d : 0) }' \
            | tee -a "$BENCH_DIR/results.md"
    done
fi
