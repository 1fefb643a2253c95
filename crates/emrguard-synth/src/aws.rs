//! The AWS half of a synthetic snapshot, as the aws CLI prints it: IAM (paged), EKS, EMR on
//! EKS, EC2, ELBv2 and CloudTrail.

use serde_json::{json, Value};

use crate::lab::{self, ACCOUNT, CLUSTER, CLUSTER_SG, OIDC_PROVIDER, REGION, SUBNETS, VPC};
use crate::out::Out;
use crate::rng::Rng;
use crate::world::{Plant, Tenant, World};
use crate::SynthError;

/// The VPC's default security group (the lab's).
pub(crate) const DEFAULT_SG: &str = "sg-0d2c3b4a5f6e70819";
/// The EMR Studio workspace range endpoints admit.
const STUDIO_CIDR: &str = "10.40.64.0/24";
const NODE_ROLE: &str = "analytics-ng-workers-node-role";

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn date(rng: &mut Rng, month: u32) -> String {
    format!(
        "2025-{month:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        rng.between(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

#[allow(clippy::too_many_arguments)]
fn iam_role(
    rng: &mut Rng,
    name: &str,
    trust: Value,
    inline: Vec<(String, Value)>,
    attached: Vec<(String, String)>,
    tag_pairs: &[(&str, &str)],
) -> Value {
    json!({
        "Path": "/",
        "RoleName": name,
        "RoleId": format!("AROA{}", rng.upper(17)),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        "CreateDate": date(rng, 3),
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": [],
        "RolePolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
        "AttachedManagedPolicies": attached.into_iter().map(|(n, a)| json!({"PolicyName": n, "PolicyArn": a})).collect::<Vec<_>>(),
        "Tags": tags(tag_pairs),
        "RoleLastUsed": {"LastUsedDate": date(rng, 11), "Region": REGION},
    })
}

fn managed_policy(rng: &mut Rng, name: &str, document: Value) -> Value {
    json!({
        "PolicyName": name,
        "PolicyId": format!("ANPA{}", rng.upper(17)),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": true,
        "CreateDate": date(rng, 2),
        "UpdateDate": date(rng, 6),
        "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": date(rng, 6)}],
    })
}

/// The trust statement `aws emr-containers update-role-trust-policy` writes.
fn emr_trust(tenant: &Tenant, namespace: &str, any_service_account: bool) -> Value {
    let sub = if any_service_account {
        format!("system:serviceaccount:{namespace}:*")
    } else {
        format!(
            "system:serviceaccount:{namespace}:emr-containers-sa-*-*-{ACCOUNT}-{}",
            tenant.role_b36
        )
    };
    json!({
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_PROVIDER}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {format!("{OIDC_PROVIDER}:sub"): sub}},
    })
}

fn vc_arn(vc: &str) -> String {
    format!("arn:aws:emr-containers:{REGION}:{ACCOUNT}:/virtualclusters/{vc}")
}

fn execution_role(rng: &mut Rng, tenant: &Tenant) -> Value {
    let trust = doc(tenant
        .namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            emr_trust(
                tenant,
                ns,
                i == 0 && tenant.has(Plant::TrustAnyServiceAccount),
            )
        })
        .collect());
    let bucket = &tenant.bucket;
    let mut statements = vec![
        json!({"Sid": "JobData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": [format!("arn:aws:s3:::{bucket}/*")]}),
        json!({"Sid": "ListJobBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{bucket}")]}),
        json!({"Sid": "JobLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], "Resource": [format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{}:*", tenant.log_group)]}),
    ];
    if tenant.has(Plant::DataOnAllResources) {
        statements.push(json!({"Sid": "ReadReferenceData", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}));
    }
    if tenant.has(Plant::UnusedPermissions) {
        let db = tenant.name.replace('-', "_");
        statements.push(json!({"Sid": "GlueCatalogRead", "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
        "Resource": [
            format!("arn:aws:glue:{REGION}:{ACCOUNT}:catalog"),
            format!("arn:aws:glue:{REGION}:{ACCOUNT}:database/{db}"),
            format!("arn:aws:glue:{REGION}:{ACCOUNT}:table/{db}/*"),
        ]}));
    }
    iam_role(
        rng,
        &tenant.role,
        trust,
        vec![(format!("{}-access", tenant.role), doc(statements))],
        Vec::new(),
        &[("Team", &tenant.name), ("emr-on-eks", "execution-role")],
    )
}

