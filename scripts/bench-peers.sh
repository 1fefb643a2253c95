#!/usr/bin/env bash
# Side by side on the same generated M snapshot, in one run: checkov (PyPI) over its
# Kubernetes files, cloudsplaining (PyPI) over its IAM authorization details, and emrguard
# over the whole snapshot. Prints wall times, the ratio to emrguard, and how many of the
# planted violations (expected-findings.json) each tool reports.
#
# A planted violation counts as found by a peer when the peer flags the object it is about:
#   checkov        a failed check on the Pod / ConfigMap / Namespace / ServiceAccount /
#                  DaemonSet named by the violation, or, for RBAC violations, on a Role or
#                  ClusterRole bound to the subject the violation names;
#   cloudsplaining the risk that is the violation, on the IAM role or user it names:
#                  any risk for EXR001 (admin), privilege escalation for EXR002, EXR005 and
#                  EXR007, data exfiltration for EXR003, data exfiltration, resource exposure,
#                  infrastructure modification or service wildcard for NODE003.
# Violations about objects a peer does not read (EMR job runs, endpoints, node groups,
# trust policies, CloudTrail) cannot be found by it.
#
# Usage: scripts/bench-peers.sh
# Env:   SEED=1  BENCH_DIR=target/bench  BIN_DIR=DIR (prebuilt binaries)
#        PEER_TIMEOUT=1800 (seconds a peer may run before it is reported as not finished)
#        PEERS="checkov cloudsplaining" (the peers to run)
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SEED=${SEED:-1}
BENCH_DIR=${BENCH_DIR:-$ROOT/target/bench}
VENV=$ROOT/target/peers-venv
PEER_TIMEOUT=${PEER_TIMEOUT:-1800}
PEERS=${PEERS:-checkov cloudsplaining}
SNAP=$BENCH_DIR/m
WORK=$BENCH_DIR/peers
mkdir -p "$WORK"

if [ -n "${BIN_DIR:-}" ]; then
    BIN=$BIN_DIR
else
    cargo build --release -q -p emrguard -p emrguard-synth || exit 2
    BIN=$ROOT/target/release
fi
if [ ! -f "$SNAP/expected-findings.json" ]; then
    rm -rf "$SNAP"
    "$BIN/emrguard" synth --size m --seed "$SEED" --out "$SNAP" || exit 2
fi

# Installing the peers belongs here, not to the tests.
checkov_status=ok
cloudsplaining_status=ok
case " $PEERS " in *" checkov "*) ;; *) checkov_status="not run (PEERS)" ;; esac
case " $PEERS " in *" cloudsplaining "*) ;; *) cloudsplaining_status="not run (PEERS)" ;; esac
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || { checkov_status="venv failed"; cloudsplaining_status="venv failed"; }
fi
if [ -x "$VENV/bin/pip" ]; then
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1
    [ "$checkov_status" != ok ] || [ -x "$VENV/bin/checkov" ] || "$VENV/bin/pip" install -q checkov >"$WORK/pip-checkov.log" 2>&1 \
        || checkov_status="install failed (see $WORK/pip-checkov.log)"
    [ "$cloudsplaining_status" != ok ] || [ -x "$VENV/bin/cloudsplaining" ] || "$VENV/bin/pip" install -q cloudsplaining >"$WORK/pip-cloudsplaining.log" 2>&1 \
        || cloudsplaining_status="install failed (see $WORK/pip-cloudsplaining.log)"
fi

now() { date +%s.%N; }

# emrguard over the whole snapshot.
t0=$(now)
"$BIN/emrguard" audit "$SNAP" --format json --output "$WORK/emrguard.json" 2>/dev/null
t1=$(now)
emrguard_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

# checkov over the Kubernetes files (kubectl lists, as printed).
checkov_s=-
if [ "$checkov_status" = ok ]; then
    t0=$(now)
    # --skip-download: no network beyond the package registries here.
    timeout "$PEER_TIMEOUT" "$VENV/bin/checkov" -d "$SNAP/k8s" --framework kubernetes \
        --skip-download --quiet --compact -o json >"$WORK/checkov.json" 2>"$WORK/checkov.err"
    rc=$?
    t1=$(now)
    checkov_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    # Exit 1 means "failed checks found"; 124 is the timeout; anything else is a failure.
    if [ $rc -eq 124 ]; then
        checkov_status="did not finish in ${PEER_TIMEOUT} s"
    elif [ $rc -gt 1 ]; then
        checkov_status="run failed (exit $rc, see $WORK/checkov.err)"
    fi
fi

# cloudsplaining over the authorization details: the pages joined into one document, as
# `aws iam get-account-authorization-details` prints it without --max-items.
cloudsplaining_s=-
if [ "$cloudsplaining_status" = ok ]; then
    python3 - "$SNAP" "$WORK/authorization-details.json" <<'PY'
import glob, json, sys
snap, out = sys.argv[1], sys.argv[2]
merged = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
for page in sorted(glob.glob(f"{snap}/aws/iam/get-account-authorization-details.page-*.json"),
                   key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0])):
    doc = json.load(open(page))
    for k in merged:
        merged[k].extend(doc.get(k, []))
json.dump(merged, open(out, "w"))
PY
    rm -rf "$WORK/cloudsplaining"
    mkdir -p "$WORK/cloudsplaining"
    t0=$(now)
    timeout "$PEER_TIMEOUT" "$VENV/bin/cloudsplaining" scan \
        --input-file "$WORK/authorization-details.json" \
        --output "$WORK/cloudsplaining" --skip-open-report >"$WORK/cloudsplaining.log" 2>&1
    rc=$?
    t1=$(now)
    cloudsplaining_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    if [ $rc -eq 124 ]; then
        cloudsplaining_status="did not finish in ${PEER_TIMEOUT} s"
    elif [ $rc -ne 0 ]; then
        cloudsplaining_status="run failed (exit $rc, see $WORK/cloudsplaining.log)"
    fi
