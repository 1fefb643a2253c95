//! `scripts/snapshot.sh` against a real AWS API: moto's server, called by the real aws CLI,
//! seeded through the API with an EMR on EKS account (`scripts/moto-seed.py`). kubectl is the
//! stand-in of `snapshot_script.rs`: no Kubernetes API server can run here.
//!
//! `scripts/moto-env.sh start` installs and starts both and prints the two variables this
//! test reads: `EMRGUARD_MOTO_ENDPOINT` (the server) and `EMRGUARD_MOTO_BIN` (the venv's bin
//! directory with `aws` and a Python that has boto3). `scripts/test.sh` does that before
//! `cargo test`. Without them the test fails under `CI=true` and is skipped otherwise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use emrguard_config::Config;
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_model::inventory::{area, Inventory};
use emrguard_model::policy::PolicyDocument;
use emrguard_rules::{all_rules, audit, ReleaseCatalog};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server and the venv's bin directory, or `None` (with the reason printed) when they
/// are not configured outside CI.
fn moto() -> Option<(String, PathBuf)> {
    let endpoint = std::env::var("EMRGUARD_MOTO_ENDPOINT").unwrap_or_default();
    let bin = std::env::var("EMRGUARD_MOTO_BIN").unwrap_or_default();
    if !endpoint.is_empty() && !bin.is_empty() {
        return Some((endpoint, PathBuf::from(bin)));
    }
    let why = "EMRGUARD_MOTO_ENDPOINT and EMRGUARD_MOTO_BIN are not set: run \
               `eval \"$(scripts/moto-env.sh start)\"` first (scripts/test.sh does)";
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why}; under CI=true this test must run"
    );
    eprintln!("snapshot_moto: skipped: {why}");
    None
}

/// A string at a JSON path of the seed manifest.
fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let found = path.iter().try_fold(value, |v, key| v.get(key));
    match found.and_then(Value::as_str) {
        Some(s) => s,
        None => panic!("the seed manifest has no string at {path:?}"),
    }
}

/// The entries of an object of the seed manifest.
fn entries<'a>(value: &'a Value, key: &str) -> Vec<(&'a String, &'a Value)> {
    let map = value.get(key).and_then(Value::as_object);
    let Some(map) = map else {
        panic!("the seed manifest has no object {key}");
    };
    map.iter().collect()
}

/// The data area a failed snapshot command would have filled.
fn area_of_command(command: &str) -> Option<&'static str> {
    [
        ("eks list-access-entries", area::ACCESS_ENTRIES),
        ("eks describe-access-entry", area::ACCESS_ENTRIES),
        ("eks list-pod-identity-associations", area::POD_IDENTITY),
        (
            "emr-containers list-managed-endpoints",
            area::MANAGED_ENDPOINTS,
        ),
        ("emr-containers list-job-templates", area::JOB_TEMPLATES),
        ("cloudtrail lookup-events", area::CLOUDTRAIL),
    ]
    .into_iter()
    .find(|(c, _)| command.contains(c))
    .map(|(_, a)| a)
}

