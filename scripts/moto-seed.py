#!/usr/bin/env python3
"""Seeds a moto server with an EMR on EKS account through the AWS API (boto3).

Usage: moto-seed.py --endpoint URL [--region REGION] [--reset] [--manifest FILE]

Creates one EKS cluster ("analytics") with its VPC, subnets, route tables, security groups, a
launch template and a node group, an IAM OIDC provider, execution roles with IRSA trust
policies (one with AdministratorAccess, one least-privilege), a node role, a job submitter,
two EMR on EKS virtual clusters with job runs, an internal load balancer and an instance.
Services or calls the server does not implement are listed in the manifest under
"unsupported" instead of being imitated: the snapshot then lacks that data, as it would
against an account that denies the call.

--reset empties the server first (moto's /moto-api/reset), so seeding twice gives the same
account. --manifest writes what was created (names, ids, ARNs) as JSON.
"""

import argparse
import json
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
CLUSTER = "analytics"
ADMIN_ROLE = "emr-analytics-admin-exec"
ETL_ROLE = "emr-analytics-etl-exec"
NODE_ROLE = "analytics-node-role"
CLUSTER_ROLE = "analytics-cluster-role"
SUBMITTER = "data-engineer"
RELEASE = "emr-6.15.0-latest"


def base36(name):
    """EMR on EKS's encoding of a role name in its service-account names."""
    number = int.from_bytes(name.encode(), "big")
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return digits or "0"