fn submitter_role(rng: &mut Rng, tenant: &Tenant) -> Value {
    let trust = doc(vec![json!({
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/CorpOkta")},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    })]);
    let vcs: Vec<String> = tenant.vc_ids.iter().map(|v| vc_arn(v)).collect();
    let runs: Vec<String> = tenant
        .vc_ids
        .iter()
        .map(|v| format!("{}/jobruns/*", vc_arn(v)))
        .collect();
    let mut submit = json!({"Sid": "SubmitJobs", "Effect": "Allow", "Action": "emr-containers:StartJobRun", "Resource": vcs});
    if !tenant.has(Plant::UnpinnedSubmitter) {
        submit["Condition"] =
            json!({"ArnEquals": {"emr-containers:ExecutionRoleArn": [tenant.role_arn()]}});
    }
    let mut pass = json!({"Sid": "PassExecutionRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": tenant.role_arn()});
    if !tenant.has(Plant::PassRoleAnyService) {
        pass["Condition"] =
            json!({"StringEquals": {"iam:PassedToService": "pods.eks.amazonaws.com"}});
    }
    let mut follow_resources = vcs.clone();
    follow_resources.extend(runs);
    let statements = vec![
        submit,
        json!({"Sid": "FollowJobs", "Effect": "Allow", "Action": ["emr-containers:DescribeJobRun", "emr-containers:ListJobRuns", "emr-containers:CancelJobRun", "emr-containers:DescribeVirtualCluster"], "Resource": follow_resources}),
        pass,
        json!({"Sid": "UseTemplates", "Effect": "Allow", "Action": "emr-containers:DescribeJobTemplate", "Resource": format!("arn:aws:emr-containers:{REGION}:{ACCOUNT}:/jobtemplates/{}", tenant.template_id)}),
        json!({"Sid": "ReadData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{}", tenant.bucket), format!("arn:aws:s3:::{}/*", tenant.bucket)]}),
        json!({"Sid": "Kubeconfig", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}")}),
    ];
    iam_role(
        rng,
        &tenant.submitter,
        trust,
        vec![(format!("emr-{}-submit", tenant.name), doc(statements))],
        Vec::new(),
        &[("Team", &tenant.name)],
    )
}

/// IAM: the lab's principals and policies plus the synthetic ones, paged as
/// `--max-items N` / `--starting-token` would print them.
fn iam(world: &World, rng: &mut Rng, out: &mut Out) -> Result<(), SynthError> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    for page in [
        "aws/iam/get-account-authorization-details.page-1.json",
        "aws/iam/get-account-authorization-details.page-2.json",
    ] {
        users.extend(lab::items(page, "UserDetailList")?);
        groups.extend(lab::items(page, "GroupDetailList")?);
        roles.extend(lab::items(page, "RoleDetailList")?);
        policies.extend(lab::items(page, "Policies")?);
    }
    for tenant in &world.tenants {
        roles.push(execution_role(rng, tenant));
        roles.push(submitter_role(rng, tenant));
    }
    let mut node_role = iam_role(
        rng,
        NODE_ROLE,
        doc(vec![
            json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        ]),
        Vec::new(),
        [
            "AmazonEKSWorkerNodePolicy",
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonSSMManagedInstanceCore",
            "AmazonEKS_CNI_Policy",
        ]
        .iter()
        .map(|p| ((*p).to_owned(), format!("arn:aws:iam::aws:policy/{p}")))
        .collect(),
        &[("ManagedBy", "terraform")],
    );
    node_role["InstanceProfileList"] = json!([{"Path": "/", "InstanceProfileName": "eks-ng-workers",
        "InstanceProfileId": format!("AIPA{}", rng.upper(17)),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/eks-ng-workers")}]);
    roles.push(node_role);

    // Application roles: IRSA roles of the application namespaces, then service roles of the
    // rest of the account (Lambda, ECS), up to the size's role count. Each has two inline
    // policies and one customer-managed policy of its own.
    let mut app_roles: Vec<(String, Value)> = Vec::new();
    for app_ns in &world.apps {
        for (i, app) in app_ns.apps.iter().enumerate() {
            if i % 2 == 0 {
                let ns = &app_ns.name;
                app_roles.push((
                    format!("{ns}-{app}"),
                    doc(vec![json!({
                        "Effect": "Allow",
                        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_PROVIDER}")},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringEquals": {
                            format!("{OIDC_PROVIDER}:sub"): format!("system:serviceaccount:{ns}:{app}"),
                            format!("{OIDC_PROVIDER}:aud"): "sts.amazonaws.com",
                        }},
                    })]),
                ));
            }
        }
    }
    let target = world.scale.iam_roles.saturating_sub(roles.len());
    let services = [
        "lambda.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "states.amazonaws.com",
    ];
    let mut n = 0;
    while app_roles.len() < target {
        n += 1;
        let service = services[n % services.len()];
        let kind = service.split('.').next().unwrap_or("svc");
        app_roles.push((
            format!("svc-{kind}-{}-{n:05}", rng.base36(6)),
            doc(vec![json!({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})]),
        ));
    }
    app_roles.truncate(target);
    for (name, trust) in app_roles {
        let data = format!("{name}-store");
        let inline = vec![
            (
                "data-access".to_owned(),
                doc(vec![
                    json!({"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"], "Resource": format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{data}")}),
                    json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::{data}/*")}),
                ]),
            ),
            (
                "messaging".to_owned(),
                doc(vec![
                    json!({"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "Resource": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")}),
                ]),
            ),
        ];
        let policy_name = format!("{name}-logs");
        policies.push(managed_policy(
            rng,
            &policy_name,
            doc(vec![json!({"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/{name}:*")})]),
        ));
        roles.push(iam_role(
            rng,
            &name,
            trust,
            inline,
            vec![(
                policy_name.clone(),
                format!("arn:aws:iam::{ACCOUNT}:policy/{policy_name}"),
            )],
            &[("ManagedBy", "terraform")],
        ));
    }
    // CI users in a deploy group that may push images.
    let ci_users = (world.scale.iam_roles / 200).max(3);
    policies.push(managed_policy(
        rng,
        "ci-image-push",
        doc(vec![json!({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"], "Resource": "*"})]),
    ));
    groups.push(json!({
        "Path": "/", "GroupName": "ci-deployers", "GroupId": format!("AGPA{}", rng.upper(17)),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:group/ci-deployers"), "CreateDate": date(rng, 2),
        "GroupPolicyList": [],
        "AttachedManagedPolicies": [{"PolicyName": "ci-image-push", "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/ci-image-push")}],
    }));
    for i in 0..ci_users {
        let name = format!("ci-deploy-{:03}", i + 1);
        users.push(json!({
            "Path": "/", "UserName": name, "UserId": format!("AIDA{}", rng.upper(17)),
            "Arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"), "CreateDate": date(rng, 2),
            "UserPolicyList": [], "GroupList": ["ci-deployers"], "AttachedManagedPolicies": [], "Tags": [],
        }));
    }

    // Pages: about eight, each carrying a slice of each list as the CLI pages them.
    let total = users.len() + groups.len() + roles.len() + policies.len();
    let per_page = (total / 8).max(50);
    let mut lists = [
        ("UserDetailList", users.into_iter()),
        ("GroupDetailList", groups.into_iter()),
        ("RoleDetailList", roles.into_iter()),
        ("Policies", policies.into_iter()),
    ];
    let pages = total.div_ceil(per_page);
    for page in 1..=pages {
        let mut body = serde_json::Map::new();
        let mut room = per_page;
        for (key, items) in &mut lists {
            let chunk: Vec<Value> = items.by_ref().take(room).collect();
            room -= chunk.len();
            body.insert((*key).to_owned(), Value::Array(chunk));
        }
        if page < pages {
            let token = format!(
                "{{\"Marker\": \"{}\", \"boto_truncate_amount\": {}}}",
                rng.upper(24),
                page * per_page
            );
            body.insert("NextToken".into(), json!(base64_std(token.as_bytes())));
        }
        out.json(
            &format!("aws/iam/get-account-authorization-details.page-{page}.json"),
            &Value::Object(body),
        )?;
    }
    Ok(())
}

/// Standard base64 (the CLI's pagination tokens).
fn base64_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                s.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn eks(world: &World, rng: &mut Rng, out: &mut Out) -> Result<(), SynthError> {
    let mut entries = lab::items("aws/eks/list-access-entries.json", "accessEntries")?;
    let mut nodegroups = lab::items("aws/eks/list-nodegroups.json", "nodegroups")?;
    let node_role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{NODE_ROLE}");
    let mut principals: Vec<(String, Vec<String>, String, String)> = world
        .tenants
        .iter()
        .map(|t| {
            (
                t.submitter_arn(),
                vec![t.name.clone()],
                t.submitter_arn(),
                "STANDARD".to_owned(),
            )
        })
        .collect();
    principals.push((
        node_role_arn.clone(),
        vec!["system:nodes".into()],
        "system:node:{{EC2PrivateDNSName}}".into(),
        "EC2_LINUX".into(),
    ));
    for (arn, k8s_groups, username, kind) in principals {
        let (kind_segment, name) = arn
            .rsplit_once(':')
            .map_or(("", arn.as_str()), |(_, r)| ("", r));
        let _ = kind_segment;
        let short = name.rsplit('/').next().unwrap_or(name);
        let principal_kind = if name.starts_with("user/") {
            "user"
        } else {
            "role"
        };
        entries.push(json!(arn));
        out.json(
            &format!("aws/eks/describe-access-entry/{short}.json"),
            &json!({"accessEntry": {
                "clusterName": CLUSTER,
                "principalArn": arn,
                "kubernetesGroups": k8s_groups,
                "accessEntryArn": format!("arn:aws:eks:{REGION}:{ACCOUNT}:access-entry/{CLUSTER}/{principal_kind}/{ACCOUNT}/{short}/{}", rng.uuid()),
                "createdAt": date(rng, 4),
                "modifiedAt": date(rng, 5),
                "tags": {},
                "username": username,
                "type": kind,
            }}),
        )?;
        out.json(
            &format!("aws/eks/list-associated-access-policies/{short}.json"),
            &json!({"clusterName": CLUSTER, "principalArn": arn, "associatedAccessPolicies": []}),
        )?;
    }
    for (i, ng) in world.nodegroups.iter().enumerate() {
        nodegroups.push(json!(ng));
        let lt_id = format!("lt-0{}", lab_hex(i, 16));
        out.json(
            &format!("aws/eks/describe-nodegroup/{ng}.json"),
            &json!({"nodegroup": {
                "nodegroupName": ng,
                "nodegroupArn": format!("arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/{CLUSTER}/{ng}/{}", rng.uuid()),
                "clusterName": CLUSTER,
                "version": "1.31",
                "releaseVersion": "1.31.7-20251108",
                "createdAt": date(rng, 3),
                "modifiedAt": date(rng, 11),
                "status": "ACTIVE",
                "capacityType": "ON_DEMAND",
                "scalingConfig": {"minSize": 2, "maxSize": 400, "desiredSize": world.nodes.iter().filter(|n| n.nodegroup == i).count()},
                "instanceTypes": ["m6i.4xlarge"],
                "subnets": SUBNETS.iter().map(|s| s.0).collect::<Vec<_>>(),
                "amiType": "AL2023_x86_64_STANDARD",
                "nodeRole": node_role_arn,
                "labels": {"workload": "general"},
                "taints": [],
                "launchTemplate": {"name": format!("{CLUSTER}-{ng}"), "version": "1", "id": lt_id},
                "tags": {"ManagedBy": "terraform"},
            }}),
        )?;
        out.json(
            &format!("aws/ec2/describe-launch-template-versions/{CLUSTER}-{ng}.json"),
            &json!({"LaunchTemplateVersions": [{
                "LaunchTemplateId": lt_id,
                "LaunchTemplateName": format!("{CLUSTER}-{ng}"),
                "VersionNumber": 1,
                "CreateTime": date(rng, 3),
                "CreatedBy": format!("arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/terraform"),
                "DefaultVersion": true,
                "LaunchTemplateData": {
                    "ImageId": "ami-0c5d2e7f1a3b4c6d8",
                    "InstanceType": "m6i.4xlarge",
                    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
                    "SecurityGroupIds": [CLUSTER_SG],
                },
            }]}),
        )?;
    }
    out.json(
        "aws/eks/list-access-entries.json",
        &json!({"accessEntries": entries}),
    )?;
    out.json(
        "aws/eks/list-nodegroups.json",
        &json!({"nodegroups": nodegroups}),
    )?;
    Ok(())
}

/// A fixed-width hex rendering of a small number (stable identifiers).
fn lab_hex(i: usize, width: usize) -> String {
    format!("{:0width$x}", 0x5a5a_0000_usize + i, width = width)
}

fn monitoring(tenant: &Tenant, what: &str) -> Value {
    json!({
        "persistentAppUI": "ENABLED",
        "cloudWatchMonitoringConfiguration": {"logGroupName": tenant.log_group, "logStreamNamePrefix": what},
        "s3MonitoringConfiguration": {"logUri": format!("s3://{}/emr-logs/", tenant.bucket)},
    })
}

fn emr(world: &World, rng: &mut Rng, out: &mut Out) -> Result<(), SynthError> {
    let mut vcs = lab::items(
        "aws/emr-containers/list-virtual-clusters.json",
        "virtualClusters",
    )?;
    for tenant in &world.tenants {
        let mut namespace_vcs: Vec<(String, String, String)> = tenant
            .namespaces
            .iter()
            .zip(&tenant.vc_ids)
            .map(|(ns, vc)| {
                (
                    vc.clone(),
                    ns.clone(),
                    format!("{CLUSTER}-{}", ns.trim_start_matches("emr-")),
                )
            })
            .collect();
        if let (Some(shared), Some(ns)) = (&tenant.shared_vc_id, tenant.namespaces.first()) {
            namespace_vcs.push((
                shared.clone(),
                ns.clone(),
                format!("{CLUSTER}-{}-sandbox", tenant.name),
            ));
        }
        for (vc, ns, name) in &namespace_vcs {
            vcs.push(json!({
                "id": vc, "name": name, "arn": vc_arn(vc), "state": "RUNNING",
                "containerProvider": {"type": "EKS", "id": CLUSTER, "info": {"eksInfo": {"namespace": ns}}},
                "createdAt": date(rng, 4),
                "tags": {"team": tenant.name},
            }));
        }
        for (ns_index, vc) in tenant.vc_ids.iter().enumerate() {
            let jobs: Vec<Value> = tenant
                .jobs
                .get(ns_index)
                .into_iter()
                .flatten()
                .map(|job| {
                    let day = 24 - (job.days_ago % 23);
                    let created = format!("2025-11-{day:02}T{:02}:{:02}:{:02}+00:00", job.second / 3600 % 24, job.second / 60 % 60, job.second % 60);
                    let mut properties = serde_json::Map::new();
                    properties.insert("spark.sql.shuffle.partitions".into(), json!("200"));
                    if let Some(image) = &job.image_tag {
                        properties.insert("spark.kubernetes.container.image".into(), json!(image));
                    }
                    let mut run = json!({
                        "id": job.id,
                        "name": job.name,
                        "virtualClusterId": vc,
                        "arn": format!("{}/jobruns/{}", vc_arn(vc), job.id),
                        "state": if job.running { "RUNNING" } else { "COMPLETED" },
                        "clientToken": format!("{}-{}", job.name, rng.base36(8)),
                        "executionRoleArn": tenant.role_arn(),
                        "releaseLabel": job.release,
                        "configurationOverrides": {
                            "applicationConfiguration": [{"classification": "spark-defaults", "properties": properties}],
                            "monitoringConfiguration": monitoring(tenant, &job.name),
                        },
                        "jobDriver": {"sparkSubmitJobDriver": {
                            "entryPoint": format!("s3://{}/jobs/{}.py", tenant.bucket, job.name.replace('-', "_")),
                            "entryPointArguments": [],
                            "sparkSubmitParameters": "--conf spark.executor.instances=6 --conf spark.executor.memory=4G --conf spark.executor.cores=2 --conf spark.driver.cores=1",
                        }},
                        "createdAt": created,
                        "createdBy": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/pipeline", tenant.submitter),
                        "tags": {},
                        "retryPolicyConfiguration": {"maxAttempts": 1},
                        "retryPolicyExecution": {"currentAttemptCount": 1},
                    });
                    if !job.running {
                        run["finishedAt"] = json!(format!(
                            "2025-11-{day:02}T{:02}:{:02}:{:02}+00:00",
                            (job.second / 3600 + 1) % 24,
                            job.second / 60 % 60,
                            job.second % 60
                        ));
                    }
                    run
                })
                .collect();
            // Long histories come in pages, as `--max-items 25` prints them.
            let pages: Vec<&[Value]> = jobs.chunks(25).collect();
            if pages.len() <= 1 {
                out.json(
                    &format!("aws/emr-containers/list-job-runs/{vc}.json"),
                    &json!({"jobRuns": jobs}),
                )?;
            } else {
                for (p, chunk) in pages.iter().enumerate() {
                    let mut page = json!({"jobRuns": chunk});
                    if p + 1 < pages.len() {
                        page["NextToken"] = json!(base64_std(
                            format!("{{\"nextToken\": \"{}\"}}", rng.base36(32)).as_bytes()
                        ));
                    }
                    out.json(
                        &format!("aws/emr-containers/list-job-runs/{vc}.page-{}.json", p + 1),
                        &page,
                    )?;
                }
            }
            let endpoints: Vec<Value> = match (&tenant.endpoint, ns_index) {
                (Some(e), 0) => {
                    let sg = if tenant.has(Plant::DefaultEndpointSecurityGroup) {
                        DEFAULT_SG
                    } else {
                        e.security_group.as_str()
                    };
                    let internal = !tenant.has(Plant::InternetFacingEndpoint);
                    let dns = format!(
                        "{}{}-{}.{REGION}.elb.amazonaws.com",
                        if internal { "internal-" } else { "" },
                        e.load_balancer,
                        rng.between(100_000_000, 999_999_999)
                    );
                    vec![json!({
                        "id": e.id, "name": e.name,
                        "arn": format!("{}/endpoints/{}", vc_arn(vc), e.id),
                        "virtualClusterId": vc, "type": "JUPYTER_ENTERPRISE_GATEWAY", "state": "ACTIVE",
                        "releaseLabel": "emr-7.12.0-latest",
                        "executionRoleArn": tenant.role_arn(),
                        "certificateAuthority": {"certificateArn": format!("arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{}", rng.uuid()), "certificateData": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
                        "configurationOverrides": {
                            "applicationConfiguration": [{"classification": "spark-defaults", "properties": {"spark.driver.memory": "4G", "spark.executor.memory": "8G"}}],
                            "monitoringConfiguration": monitoring(tenant, &e.name),
                        },
                        "serverUrl": format!("https://{dns}:18888"),
                        "createdAt": date(rng, 5),
                        "securityGroup": sg,
                        "subnetIds": SUBNETS.iter().map(|s| s.0).collect::<Vec<_>>(),
                        "stateDetails": "Endpoint created successfully.",
                        "tags": {},
                    })]
                }
                _ => Vec::new(),
            };
            out.json(
                &format!("aws/emr-containers/list-managed-endpoints/{vc}.json"),
                &json!({"endpoints": endpoints}),
            )?;
        }
        // Job templates: a pinned nightly one, and the planted parametric one.
        let mut templates = vec![(
            tenant.template_id.clone(),
            format!("{}-nightly", tenant.name),
            tenant.role_arn(),
            None,
        )];
        if let Some(id) = &tenant.parametric_template_id {
            templates.push((
                id.clone(),
                format!("{}-adhoc", tenant.name),
                "${ExecutionRoleArn}".to_owned(),
                Some(json!({"ExecutionRoleArn": {"type": "STRING"}})),
            ));
        }
        for (id, name, role, parameters) in templates {
            let mut data = json!({
                "executionRoleArn": role,
                "releaseLabel": "emr-7.12.0-latest",
                "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": format!("s3://{}/jobs/nightly.py", tenant.bucket), "sparkSubmitParameters": "--conf spark.executor.instances=4"}},
                "configurationOverrides": {"monitoringConfiguration": monitoring(tenant, &name)},
            });
            if let Some(p) = parameters {
                data["parameterConfiguration"] = p;
            }
            out.json(
                &format!("aws/emr-containers/describe-job-template/{id}.json"),
                &json!({"jobTemplate": {
                    "name": name, "id": id,
                    "arn": format!("arn:aws:emr-containers:{REGION}:{ACCOUNT}:/jobtemplates/{id}"),
                    "createdAt": date(rng, 6),
                    "createdBy": tenant.submitter_arn(),
                    "tags": {},
                    "jobTemplateData": data,
                }}),
            )?;
        }
    }
    out.json(
        "aws/emr-containers/list-virtual-clusters.json",
        &json!({"virtualClusters": vcs}),
    )?;
    Ok(())
}

fn ec2_elb(world: &World, rng: &mut Rng, out: &mut Out) -> Result<(), SynthError> {
    let mut groups = lab::items("aws/ec2/describe-security-groups.json", "SecurityGroups")?;
    let mut balancers = lab::items("aws/elbv2/describe-load-balancers.json", "LoadBalancers")?;
    let mut lb_tags = lab::items("aws/elbv2/describe-tags.json", "TagDescriptions")?;
    let mut reservations = lab::items("aws/ec2/describe-instances.json", "Reservations")?;
    let egress = json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]);
    let sg =
        |id: &str, name: &str, description: &str, ingress: Value, tag_pairs: &[(&str, &str)]| {
            json!({
                "Description": description, "GroupName": name, "IpPermissions": ingress,
                "OwnerId": ACCOUNT, "GroupId": id, "IpPermissionsEgress": egress,
                "Tags": tags(tag_pairs), "VpcId": VPC,
                "SecurityGroupArn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{id}"),
            })
        };
    for tenant in &world.tenants {
        let Some(e) = &tenant.endpoint else { continue };
        let open = tenant.has(Plant::OpenEndpointSecurityGroup);
        let (v4, v6) = if open {
            (
                vec![json!({"CidrIp": "0.0.0.0/0", "Description": "notebooks from anywhere"})],
                vec![json!({"CidrIpv6": "::/0"})],
            )
        } else {
            (
                vec![json!({"CidrIp": STUDIO_CIDR, "Description": "EMR Studio workspaces"})],
                vec![],
            )
        };
        let ingress = json!([{"FromPort": 18888, "IpProtocol": "tcp", "ToPort": 18888, "IpRanges": v4, "Ipv6Ranges": v6, "PrefixListIds": [], "UserIdGroupPairs": []}]);
        groups.push(sg(
            &e.security_group,
            &format!("emr-studio-{}-endpoint", tenant.name),
            &format!("Load balancer of EMR managed endpoint {}", e.name),
            ingress,
            &[
                ("elbv2.k8s.aws/cluster", CLUSTER),
                ("emr-endpoint", &e.name),
            ],
        ));
        let ns = tenant.namespaces.first().map_or("", String::as_str);
        let internal = !tenant.has(Plant::InternetFacingEndpoint);
        let arn = format!(
            "arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{}/{}",
            e.load_balancer, e.load_balancer_suffix
        );
        let lb_sg = if tenant.has(Plant::DefaultEndpointSecurityGroup) {
            DEFAULT_SG
        } else {
            e.security_group.as_str()
        };
        balancers.push(json!({
            "LoadBalancerArn": arn,
            "DNSName": format!("{}{}-{}.{REGION}.elb.amazonaws.com", if internal { "internal-" } else { "" }, e.load_balancer, rng.between(100_000_000, 999_999_999)),
            "CanonicalHostedZoneId": "Z1H1FL5HABSF5",
            "CreatedTime": date(rng, 5),
            "LoadBalancerName": e.load_balancer,
            "Scheme": if internal { "internal" } else { "internet-facing" },
            "VpcId": VPC,
            "State": {"Code": "active"},
            "Type": "application",
            "AvailabilityZones": SUBNETS.iter().map(|(s, z, _)| json!({"ZoneName": z, "SubnetId": s, "LoadBalancerAddresses": []})).collect::<Vec<_>>(),
            "SecurityGroups": [lb_sg],
            "IpAddressType": "ipv4",
        }));
        lb_tags.push(json!({"ResourceArn": arn, "Tags": tags(&[("elbv2.k8s.aws/cluster", CLUSTER), ("ingress.k8s.aws/stack", &format!("{ns}/ingress-{}", e.id)), ("ingress.k8s.aws/resource", "LoadBalancer")])}));
    }
    // Security groups of the rest of the account, up to the size's count.
    let mut n = 0;
    while groups.len() < world.scale.security_groups {
        n += 1;
        let id = format!("sg-0{}", rng.hex(16));
        let app = world
            .apps
            .get(n % world.apps.len().max(1))
            .map_or("app", |a| a.name.as_str());
        let port = [5432, 6379, 443, 8080, 9092][n % 5];
        let ingress = json!([{"FromPort": port, "IpProtocol": "tcp", "ToPort": port,
            "IpRanges": [{"CidrIp": "10.40.0.0/16", "Description": "from the VPC"}], "Ipv6Ranges": [], "PrefixListIds": [],
            "UserIdGroupPairs": [{"GroupId": CLUSTER_SG, "UserId": ACCOUNT}]}]);
        groups.push(sg(
            &id,
            &format!("{app}-{n:05}"),
            &format!("{app} data store"),
            ingress,
            &[("Name", &format!("{app}-{n:05}"))],
        ));
    }
    // Instances of the synthetic node groups.
    for node in &world.nodes {
        let ng = world
            .nodegroups
            .get(node.nodegroup)
            .map_or("", String::as_str);
        let (subnet, zone, _) = SUBNETS.get(node.zone).copied().unwrap_or(SUBNETS[0]);
        reservations.push(json!({
            "ReservationId": format!("r-0{}", rng.hex(16)),
            "OwnerId": ACCOUNT,
            "Groups": [],
            "Instances": [{
                "AmiLaunchIndex": 0, "ImageId": "ami-0c5d2e7f1a3b4c6d8", "InstanceId": node.instance_id,
                "InstanceType": "m6i.4xlarge", "LaunchTime": date(rng, 11),
                "Placement": {"AvailabilityZone": zone, "Tenancy": "default"},
                "PrivateDnsName": node.name, "PrivateIpAddress": node.ip,
                "State": {"Code": 16, "Name": "running"}, "SubnetId": subnet, "VpcId": VPC,
                "IamInstanceProfile": {"Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/eks-ng-workers"), "Id": format!("AIPA{}", rng.upper(17))},
                "SecurityGroups": [{"GroupName": "eks-cluster-sg-analytics-1796724592", "GroupId": CLUSTER_SG}],
                "Tags": tags(&[("eks:cluster-name", CLUSTER), ("eks:nodegroup-name", ng), ("Name", &format!("{CLUSTER}-{ng}"))]),
                "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled"},
            }],
        }));
    }
    out.json(
        "aws/ec2/describe-security-groups.json",
        &json!({"SecurityGroups": groups}),
    )?;
    out.json(
        "aws/ec2/describe-instances.json",
        &json!({"Reservations": reservations}),
    )?;
    out.json(
        "aws/elbv2/describe-load-balancers.json",
        &json!({"LoadBalancers": balancers}),
    )?;
    out.json(
        "aws/elbv2/describe-tags.json",
        &json!({"TagDescriptions": lb_tags}),
    )?;
    Ok(())
}

/// A CloudTrail record of an execution role's session.
#[allow(clippy::too_many_arguments)]
fn record(
    rng: &mut Rng,
    tenant: &Tenant,
    day: usize,
    source: &str,
    name: &str,
    params: Value,
    resources: Value,
    data: bool,
) -> Value {
    let session = format!("aws-sdk-java-17638{}", rng.between(10_000, 99_999));
    let role_id = format!("AROA{}", tenant.name.len());
    json!({
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": format!("{role_id}:{session}"),
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/{session}", tenant.role),
            "accountId": ACCOUNT,
            "accessKeyId": format!("ASIA{}", rng.upper(16)),
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": role_id, "arn": tenant.role_arn(), "accountId": ACCOUNT, "userName": tenant.role},
                "webIdFederationData": {"federatedProvider": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_PROVIDER}"), "attributes": {}},
                "attributes": {"creationDate": format!("2025-11-{day:02}T00:00:00Z"), "mfaAuthenticated": "false"},
            },
        },
        "eventTime": format!("2025-11-{day:02}T{:02}:{:02}:{:02}Z", rng.below(24), rng.below(60), rng.below(60)),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "44.230.18.201",
        "userAgent": "aws-sdk-java/2.29.52 md/io#sync md/http#Apache ua/2.1 os/Linux#6.1.155 lang/java#17.0.16 Hadoop/3.4.1",
        "requestParameters": params,
        "responseElements": null,
        "requestID": rng.upper(16),
        "eventID": rng.uuid(),
        "readOnly": name.starts_with("Get") || name.starts_with("List") || name.starts_with("Describe"),
        "resources": resources,
        "eventType": "AwsApiCall",
        "managementEvent": !data,
        "recipientAccountId": ACCOUNT,
        "eventCategory": if data { "Data" } else { "Management" },
    })
}

/// CloudTrail: every permission of every synthetic execution role in use (log files, gzip),
/// and the submitters' StartJobRun calls (`lookup-events`).
fn cloudtrail(world: &World, rng: &mut Rng, out: &mut Out) -> Result<(), SynthError> {
    let mut records = Vec::new();
    let mut lookup = lab::items("aws/cloudtrail/lookup-events.json", "Events")?;
    for tenant in &world.tenants {
        let bucket = &tenant.bucket;
        let log_group = format!(
            "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{}",
            tenant.log_group
        );
        for repeat in 0..world.scale.trail_repeats {
            let day = 24 - (repeat * 3 + tenant.index) % 20;
            let key = format!("output/part-{:05}.parquet", rng.below(1000));
            let object = json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")}, {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]);
            for name in ["GetObject", "PutObject", "DeleteObject"] {
                records.push(record(rng, tenant, day, "s3.amazonaws.com", name, json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{REGION}.amazonaws.com"), "key": key}), object.clone(), true));
            }
            records.push(record(rng, tenant, day, "s3.amazonaws.com", "ListObjects", json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{REGION}.amazonaws.com"), "prefix": "output/"}), json!([{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]), true));
            let stream = format!("{}/jobs/driver", tenant.name);
            let group =
                json!([{"accountId": ACCOUNT, "type": "AWS::Logs::LogGroup", "ARN": log_group}]);
            records.push(record(
                rng,
                tenant,
                day,
                "logs.amazonaws.com",
                "CreateLogStream",
                json!({"logGroupName": tenant.log_group, "logStreamName": stream}),
                group.clone(),
                false,
            ));
            records.push(record(
                rng,
                tenant,
                day,
                "logs.amazonaws.com",
                "DescribeLogStreams",
                json!({"logGroupName": tenant.log_group}),
                group.clone(),
                false,
            ));
            records.push(record(
                rng,
                tenant,
                day,
                "logs.amazonaws.com",
                "PutLogEvents",
                json!({"logGroupName": tenant.log_group, "logStreamName": stream}),
                group,
                true,
            ));
        }
        for (ns_index, vc) in tenant.vc_ids.iter().enumerate() {
            for job in tenant.jobs.get(ns_index).into_iter().flatten().take(2) {
                let id = rng.uuid();
                let event = json!({
                    "eventVersion": "1.11",
                    "userIdentity": {"type": "AssumedRole", "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/pipeline", tenant.submitter), "accountId": ACCOUNT,
                        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": tenant.submitter_arn(), "accountId": ACCOUNT, "userName": tenant.submitter}}},
                    "eventTime": "2025-11-24T09:40:12Z",
                    "eventSource": "emr-containers.amazonaws.com",
                    "eventName": "StartJobRun",
                    "awsRegion": REGION,
                    "requestParameters": {"virtualClusterId": vc, "name": job.name, "executionRoleArn": tenant.role_arn(), "releaseLabel": job.release},
                    "responseElements": null,
                    "eventID": id,
                    "readOnly": false,
                    "eventType": "AwsApiCall",
                    "managementEvent": true,
                    "recipientAccountId": ACCOUNT,
                });
                lookup.push(json!({
                    "EventId": id, "EventName": "StartJobRun", "ReadOnly": "false",
                    "EventTime": "2025-11-24T09:40:12+00:00", "EventSource": "emr-containers.amazonaws.com",
                    "Username": "pipeline", "Resources": [],
                    "CloudTrailEvent": serde_json::to_string(&event).map_err(|e| SynthError::Encode(e.to_string()))?,
                }));
            }
        }
    }
    // Log files of about 500 records, as CloudTrail delivers them.
    for (i, chunk) in records.chunks(500).enumerate() {
        let name = format!(
            "aws/cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2025/11/24/{ACCOUNT}_CloudTrail_{REGION}_20251124T{:02}{:02}Z_{}.json.gz",
            i / 60 % 24,
            i % 60,
            rng.base36(16)
        );
        out.json_gz(&name, &json!({"Records": chunk}))?;
    }
    out.json(
        "aws/cloudtrail/lookup-events.json",
        &json!({"Events": lookup}),
    )?;
    Ok(())
}

/// Writes every AWS file.
pub(crate) fn write(world: &World, out: &mut Out) -> Result<(), SynthError> {
    // The lab's files that are not merged with synthetic ones, as they are.
    let merged = [
        "aws/cloudtrail/lookup-events.json",
        "aws/ec2/describe-instances.json",
        "aws/ec2/describe-security-groups.json",
        "aws/eks/list-access-entries.json",
        "aws/eks/list-nodegroups.json",
        "aws/elbv2/describe-load-balancers.json",
        "aws/elbv2/describe-tags.json",
        "aws/emr-containers/list-virtual-clusters.json",
        "aws/iam/get-account-authorization-details.page-1.json",
        "aws/iam/get-account-authorization-details.page-2.json",
    ];
    for (path, text) in lab::FILES {
        if path.starts_with("aws/") && !merged.contains(path) {
            out.bytes(path, text.as_bytes())?;
        }
    }
    let mut rng = Rng::new(world.seed, 3);
    iam(world, &mut rng, out)?;
    eks(world, &mut rng, out)?;
    emr(world, &mut rng, out)?;
    ec2_elb(world, &mut rng, out)?;
    cloudtrail(world, &mut rng, out)?;
    Ok(())
}