/// Seeds the server afresh, runs snapshot.sh with the real aws CLI into `out`, and returns
/// the seed manifest and the script's exit code.
fn take_snapshot(endpoint: &str, bin: &Path, tmp: &Path, out: &Path) -> (Value, Option<i32>) {
    let manifest_file = tmp.join("seeded.json");
    let seed = Command::new(bin.join("python"))
        .arg(repo().join("scripts/moto-seed.py"))
        .args(["--endpoint", endpoint, "--reset", "--manifest"])
        .arg(&manifest_file)
        .output();
    let Ok(seed) = seed else {
        panic!("the seeder could not run: {seed:?}");
    };
    assert!(
        seed.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let manifest: Value = std::fs::read_to_string(&manifest_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);

    // First on PATH: the real aws CLI, the stand-in kubectl, and the venv's Python as python3
    // (a version-manager shim is slow to start).
    let path_bin = tmp.join("bin");
    std::fs::create_dir_all(&path_bin).ok();
    let stubs = repo().join("crates/emrguard-load/tests/data/snapshot-script/bin");
    for (link, target) in [
        ("kubectl", stubs.join("kubectl")),
        ("aws", bin.join("aws")),
        ("python3", bin.join("python")),
    ] {
        std::os::unix::fs::symlink(target, path_bin.join(link)).ok();
    }
    let path = format!(
        "{}:{}",
        path_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = Command::new("bash")
        .arg(repo().join("scripts/snapshot.sh"))
        .args(["--cluster", text(&manifest, &["cluster"])])
        .args(["--region", text(&manifest, &["region"]), "--out"])
        .arg(out)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        // No profile, config or session of the machine's own may leak in.
        .env("AWS_CONFIG_FILE", tmp.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            tmp.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        // moto answers unimplemented calls with errors that retrying cannot fix.
        .env("AWS_MAX_ATTEMPTS", "1")
        .output();
    let Ok(run) = run else {
        panic!("bash could not run: {run:?}");
    };
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    (manifest, run.status.code())
}

#[test]
fn snapshot_of_a_moto_account_with_the_real_aws_cli() {
    let Some((endpoint, bin)) = moto() else {
        return;
    };
    let Ok(tmp) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let out = tmp.path().join("snap");
    let (seeded, code) = take_snapshot(&endpoint, &bin, tmp.path(), &out);

    let inv = match load_snapshot(&out, &LoadOptions::default()) {
        Ok(inv) => inv,
        Err(e) => panic!("the snapshot does not load: {e}"),
    };
    // Every file the aws CLI wrote is understood: only the script's own log is skipped.
    let skipped: Vec<(&str, &str)> = inv
        .skipped
        .iter()
        .map(|s| (s.file.as_str(), s.reason.as_str()))
        .collect();
    let log_only = skipped.iter().all(|(file, _)| *file == "errors.log");
    assert!(log_only, "files not recognised: {skipped:?}");
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);

    failed_commands_are_coverage_gaps(&inv, &out, code);
    iam_is_complete(&inv, &seeded);
    eks_and_ec2_are_complete(&inv, &seeded);
    emr_is_complete(&inv, &seeded);
    findings_and_skipped_rules(&inv, &seeded);
}

/// What the server could not answer is in errors.log and is a coverage gap; everything else
/// the script collects is loaded. Nothing is missing without a word.
fn failed_commands_are_coverage_gaps(inv: &Inventory, out: &Path, code: Option<i32>) {
    let errors = std::fs::read_to_string(out.join("errors.log")).unwrap_or_default();
    let failed: Vec<&str> = errors
        .lines()
        .filter_map(|l| {
            l.strip_prefix("FAILED: ")
                .or_else(|| l.strip_prefix("SKIPPED: "))
        })
        .collect();
    let expected_code = if failed.is_empty() { 0 } else { 3 };
    assert_eq!(code, Some(expected_code), "{errors}");
    let mut failed_areas = BTreeSet::new();
    for command in &failed {
        let Some(area) = area_of_command(command) else {
            panic!("a snapshot command failed against the server: {command}\n{errors}");
        };
        failed_areas.insert(area);
    }
    let gaps: BTreeSet<String> = inv.coverage_gaps().into_iter().map(|g| g.area).collect();
    for area in [
        area::IAM,
        area::EKS_CLUSTER,
        area::NODEGROUPS,
        area::LAUNCH_TEMPLATES,
        area::ACCESS_ENTRIES,
        area::POD_IDENTITY,
        area::VIRTUAL_CLUSTERS,
        area::MANAGED_ENDPOINTS,
        area::JOB_RUNS,
        area::JOB_TEMPLATES,
        area::SUBNETS,
        area::ROUTE_TABLES,
        area::SECURITY_GROUPS,
        area::INSTANCES,
        area::LOAD_BALANCERS,
        area::CLOUDTRAIL,
    ] {
        if failed_areas.contains(area) {
            assert!(!inv.has(area), "{area} loaded although its command failed");
            assert!(
                gaps.contains(area),
                "{area} could not be read but is no coverage gap: {gaps:?}"
            );
        } else {
            assert!(
                inv.has(area),
                "{area} is missing without a recorded failure\n{errors}"
            );
            assert!(
                !gaps.contains(area),
                "{area} is loaded yet reported missing"
            );
        }
    }
}

fn has_statement(doc: Option<&PolicyDocument>, action: &str, resource: &str) -> bool {
    doc.is_some_and(|d| {
        d.statements.iter().any(|s| {
            s.action
                .as_ref()
                .is_some_and(|a| a.iter().any(|x| x == action))
                && s.resource
                    .as_ref()
                    .is_some_and(|r| r.iter().any(|x| x == resource))
        })
    })
}

fn iam_is_complete(inv: &Inventory, seeded: &Value) {
    let admin = text(seeded, &["roles", "admin_exec", "arn"]);
    let etl = text(seeded, &["roles", "etl_exec", "arn"]);
    let node = text(seeded, &["roles", "node", "arn"]);
    for (_, role) in entries(seeded, "roles") {
        let arn = text(role, &["arn"]);
        let Some(found) = inv.role_by_arn(arn) else {
            panic!("role {arn} is not in the inventory");
        };
        assert_eq!(found.role_name, text(role, &["name"]));
        assert!(
            found.assume_role_policy_document.is_some(),
            "{arn}: no trust policy"
        );
    }
    let attached = |arn: &str| -> Vec<String> {
        inv.role_by_arn(arn)
            .map(|r| {
                r.attached_managed_policies
                    .iter()
                    .map(|p| p.policy_arn.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    // AWS managed policies come with their documents, as get-account-authorization-details
    // prints them.
    let admin_access = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert_eq!(attached(admin), [admin_access]);
    let document = |arn: &str| inv.policy_by_arn(arn).and_then(|p| p.default_document());
    assert!(has_statement(document(admin_access), "*", "*"));
    assert!(
        attached(node).contains(&"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy".to_owned())
    );

    // The least-privilege role: a customer managed policy and an inline one.
    let data_policy = text(seeded, &["policies", "etl_data"]);
    assert_eq!(attached(etl), [data_policy]);
    assert!(has_statement(
        document(data_policy),
        "s3:GetObject",
        "arn:aws:s3:::analytics-etl/team-b/*"
    ));
    let inline = inv
        .role_by_arn(etl)
        .and_then(|r| r.role_policy_list.iter().find(|p| p.policy_name == "logs"));
    assert!(has_statement(
        inline.map(|p| &p.policy_document),
        "logs:PutLogEvents",
        "arn:aws:logs:us-west-2:123456789012:log-group:/emr/team-b:*"
    ));

    // Both execution roles are known as such: by their job runs and by their IRSA trust
    // policies, whose EMR service-account pattern names the virtual cluster's namespace.
    let view = inv.emr_view();
    for (arn, namespace) in [(admin, "emr-team-a"), (etl, "emr-team-b")] {
        let uses = view.execution_roles.get(arn);
        let vias: BTreeSet<(&str, Option<&str>)> = uses
            .into_iter()
            .flatten()
            .map(|u| (u.via.as_str(), u.namespace.as_deref()))
            .collect();
        assert_eq!(
            vias,
            BTreeSet::from([
                ("job-run", Some(namespace)),
                ("trust-policy", Some(namespace))
            ]),
            "{arn}"
        );
    }

    let user = text(seeded, &["user", "arn"]);
    let found = inv.iam_users.iter().find(|u| u.arn == user);
    let policy = found.and_then(|u| u.user_policy_list.first());
    assert!(has_statement(
        policy.map(|p| &p.policy_document),
        "emr-containers:StartJobRun",
        "*"
    ));
    assert!(policy.is_some_and(|p| p
        .policy_document
        .statements
        .iter()
        .any(|s| !s.condition.is_empty())));
}

fn eks_and_ec2_are_complete(inv: &Inventory, seeded: &Value) {
    let cluster = inv.cluster();
    assert_eq!(
        cluster.map(|c| c.arn.as_str()),
        Some(text(seeded, &["cluster_arn"]))
    );
    assert_eq!(
        cluster
            .and_then(|c| c.identity.as_ref())
            .and_then(|i| i.oidc.as_ref())
            .and_then(|o| o.issuer.as_deref()),
        Some(text(seeded, &["oidc_issuer"]))
    );
    let private: BTreeSet<&str> = ["private-a", "private-b"]
        .iter()
        .map(|name| text(seeded, &["subnets", name, "id"]))
        .collect();
    let cluster_subnets: BTreeSet<&str> = cluster
        .map(|c| {
            c.resources_vpc_config
                .subnet_ids
                .iter()
                .map(String::as_str)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(cluster_subnets, private);

    let vpc = text(seeded, &["vpc"]);
    for (name, subnet) in entries(seeded, "subnets") {
        let id = text(subnet, &["id"]);
        let Some(found) = inv.subnet(id) else {
            panic!("subnet {name} ({id}) is not in the inventory");
        };
        assert_eq!(found.vpc_id.as_deref(), Some(vpc));
        assert_eq!(found.cidr_block.as_deref(), Some(text(subnet, &["cidr"])));
        let public = subnet.get("public").and_then(Value::as_bool);
        assert_eq!(found.map_public_ip_on_launch, public, "{name}");
        let table = text(subnet, &["route_table"]);
        let Some(table) = inv.route_tables.iter().find(|t| t.route_table_id == table) else {
            panic!("route table of {name} is not in the inventory");
        };
        assert!(table
            .associations
            .iter()
            .any(|a| a.subnet_id.as_deref() == Some(id)));
        let to_internet = table.routes.iter().any(|r| {
            r.destination_cidr_block.as_deref() == Some("0.0.0.0/0")
                && r.gateway_id
                    .as_deref()
                    .is_some_and(|g| g.starts_with("igw-"))
        });
        assert_eq!(Some(to_internet), public, "{name}");
    }

    for (key, group) in entries(seeded, "security_groups") {
        let id = text(group, &["id"]);
        let Some(found) = inv.security_group(id) else {
            panic!("security group {key} ({id}) is not in the inventory");
        };
        assert_eq!(found.group_name.as_deref(), Some(text(group, &["name"])));
        assert_eq!(found.vpc_id.as_deref(), Some(vpc));
        let ingress: Vec<(String, i64)> = found
            .ip_permissions
            .iter()
            .flat_map(|p| {
                p.ip_ranges
                    .iter()
                    .map(|r| (r.cidr_ip.clone(), p.from_port.unwrap_or(-1)))
            })
            .collect();
        let seeded_ingress: Vec<(String, i64)> = group
            .get("ingress")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|rule| Some((rule.get(0)?.as_str()?.to_owned(), rule.get(1)?.as_i64()?)))
            .collect();
        assert!(!seeded_ingress.is_empty());
        assert_eq!(ingress, seeded_ingress, "{key}");
    }

    let template = text(seeded, &["launch_template"]);
    let nodegroup = inv
        .nodegroups
        .iter()
        .find(|n| n.nodegroup_name == text(seeded, &["nodegroup"]));
    assert_eq!(
        nodegroup.and_then(|n| n.node_role.as_deref()),
        Some(text(seeded, &["roles", "node", "arn"]))
    );
    assert_eq!(
        nodegroup
            .and_then(|n| n.launch_template.as_ref())
            .and_then(|t| t.id.as_deref()),
        Some(template)
    );
    let version = inv
        .launch_template_versions
        .iter()
        .find(|v| v.launch_template_id.as_deref() == Some(template));
    let imds = version.and_then(|v| v.launch_template_data.metadata_options.as_ref());
    assert_eq!(
        imds.map(|m| (m.http_tokens.as_deref(), m.http_put_response_hop_limit)),
        Some((Some("required"), Some(1)))
    );
    let instance = inv
        .instances
        .iter()
        .find(|i| i.instance_id == text(seeded, &["instance"]));
    assert_eq!(
        instance.and_then(|i| i.subnet_id.as_deref()),
        Some(text(seeded, &["subnets", "private-a", "id"]))
    );

    let balancer = text(seeded, &["load_balancer", "arn"]);
    let found = inv
        .load_balancers
        .iter()
        .find(|b| b.load_balancer_arn == balancer);
    assert_eq!(found.and_then(|b| b.scheme.as_deref()), Some("internal"));
    assert_eq!(found.and_then(|b| b.vpc_id.as_deref()), Some(vpc));
    let team_b = text(seeded, &["virtual_clusters", "emr-team-b", "id"]);
    assert!(found
        .is_some_and(|b| b.tags.iter().any(|t| t.key
            == "emr-containers.amazonaws.com/virtual-cluster-id"
            && t.value == team_b)));
}

fn emr_is_complete(inv: &Inventory, seeded: &Value) {
    let clusters = entries(seeded, "virtual_clusters");
    assert_eq!(inv.virtual_clusters.len(), clusters.len());
    for (name, vc) in clusters {
        let id = text(vc, &["id"]);
        let Some(found) = inv.virtual_clusters.iter().find(|v| v.id == id) else {
            panic!("virtual cluster {name} ({id}) is not in the inventory");
        };
        assert_eq!(found.name.as_deref(), Some(name.as_str()));
        assert_eq!(found.arn.as_deref(), Some(text(vc, &["arn"])));
        assert_eq!(found.namespace(), Some(text(vc, &["namespace"])));
        assert!(found.is_active(), "{name}: {:?}", found.state);
        assert_eq!(
            found.container_provider.id.as_deref(),
            Some(text(seeded, &["cluster"]))
        );

        let run = text(vc, &["job_run", "id"]);
        let Some(job) = inv.job_runs.iter().find(|j| j.id == run) else {
            panic!("job run {run} of {name} is not in the inventory");
        };
        assert_eq!(job.virtual_cluster_id, id);
        assert_eq!(
            job.execution_role_arn.as_deref(),
            Some(text(vc, &["job_run", "execution_role"]))
        );
        assert_eq!(
            job.release_label.as_deref(),
            Some(text(vc, &["job_run", "release_label"]))
        );
        let entry_point = job
            .job_driver
            .as_ref()
            .and_then(|d| d.spark_submit_job_driver.as_ref())
            .and_then(|s| s.entry_point.clone());
        assert_eq!(
            entry_point,
            Some(format!("s3://analytics-etl/{name}/job.py"))
        );
    }
}

/// The administrator execution role is reported, the least-privilege one is not, and rules
/// whose data the server could not give are listed as not run.
fn findings_and_skipped_rules(inv: &Inventory, seeded: &Value) {
    let result = audit(inv, &Config::default(), &ReleaseCatalog::builtin());
    let names_role = |code: &str, arn: &str| {
        result
            .findings
            .iter()
            .any(|f| f.code == code && f.resources.iter().any(|r| r.arn.as_deref() == Some(arn)))
    };
    let admin = text(seeded, &["roles", "admin_exec", "arn"]);
    let etl = text(seeded, &["roles", "etl_exec", "arn"]);
    assert!(names_role("EXR001", admin), "{:#?}", result.findings);
    for code in ["EXR001", "EXR002", "EXR003", "EXR004"] {
        assert!(!names_role(code, etl), "{code} on {etl}");
    }
    for rule in all_rules() {
        let meta = rule.meta();
        let missing = meta.requires.iter().any(|a| !inv.has(a));
        let skipped = result.skipped_rules.iter().any(|s| s.code == meta.code);
        assert_eq!(missing, skipped, "{}", meta.code);
    }
}