fi

python3 - "$SNAP" "$WORK" "$emrguard_s" "$checkov_s" "$checkov_status" "$cloudsplaining_s" "$cloudsplaining_status" "$BIN" <<'PY'
import glob, json, os, subprocess, sys
snap, work, eg_s, ck_s, ck_status, cs_s, cs_status, bindir = sys.argv[1:9]
expected = json.load(open(f"{snap}/expected-findings.json"))
n = len(expected)

# emrguard: the same matching as the acceptance tests.
out = subprocess.run([f"{bindir}/emrguard-check-findings", f"{snap}/expected-findings.json",
                      f"{work}/emrguard.json"], capture_output=True, text=True).stdout
eg_found = int(out.split()[1].split("/")[0]) if out.startswith("found") else 0

def res(e):
    return e["resource"]

# Which Roles/ClusterRoles are bound to a subject (RBAC violations are about subjects).
rbac = json.load(open(f"{snap}/k8s/roles-rolebindings.json"))["items"] + \
       json.load(open(f"{snap}/k8s/clusterroles-clusterrolebindings.json"))["items"]
def granting(kind, name, ns):
    out = set()
    for b in rbac:
        if b["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        for s in b.get("subjects") or []:
            if s.get("kind") == kind and s.get("name") == name and \
               (kind != "ServiceAccount" or (s.get("namespace") or b["metadata"].get("namespace")) == ns):
                out.add((b["roleRef"]["kind"], b["roleRef"]["name"], b["metadata"].get("namespace") if b["roleRef"]["kind"] == "Role" else None))
    return out

ck_found = None
if ck_status == "ok":
    data = json.load(open(f"{work}/checkov.json"))
    reports = data if isinstance(data, list) else [data]
    failed = set()  # (kind, namespace, name)
    for r in reports:
        for c in r.get("results", {}).get("failed_checks", []):
            rid = c.get("resource", "")  # Kind.namespace.name or Kind.name
            parts = rid.split(".")
            if len(parts) >= 3:
                failed.add((parts[0], parts[1], ".".join(parts[2:])))
            elif len(parts) == 2:
                failed.add((parts[0], None, parts[1]))
    def k8s_hit(kind, ns, name):
        return any(f[0] == kind and f[2] == name and (ns is None or f[1] in (ns, "default", None)) for f in failed)
    ck_found = 0
    for e in expected:
        r = res(e)
        kind, ns, name = r.get("kind"), r.get("namespace"), r.get("name")
        hit = False
        if e["code"].startswith("RBAC") and kind in ("Group", "User", "ServiceAccount"):
            hit = any(k8s_hit(rk, rns, rn) for rk, rn, rns in granting(kind, name, ns))
        elif kind in ("Pod", "ConfigMap", "Namespace", "ServiceAccount", "DaemonSet", "Deployment"):
            hit = k8s_hit(kind, ns, name)
        ck_found += hit

cs_found = None
if cs_status == "ok":
    files = glob.glob(f"{work}/cloudsplaining/iam-results-*.json")
    data = json.load(open(files[0])) if files else {}
    risks = ("PrivilegeEscalation", "DataExfiltration", "ResourceExposure",
             "InfrastructureModification", "CredentialsExposure", "ServiceWildcard")
    relevant = {
        "EXR001": set(risks),
        "EXR002": {"PrivilegeEscalation"},
        "EXR005": {"PrivilegeEscalation"},
        "EXR007": {"PrivilegeEscalation"},
        "EXR003": {"DataExfiltration"},
        "NODE003": {"DataExfiltration", "ResourceExposure", "InfrastructureModification", "ServiceWildcard"},
    }
    policy_maps = [data.get(k, {}) for k in ("inline_policies", "aws_managed_policies", "customer_managed_policies")]
    def flagged(policy, risk):
        value = policy.get(risk)
        # {"findings": [...]} in current versions, a plain list in older ones.
        return bool(value.get("findings") if isinstance(value, dict) else value)
    categories = {}  # principal ARN -> risks found in its policies
    for kind in ("roles", "users", "groups"):
        for principal in data.get(kind, {}).values():
            found = set()
            for key in ("inline_policies", "customer_managed_policies", "aws_managed_policies"):
                for pid in (principal.get(key) or {}):
                    for m in policy_maps:
                        if pid in m:
                            found |= {r for r in risks if flagged(m[pid], r)}
            categories[principal.get("arn")] = found
    cs_found = sum(
        1 for e in expected
        if categories.get(res(e).get("arn"), set()) & relevant.get(e["code"], set())
    )

def ratio(t):
    try:
        return f"{float(t) / float(eg_s):.1f}x"
    except ValueError:
        return "-"

rows = [
    ("emrguard (whole snapshot)", eg_s, "1.0x", f"{eg_found}/{n}"),
    ("checkov (k8s/)", ck_s if ck_status == "ok" else f"- ({ck_status})", ratio(ck_s) if ck_status == "ok" else "-",
     f"{ck_found}/{n}" if ck_found is not None else "-"),
    ("cloudsplaining (IAM details)", cs_s if cs_status == "ok" else f"- ({cs_status})", ratio(cs_s) if cs_status == "ok" else "-",
     f"{cs_found}/{n}" if cs_found is not None else "-"),
]
print(f"M snapshot: {snap} ({n} planted violations)\n")
print("| tool | wall time s | ratio vs emrguard | planted violations found |")
print("|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
PY