def irsa_trust(provider_arn, issuer_host, namespace, role_name):
    """The trust policy `aws emr-containers update-role-trust-policy` writes."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringLike": {
                        f"{issuer_host}:sub": f"system:serviceaccount:{namespace}:"
                        f"emr-containers-sa-*-*-{ACCOUNT}-{base36(role_name)}"
                    }
                },
            }
        ],
    }


def service_trust(service):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-west-2")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--manifest")
    args = parser.parse_args()

    if args.reset:
        request = urllib.request.Request(f"{args.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def client(service):
        return boto3.client(
            service,
            endpoint_url=args.endpoint,
            region_name=args.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            # moto answers unimplemented calls with errors that retrying cannot fix.
            config=Config(retries={"max_attempts": 1}),
        )

    iam, ec2, eks = client("iam"), client("ec2"), client("eks")
    emr, elb = client("emr-containers"), client("elbv2")
    manifest = {"account": ACCOUNT, "region": args.region, "cluster": CLUSTER, "unsupported": []}

    def unsupported(what, error):
        manifest["unsupported"].append({"call": what, "error": str(error).splitlines()[0]})

    # Network: one VPC, two private subnets and one public one, each with its route table.
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets = {}
    for name, cidr, zone, public in [
        ("private-a", "10.42.1.0/24", "a", False),
        ("private-b", "10.42.2.0/24", "b", False),
        ("public-a", "10.42.101.0/24", "a", True),
    ]:
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=cidr,
            AvailabilityZone=f"{args.region}{zone}",
            TagSpecifications=[
                {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": f"{CLUSTER}-{name}"}]}
            ],
        )["Subnet"]["SubnetId"]
        if public:
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        if public:
            ec2.create_route(
                RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw
            )
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        subnets[name] = {"id": subnet, "cidr": cidr, "public": public, "route_table": table}
    manifest["vpc"] = vpc
    manifest["subnets"] = subnets
    private = [subnets["private-a"]["id"], subnets["private-b"]["id"]]

    groups = {}
    for name, description, ingress in [
        ("cluster", "EKS cluster", [("10.42.0.0/16", 443)]),
        ("endpoint", "EMR managed endpoint", [("10.42.0.0/16", 18888)]),
        ("open-endpoint", "EMR managed endpoint, open", [("0.0.0.0/0", 18888)]),
    ]:
        group = ec2.create_security_group(
            GroupName=f"{CLUSTER}-{name}", Description=description, VpcId=vpc
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "IpRanges": [{"CidrIp": cidr}],
                }
                for cidr, port in ingress
            ],
        )
        groups[name] = {"id": group, "name": f"{CLUSTER}-{name}", "ingress": ingress}
    manifest["security_groups"] = groups

    # IAM: the cluster and node roles with AWS managed policies.
    cluster_role = iam.create_role(
        RoleName=CLUSTER_ROLE, AssumeRolePolicyDocument=json.dumps(service_trust("eks.amazonaws.com"))
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName=CLUSTER_ROLE, PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    node_role = iam.create_role(
        RoleName=NODE_ROLE, AssumeRolePolicyDocument=json.dumps(service_trust("ec2.amazonaws.com"))
    )["Role"]["Arn"]
    for policy in [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
    ]:
        iam.attach_role_policy(RoleName=NODE_ROLE, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")

    # EKS: the cluster, its OIDC provider, a launch template with IMDSv2 and a node group.
    cluster = eks.create_cluster(
        name=CLUSTER,
        version="1.30",
        roleArn=cluster_role,
        resourcesVpcConfig={
            "subnetIds": private,
            "securityGroupIds": [groups["cluster"]["id"]],
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
    )["cluster"]
    issuer = cluster["identity"]["oidc"]["issuer"]
    issuer_host = issuer.removeprefix("https://")
    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40]
    )["OpenIDConnectProviderArn"]
    manifest["cluster_arn"] = cluster["arn"]
    manifest["oidc_issuer"] = issuer

    template = ec2.create_launch_template(
        LaunchTemplateName=f"{CLUSTER}-spark-nodes",
        LaunchTemplateData={
            "InstanceType": "m5.xlarge",
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        },
    )["LaunchTemplate"]["LaunchTemplateId"]
    eks.create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName="spark",
        subnets=private,
        nodeRole=node_role,
        launchTemplate={"id": template, "version": "1"},
        labels={"workload": "spark"},
    )
    manifest["nodegroup"] = "spark"
    manifest["launch_template"] = template

    # An instance of the node group, as EC2 reports it.
    # moto does not check image ids unless told to (listing its images takes seconds).
    instance = ec2.run_instances(
        ImageId="ami-0abcdef1234567890",
        MinCount=1,
        MaxCount=1,
        SubnetId=private[0],
        LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "eks:nodegroup-name", "Value": "spark"}],
            }
        ],
    )["Instances"][0]["InstanceId"]
    manifest["instance"] = instance

    # Execution roles with the trust policy EMR's update-role-trust-policy writes.
    admin_role = iam.create_role(
        RoleName=ADMIN_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            irsa_trust(provider, issuer_host, "emr-team-a", ADMIN_ROLE)
        ),
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName=ADMIN_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    etl_role = iam.create_role(
        RoleName=ETL_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            irsa_trust(provider, issuer_host, "emr-team-b", ETL_ROLE)
        ),
    )["Role"]["Arn"]
    data_policy = iam.create_policy(
        PolicyName="emr-analytics-etl-data",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": "arn:aws:s3:::analytics-etl/team-b/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": "arn:aws:s3:::analytics-etl",
                    },
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=ETL_ROLE, PolicyArn=data_policy)
    iam.put_role_policy(
        RoleName=ETL_ROLE,
        PolicyName="logs",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"arn:aws:logs:{args.region}:{ACCOUNT}:log-group:/emr/team-b:*",
                    }
                ],
            }
        ),
    )
    manifest["roles"] = {
        "admin_exec": {"name": ADMIN_ROLE, "arn": admin_role},
        "etl_exec": {"name": ETL_ROLE, "arn": etl_role},
        "node": {"name": NODE_ROLE, "arn": node_role},
        "cluster": {"name": CLUSTER_ROLE, "arn": cluster_role},
    }
    manifest["policies"] = {"etl_data": data_policy}
    manifest["oidc_provider"] = provider

    # A job submitter pinned to the least-privilege execution role.
    user = iam.create_user(UserName=SUBMITTER)["User"]["Arn"]
    iam.put_user_policy(
        UserName=SUBMITTER,
        PolicyName="submit-team-b",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["emr-containers:StartJobRun", "emr-containers:DescribeJobRun"],
                        "Resource": "*",
                        "Condition": {
                            "ArnEquals": {"emr-containers:ExecutionRoleArn": etl_role}
                        },
                    }
                ],
            }
        ),
    )
    manifest["user"] = {"name": SUBMITTER, "arn": user}

    # EMR on EKS: a virtual cluster per team namespace, and a job run on each.
    clusters = {}
    for team, role in [("emr-team-a", admin_role), ("emr-team-b", etl_role)]:
        vc = emr.create_virtual_cluster(
            name=team,
            containerProvider={
                "id": CLUSTER,
                "type": "EKS",
                "info": {"eksInfo": {"namespace": team}},
            },
        )
        run = emr.start_job_run(
            virtualClusterId=vc["id"],
            name=f"{team}-nightly",
            executionRoleArn=role,
            releaseLabel=RELEASE,
            jobDriver={
                "sparkSubmitJobDriver": {
                    "entryPoint": f"s3://analytics-etl/{team}/job.py",
                    "sparkSubmitParameters": "--conf spark.executor.instances=2",
                }
            },
        )
        clusters[team] = {
            "id": vc["id"],
            "arn": vc["arn"],
            "namespace": team,
            "job_run": {"id": run["id"], "execution_role": role, "release_label": RELEASE},
        }
    manifest["virtual_clusters"] = clusters

    for what, call in [
        (
            "emr-containers create-managed-endpoint",
            lambda: emr.create_managed_endpoint(
                name="notebooks",
                virtualClusterId=clusters["emr-team-b"]["id"],
                type="JUPYTER_ENTERPRISE_GATEWAY",
                releaseLabel=RELEASE,
                executionRoleArn=etl_role,
            ),
        ),
        (
            "emr-containers create-job-template",
            lambda: emr.create_job_template(
                name="nightly",
                clientToken="nightly",
                jobTemplateData={
                    "executionRoleArn": etl_role,
                    "releaseLabel": RELEASE,
                    "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "s3://x/job.py"}},
                },
            ),
        ),
        (
            "eks create-access-entry",
            lambda: eks.create_access_entry(clusterName=CLUSTER, principalArn=user),
        ),
        (
            "eks create-pod-identity-association",
            lambda: eks.create_pod_identity_association(
                clusterName=CLUSTER, namespace="emr-team-b", serviceAccount="etl", roleArn=etl_role
            ),
        ),
    ]:
        try:
            call()
        except ClientError as error:
            unsupported(what, error)

    # An internal load balancer in the private subnets, tagged like EMR's.
    balancer = elb.create_load_balancer(
        Name=f"{CLUSTER}-notebooks",
        Subnets=private,
        SecurityGroups=[groups["endpoint"]["id"]],
        Scheme="internal",
        Type="application",
        Tags=[{"Key": "emr-containers.amazonaws.com/virtual-cluster-id", "Value": clusters["emr-team-b"]["id"]}],
    )["LoadBalancers"][0]
    manifest["load_balancer"] = {
        "arn": balancer["LoadBalancerArn"],
        "scheme": balancer["Scheme"],
        "vpc": balancer.get("VpcId"),
    }

    cloudtrail = client("cloudtrail")
    try:
        cloudtrail.lookup_events(MaxResults=1)
    except ClientError as error:
        unsupported("cloudtrail lookup-events", error)

    text = json.dumps(manifest, indent=2, sort_keys=True)
    if args.manifest:
        with open(args.manifest, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
