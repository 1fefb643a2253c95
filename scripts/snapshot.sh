#!/usr/bin/env bash
# Takes a snapshot of one Amazon EMR on EKS deployment for `emrguard --snapshot DIR`: the
# kubectl and aws CLI output emrguard reads, one file per command, exactly as the tools print
# it. Secret values are never written: Secrets are filtered in memory (values emptied, key
# names kept) before they reach the disk.
#
# Needs: kubectl, aws (v2 or v1) and python3. Read-only: it only runs get/list/describe calls.

set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/snapshot.sh --cluster NAME --region REGION [options]

Collects what emrguard audits from one EKS cluster and its AWS account into a directory.

Required:
  --cluster NAME         EKS cluster name
  --region REGION        AWS region of the cluster

Options:
  --profile PROFILE      aws CLI profile (default: the environment's credentials)
  --out DIR              output directory (default: ./snapshot-NAME-YYYYmmddTHHMMSSZ)
  --context CONTEXT      kubectl context to use (default: a temporary kubeconfig made with
                         `aws eks update-kubeconfig` for --cluster, so kubectl and aws always
                         look at the same cluster)
  --job-run-days N       job runs created in the last N days (default: 30)
  --max-job-runs N       describe at most N job runs per virtual cluster (default: 100)
  --cloudtrail-days N    CloudTrail events of the last N days, 0 to skip (default: 7)
  --cloudtrail-max N     at most N CloudTrail events (default: 5000)
  -h, --help             this help

Layout: k8s/*.json (kubectl), aws/{iam,eks,emr,ec2,elb,cloudtrail}/*.json (aws CLI).
A command that fails (for example for lack of permission) is recorded in errors.log and the
snapshot goes on; emrguard then reports the missing data as a coverage gap.

Exit status: 0 when every command succeeded, 3 when some failed (see errors.log), 2 on
usage errors or when the cluster cannot be reached at all.
EOF
}

die() {
    echo "snapshot.sh: $*" >&2
    exit 2
}

CLUSTER="" REGION="" PROFILE="" OUT="" CONTEXT=""
JOB_RUN_DAYS=30 MAX_JOB_RUNS=100 CLOUDTRAIL_DAYS=7 CLOUDTRAIL_MAX=5000

while [[ $# -gt 0 ]]; do
    if [[ "$1" == --* && "$1" != --help && $# -lt 2 ]]; then
        die "$1 needs a value"
    fi
    case "$1" in
        --cluster) CLUSTER=${2:-}; shift 2 ;;
        --region) REGION=${2:-}; shift 2 ;;
        --profile) PROFILE=${2:-}; shift 2 ;;
        --out) OUT=${2:-}; shift 2 ;;
        --context) CONTEXT=${2:-}; shift 2 ;;
        --job-run-days) JOB_RUN_DAYS=${2:-}; shift 2 ;;
        --max-job-runs) MAX_JOB_RUNS=${2:-}; shift 2 ;;
        --cloudtrail-days) CLOUDTRAIL_DAYS=${2:-}; shift 2 ;;
        --cloudtrail-max) CLOUDTRAIL_MAX=${2:-}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[[ -n "$CLUSTER" ]] || { usage >&2; die "--cluster is required"; }
[[ -n "$REGION" ]] || { usage >&2; die "--region is required"; }
for n in "$JOB_RUN_DAYS" "$MAX_JOB_RUNS" "$CLOUDTRAIL_DAYS" "$CLOUDTRAIL_MAX"; do
    [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"
done
for tool in kubectl aws python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done

OUT=${OUT:-snapshot-$CLUSTER-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"/k8s "$OUT"/aws/{iam,eks,emr,ec2,elb,cloudtrail}
ERRORS="$OUT/errors.log"
: >"$ERRORS"
FAILED=0

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The aws CLI with fixed output settings: JSON, no pager, the cluster's region.
export AWS_PAGER=""
AWS=(aws --region "$REGION" --output json)
if [[ -n "$PROFILE" ]]; then
    AWS+=(--profile "$PROFILE")
fi

if [[ -n "$CONTEXT" ]]; then
    KUBECTL=(kubectl --context "$CONTEXT")
else
    "${AWS[@]}" eks update-kubeconfig --name "$CLUSTER" --kubeconfig "$WORK/kubeconfig" >/dev/null \
        || die "cannot make a kubeconfig for cluster $CLUSTER in $REGION"
    KUBECTL=(kubectl --kubeconfig "$WORK/kubeconfig")
fi

# save FILE COMMAND...: runs COMMAND and writes its output to FILE only when it succeeds.
save() {
    local file=$1
    shift
    if "$@" >"$file.part" 2>"$WORK/stderr"; then
        mv "$file.part" "$file"
        return 0
    fi
    rm -f "$file.part"
    FAILED=$((FAILED + 1))
    {
        echo "FAILED: $*"
        sed 's/^/    /' "$WORK/stderr"
    } >>"$ERRORS"
    echo "snapshot.sh: failed: $* (see $ERRORS)" >&2
    return 1
}

# json FILE EXPRESSION: prints values from a saved JSON file, one per line. The expression is
# a dotted path where `[]` walks every element of a list: `nodegroup.launchTemplate.id`,
# `associations[].associationId`.
json() {
    python3 - "$1" "$2" <<'PY'
import json, sys

def walk(value, parts):
    if not parts:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            print(value)
        return
    head, rest = parts[0], parts[1:]
    each = head.endswith("[]")
    key = head[:-2] if each else head
    if key:
        value = value.get(key) if isinstance(value, dict) else None
    if each:
        for item in value or []:
            walk(item, rest)
    elif value is not None:
        walk(value, rest)

try:
    with open(sys.argv[1]) as f:
        data = json.load(f)
except (OSError, ValueError):
    sys.exit(0)
walk(data, [p for p in sys.argv[2].split(".") if p])
PY
}

# A file name from an ARN or id.
slug() {
    printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'
}

# Secrets without values: every data/stringData value becomes "", key names stay (a key
# such as aws_secret_access_key is itself evidence), and the last-applied-configuration
# annotation, which repeats the values, is removed. Runs on the pipe, before any disk write.
strip_secret_values() {
    python3 -c '
import json, sys
doc = json.load(sys.stdin)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
for item in doc.get("items", [doc]):
    for field in ("data", "stringData"):
        if isinstance(item.get(field), dict):
            item[field] = {key: "" for key in item[field]}
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
json.dump(doc, sys.stdout, indent=4)
sys.stdout.write("\n")
'
}

secrets_without_values() {
    "${KUBECTL[@]}" get secrets -A -o json | strip_secret_values
}

echo "snapshot.sh: Kubernetes objects of $CLUSTER" >&2
save "$OUT/k8s/namespaced.json" "${KUBECTL[@]}" get \
    namespaces,serviceaccounts,roles,rolebindings,configmaps,pods,deployments,statefulsets,daemonsets,replicasets,replicationcontrollers,jobs,cronjobs,services,networkpolicies \
    -A -o json || die "cannot read the cluster with kubectl (see $ERRORS)"
# One file per cluster-scoped kind: an empty list then still says what it is a list of.
for kind in clusterroles clusterrolebindings mutatingwebhookconfigurations validatingwebhookconfigurations nodes; do
    save "$OUT/k8s/$kind.json" "${KUBECTL[@]}" get "$kind" -o json || true
done
save "$OUT/k8s/secrets.json" secrets_without_values || true

echo "snapshot.sh: IAM" >&2
save "$OUT/aws/iam/account-authorization-details.json" \
    "${AWS[@]}" iam get-account-authorization-details || true

echo "snapshot.sh: EKS" >&2
save "$OUT/aws/eks/cluster.json" "${AWS[@]}" eks describe-cluster --name "$CLUSTER" \
    || die "cannot describe cluster $CLUSTER (see $ERRORS)"
VPC=$(json "$OUT/aws/eks/cluster.json" cluster.resourcesVpcConfig.vpcId)
if [[ -z "$VPC" ]]; then
    # Some EKS API implementations omit vpcId; the cluster's subnets name their VPC too.
    mapfile -t CLUSTER_SUBNETS < <(json "$OUT/aws/eks/cluster.json" 'cluster.resourcesVpcConfig.subnetIds[]')
    if [[ ${#CLUSTER_SUBNETS[@]} -gt 0 ]] && save "$WORK/cluster-subnets.json" "${AWS[@]}" ec2 \
        describe-subnets --subnet-ids "${CLUSTER_SUBNETS[@]}"; then
        read -r VPC < <(json "$WORK/cluster-subnets.json" 'Subnets[].VpcId') || true
    fi
fi

if save "$WORK/nodegroups.json" "${AWS[@]}" eks list-nodegroups --cluster-name "$CLUSTER"; then
    while IFS= read -r nodegroup; do
        file="$OUT/aws/eks/nodegroup-$(slug "$nodegroup").json"
        save "$file" "${AWS[@]}" eks describe-nodegroup --cluster-name "$CLUSTER" \
            --nodegroup-name "$nodegroup" || continue
        template=$(json "$file" nodegroup.launchTemplate.id)
        version=$(json "$file" nodegroup.launchTemplate.version)
        if [[ -n "$template" ]]; then
            save "$OUT/aws/ec2/launch-template-$(slug "$template")-$(slug "${version:-default}").json" \
                "${AWS[@]}" ec2 describe-launch-template-versions --launch-template-id "$template" \
                --versions "${version:-\$Default}" || true
        fi
    done < <(json "$WORK/nodegroups.json" 'nodegroups[]')
fi

if save "$OUT/aws/eks/access-entries.json" "${AWS[@]}" eks list-access-entries --cluster-name "$CLUSTER"; then
    while IFS= read -r principal; do
        name=$(slug "$principal")
        save "$OUT/aws/eks/access-entry-$name.json" "${AWS[@]}" eks describe-access-entry \
            --cluster-name "$CLUSTER" --principal-arn "$principal" || true
        save "$OUT/aws/eks/access-policies-$name.json" "${AWS[@]}" eks list-associated-access-policies \
            --cluster-name "$CLUSTER" --principal-arn "$principal" || true
    done < <(json "$OUT/aws/eks/access-entries.json" 'accessEntries[]')
fi

if save "$OUT/aws/eks/pod-identity-associations.json" "${AWS[@]}" eks list-pod-identity-associations \
    --cluster-name "$CLUSTER"; then
    while IFS= read -r id; do
        save "$OUT/aws/eks/pod-identity-association-$(slug "$id").json" "${AWS[@]}" eks \
            describe-pod-identity-association --cluster-name "$CLUSTER" --association-id "$id" || true
    done < <(json "$OUT/aws/eks/pod-identity-associations.json" 'associations[].associationId')
fi

echo "snapshot.sh: EMR on EKS" >&2
SINCE=$(python3 -c "import datetime, sys; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=int(sys.argv[1]))).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$JOB_RUN_DAYS")
if save "$OUT/aws/emr/virtual-clusters.json" "${AWS[@]}" emr-containers list-virtual-clusters \
    --container-provider-id "$CLUSTER" --container-provider-type EKS; then
    while IFS= read -r vc; do
        save "$OUT/aws/emr/virtual-cluster-$vc.json" "${AWS[@]}" emr-containers describe-virtual-cluster \
            --id "$vc" || true
        if save "$OUT/aws/emr/endpoints-$vc.json" "${AWS[@]}" emr-containers list-managed-endpoints \
            --virtual-cluster-id "$vc"; then
            while IFS= read -r endpoint; do
                save "$OUT/aws/emr/endpoint-$vc-$endpoint.json" "${AWS[@]}" emr-containers \
                    describe-managed-endpoint --virtual-cluster-id "$vc" --id "$endpoint" || true
            done < <(json "$OUT/aws/emr/endpoints-$vc.json" 'endpoints[].id')
        fi
        if save "$OUT/aws/emr/job-runs-$vc.json" "${AWS[@]}" emr-containers list-job-runs \
            --virtual-cluster-id "$vc" --created-after "$SINCE"; then
            count=0
            while IFS= read -r run; do
                [[ $count -lt $MAX_JOB_RUNS ]] || break
                count=$((count + 1))
                save "$OUT/aws/emr/job-run-$vc-$run.json" "${AWS[@]}" emr-containers describe-job-run \
                    --virtual-cluster-id "$vc" --id "$run" || true
            done < <(json "$OUT/aws/emr/job-runs-$vc.json" 'jobRuns[].id')
        fi
    done < <(json "$OUT/aws/emr/virtual-clusters.json" 'virtualClusters[].id')
fi
if save "$OUT/aws/emr/job-templates.json" "${AWS[@]}" emr-containers list-job-templates; then
    while IFS= read -r template; do
        save "$OUT/aws/emr/job-template-$template.json" "${AWS[@]}" emr-containers describe-job-template \
            --id "$template" || true
    done < <(json "$OUT/aws/emr/job-templates.json" 'templates[].id')
fi

echo "snapshot.sh: EC2 and load balancers" >&2
if [[ -n "$VPC" ]]; then
    VPC_FILTER=(--filters "Name=vpc-id,Values=$VPC")
    save "$OUT/aws/ec2/subnets.json" "${AWS[@]}" ec2 describe-subnets "${VPC_FILTER[@]}" || true
    save "$OUT/aws/ec2/route-tables.json" "${AWS[@]}" ec2 describe-route-tables "${VPC_FILTER[@]}" || true
    save "$OUT/aws/ec2/security-groups.json" "${AWS[@]}" ec2 describe-security-groups "${VPC_FILTER[@]}" || true
    save "$OUT/aws/ec2/instances.json" "${AWS[@]}" ec2 describe-instances "${VPC_FILTER[@]}" || true
else
    FAILED=$((FAILED + 1))
    echo "SKIPPED: ec2 describe-subnets, describe-route-tables, describe-security-groups and" \
        "describe-instances: the cluster names no VPC" >>"$ERRORS"
    echo "snapshot.sh: skipped the VPC's subnets, route tables, security groups and instances:" \
        "the cluster names no VPC (see $ERRORS)" >&2
fi
if save "$OUT/aws/elb/load-balancers.json" "${AWS[@]}" elbv2 describe-load-balancers; then
    # describe-tags takes at most 20 ARNs per call: one batch per line.
    batch=0
    while read -r -a arns; do
        [[ ${#arns[@]} -gt 0 ]] || continue
        batch=$((batch + 1))
        save "$OUT/aws/elb/load-balancer-tags-$batch.json" "${AWS[@]}" elbv2 describe-tags \
            --resource-arns "${arns[@]}" || true
    done < <(python3 - "$OUT/aws/elb/load-balancers.json" "$VPC" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    balancers = json.load(f).get("LoadBalancers", [])
arns = [b["LoadBalancerArn"] for b in balancers if not sys.argv[2] or b.get("VpcId") == sys.argv[2]]
for i in range(0, len(arns), 20):
    print(" ".join(arns[i:i + 20]))
PY
    )
fi

if [[ "$CLOUDTRAIL_DAYS" -gt 0 ]]; then
    echo "snapshot.sh: CloudTrail (last $CLOUDTRAIL_DAYS days, at most $CLOUDTRAIL_MAX events)" >&2
    START=$(python3 -c "import datetime, sys; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=int(sys.argv[1]))).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$CLOUDTRAIL_DAYS")
    save "$OUT/aws/cloudtrail/lookup-events.json" "${AWS[@]}" cloudtrail lookup-events \
        --start-time "$START" --max-items "$CLOUDTRAIL_MAX" || true
fi

echo "snapshot.sh: wrote $OUT" >&2
if [[ $FAILED -gt 0 ]]; then
    echo "snapshot.sh: $FAILED command(s) failed; see $ERRORS" >&2
    exit 3
fi
rm -f "$ERRORS"
