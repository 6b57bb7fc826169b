"""The Pulumi program under mocks, with the committed dev and prod stack files."""

from __future__ import annotations

import ipaddress

from mysql_platform.components.program import program
from mysql_platform.core import contract
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.stacks import FEATURES, SSH_CIDR, SSH_KEY, TWO_REPLICAS

RDS = "aws:rds/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
EC2 = "aws:ec2/instance:Instance"
COMPONENT_PREFIX = "mysql-platform:"


def primary(run: ProgramRun):  # type: ignore[no-untyped-def]
    return run.one(RDS, "db-primary-instance")


def replicas(run: ProgramRun):  # type: ignore[no-untyped-def]
    return [r for r in run.of_type(RDS) if r.plain("replicateSourceDb")]


def ingress_on(run: ProgramRun, sg_name: str):  # type: ignore[no-untyped-def]
    sg_id = f"{sg_name}-id"
    return [r for r in run.of_type(INGRESS) if r.plain("securityGroupId") == sg_id]


def subnet_ids_in_group(run: ProgramRun) -> list[str]:
    (group,) = [g for g in run.of_type(SUBNET_GROUP) if g.name.startswith("db-primary-subnets-")]
    return group.plain("subnetIds")


def subnets_by_id(run: ProgramRun):  # type: ignore[no-untyped-def]
    return {run.id_of(s): s for s in run.of_type(SUBNET)}


# --- dev ------------------------------------------------------------------------------------


def test_dev_db_is_public_and_admits_only_the_allowed_cidrs(dev: ProgramRun) -> None:
    db = primary(dev)
    assert db.plain("publiclyAccessible") is True
    rules = ingress_on(dev, "db-primary-sg")
    cidr_rules = [r for r in rules if r.plain("cidrIpv4") or r.plain("cidrIpv6")]
    assert [r.plain("cidrIpv4") for r in cidr_rules] == ["203.0.113.10/32"]
    assert all(r.plain("fromPort") == 3306 == r.plain("toPort") for r in rules)
    # The other rule admits the host's security group, not an address range.
    sg_rules = [r for r in rules if r.plain("referencedSecurityGroupId")]
    assert [r.plain("referencedSecurityGroupId") for r in sg_rules] == ["host-sg-id"]


def test_dev_db_uses_public_subnets_that_route_to_the_gateway(dev: ProgramRun) -> None:
    subnets = subnets_by_id(dev)
    group = subnet_ids_in_group(dev)
    assert all(subnets[s].plain("mapPublicIpOnLaunch") for s in group)
    public_rt = dev.one(ROUTE_TABLE, "network-public-rt")
    assert public_rt.plain("routes") == [{"cidrBlock": "0.0.0.0/0", "gatewayId": "network-igw-id"}]
    associated = {
        a.plain("subnetId") for a in dev.of_type(RTA) if a.plain("routeTableId") == "network-public-rt-id"
    }
    assert set(group) <= associated


def test_dev_is_free_tier_and_disposable(dev: ProgramRun) -> None:
    db = primary(dev)
    assert db.plain("instanceClass") in ("db.t3.micro", "db.t4g.micro")
    assert db.plain("allocatedStorage") == 20
    assert db.plain("multiAz") is False
    assert db.plain("deletionProtection") is False
    assert db.plain("skipFinalSnapshot") is True
    assert db.protect is False
    assert db.plain("backupRetentionPeriod") == 1
    assert dev.one(EC2, "host-instance").plain("instanceType") == "t3.micro"


def test_dev_fits_the_free_tier_with_nothing_else_billed_by_default(dev: ProgramRun) -> None:
    # Free tier: one micro DB instance, single AZ, 20 GiB gp2/gp3; a replica is a second,
    # billed instance, and autoscaling past 20 GiB bills the extra storage.
    assert [r.name for r in dev.of_type(RDS)] == ["db-primary-instance"]
    db = primary(dev)
    assert db.plain("maxAllocatedStorage") == 0, "0 turns storage autoscaling off (provider doc)"
    assert db.plain("performanceInsightsEnabled") is False
    # No Elastic IP (one more public IPv4) and no NAT gateway.
    assert not dev.of_type("aws:ec2/eip:Eip")
    assert not dev.of_type("aws:ec2/natGateway:NatGateway")


def test_dev_replica_pair_is_one_config_line_away() -> None:
    run = shared_run(program, "dev", overrides={"dbReplicaCount": 1})
    assert [r.name for r in replicas(run)] == ["db-replica-1"]


# --- prod -----------------------------------------------------------------------------------


def test_prod_db_is_private_multi_az_protected_and_keeps_a_final_snapshot(prod: ProgramRun) -> None:
    db = primary(prod)
    assert db.plain("publiclyAccessible") is False
    assert db.plain("multiAz") is True
    assert db.plain("deletionProtection") is True
    assert db.protect is True
    assert db.plain("skipFinalSnapshot") is False
    assert db.plain("identifier").startswith("mysql-prod-primary-")
    assert db.plain("finalSnapshotIdentifier") == f"{db.plain('identifier')}-final"
    assert db.plain("backupRetentionPeriod") == 7
    assert db.plain("instanceClass") not in ("db.t3.micro", "db.t4g.micro")


def test_prod_db_admits_only_the_host_security_group(prod: ProgramRun) -> None:
    rules = ingress_on(prod, "db-primary-sg")
    assert rules, "the DB must admit the host"
    for rule in rules:
        assert rule.plain("referencedSecurityGroupId") == "host-sg-id"
        assert rule.plain("cidrIpv4") is None and rule.plain("cidrIpv6") is None


def test_prod_db_subnets_have_no_route_to_the_internet(prod: ProgramRun) -> None:
    subnets = subnets_by_id(prod)
    group = subnet_ids_in_group(prod)
    assert all(subnets[s].plain("mapPublicIpOnLaunch") is False for s in group)
    tables = {a.plain("subnetId"): a.plain("routeTableId") for a in prod.of_type(RTA)}
    for subnet_id in group:
        table = prod.by_urn(
            next(r.urn for r in prod.of_type(ROUTE_TABLE) if f"{r.name}-id" == tables[subnet_id])
        )
        assert not table.plain("routes"), f"{subnet_id} is routed by {table.name}: {table.plain('routes')}"
    assert not prod.of_type("aws:ec2/natGateway:NatGateway")


# --- both stacks ----------------------------------------------------------------------------


def test_db_subnet_groups_span_at_least_two_azs(any_stack: ProgramRun) -> None:
    subnets = subnets_by_id(any_stack)
    azs = {subnets[s].plain("availabilityZone") for s in subnet_ids_in_group(any_stack)}
    assert len(azs) >= 2


def test_no_ingress_from_the_whole_internet(any_stack: ProgramRun) -> None:
    for rule in any_stack.of_type(INGRESS):
        for key in ("cidrIpv4", "cidrIpv6"):
            cidr = rule.plain(key)
            if cidr:
                assert ipaddress.ip_network(cidr).prefixlen > 0, (
                    f"{rule.name} opens port {rule.plain('fromPort')}"
                )
    for sg in any_stack.of_type(SG):
        assert not sg.plain("ingress"), "inline rules bypass the per-rule checks"


def test_ssh_ingress_only_from_configured_cidrs(any_stack: ProgramRun) -> None:
    # Neither committed stack names an SSH CIDR: Session Manager is the way in.
    assert [r for r in ingress_on(any_stack, "host-sg") if r.plain("fromPort") == 22] == []


def test_each_replica_points_at_the_primary_and_sets_no_credentials(prod: ProgramRun) -> None:
    any_stack = prod
    reps = replicas(any_stack)
    assert len(reps) == 1
    source = any_stack.outputs_of(primary(any_stack))["identifier"]
    for rep in reps:
        assert rep.plain("replicateSourceDb") == source
        for key in ("username", "password", "dbName", "dbSubnetGroupName", "engine", "allocatedStorage"):
            assert rep.plain(key) is None, f"replica sets {key}"
        assert rep.plain("skipFinalSnapshot") is True
        assert rep.plain("parameterGroupName") == primary(any_stack).plain("parameterGroupName")
        assert rep.plain("publiclyAccessible") == primary(any_stack).plain("publiclyAccessible")
        assert rep.plain("vpcSecurityGroupIds") == primary(any_stack).plain("vpcSecurityGroupIds")


def test_primary_keeps_backups_and_secure_storage(any_stack: ProgramRun) -> None:
    db = primary(any_stack)
    assert db.plain("backupRetentionPeriod") >= 1
    assert db.plain("engine") == "mysql"
    assert db.plain("storageType") == "gp3"
    assert db.plain("storageEncrypted") is True
    # 0 (off) or above the allocated size.
    ceiling = db.plain("maxAllocatedStorage")
    assert ceiling == 0 or ceiling > db.plain("allocatedStorage")
    assert db.plain("copyTagsToSnapshot") is True
    assert db.plain("enabledCloudwatchLogsExports") == ["error", "slowquery"]
    assert db.plain("manageMasterUserPassword") is None


def test_parameter_group_enforces_utf8mb4_tls_and_row_binlog(any_stack: ProgramRun) -> None:
    group = any_stack.one("aws:rds/parameterGroup:ParameterGroup", "db-primary-params")
    assert group.plain("family") == "mysql8.4"
    params = {p["name"]: p["value"] for p in group.plain("parameters")}
    assert params["character_set_server"] == "utf8mb4"
    assert params["require_secure_transport"] == "ON"
    assert params["binlog_format"] == "ROW"
    # The proxy's TCP checks must not get the host blocked (default 100 errors).
    assert int(params["max_connect_errors"]) >= 100000


def test_password_is_generated_and_secret_in_and_out(any_stack: ProgramRun) -> None:
    db = primary(any_stack)
    assert db.is_secret("password"), "the RDS password input must be a secret"
    generated = any_stack.outputs_of(
        any_stack.one("random:index/randomPassword:RandomPassword", "db-primary-password")
    )
    assert db.plain("password") == generated["result"]
    assert contract.DB_PASSWORD in any_stack.secret_exports
    assert any_stack.exports[contract.DB_PASSWORD] == generated["result"]
    # Only the password is secret: db stays readable in `pulumi stack output`.
    assert any_stack.secret_exports == {contract.DB_PASSWORD}


def test_host_is_hardened_and_reachable_by_session_manager(any_stack: ProgramRun) -> None:
    host = any_stack.one(EC2, "host-instance")
    assert host.plain("metadataOptions")["httpTokens"] == "required"
    root = host.plain("rootBlockDevice")
    assert root["volumeType"] == "gp3" and root["encrypted"] is True
    assert (
        host.plain("iamInstanceProfile")
        == any_stack.outputs_of(any_stack.one("aws:iam/instanceProfile:InstanceProfile", "host-profile"))[
            "name"
        ]
    )
    attachment = any_stack.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "host-ssm-core")
    assert attachment.plain("policyArn") == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    assert "dnf install -y mariadb105" in host.plain("userData")
    assert host.ignore_changes == ["ami"]
    ami_lookups = [a for t, a in any_stack.calls if t == "aws:ssm/getParameter:getParameter"]
    assert ami_lookups == [{"name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"}]
    subnets = subnets_by_id(any_stack)
    assert subnets[host.plain("subnetId")].plain("mapPublicIpOnLaunch") is True


def test_every_resource_is_parented_to_its_component(any_stack: ProgramRun) -> None:
    components = {r.urn: r for r in any_stack.resources if r.type.startswith(COMPONENT_PREFIX)}
    assert {c.type for c in components.values()} == {
        "mysql-platform:network:Network",
        "mysql-platform:ec2_host:Ec2Host",
        "mysql-platform:replicated:ReplicatedMySql",
        "mysql-platform:database:MySqlDatabase",
        "mysql-platform:alerts:Alerts",
    }
    root = (
        f"urn:pulumi:{any_stack.stack}::mysql-platform::pulumi:pulumi:Stack::mysql-platform-{any_stack.stack}"
    )
    for r in any_stack.resources:
        if not r.custom:
            assert r.parent_urn in (root, *components), f"component {r.name} has a stray parent"
            continue
        assert r.parent_urn in components, f"{r.type} {r.name} is not parented to a component"
        parent = components[r.parent_urn]
        assert r.name.startswith(f"{parent.name}-"), f"{r.name} is not named after {parent.name}"
        assert r.urn.endswith(f"{parent.type}${r.type}::{r.name}")
    primary_component = any_stack.one("mysql-platform:database:MySqlDatabase", "db-primary")
    assert components[primary_component.parent_urn].type == "mysql-platform:replicated:ReplicatedMySql"


def test_outputs_contract_has_every_key(any_stack: ProgramRun) -> None:
    exports = any_stack.exports
    assert set(exports) == {*contract.REQUIRED_KEYS, contract.ALERTS}
    assert exports[contract.ENVIRONMENT] == any_stack.stack
    assert set(exports[contract.HOST]) == set(contract.HOST_KEYS)
    assert set(exports[contract.DB]) == set(contract.DB_KEYS)
    db = exports[contract.DB]
    assert db["writer"]["port"] == 3306
    assert db["writer"]["host"].startswith(f"mysql-{any_stack.stack}-primary-")
    expected_readers = {"dev": [], "prod": [f"mysql-{any_stack.stack}-replica-1"]}[any_stack.stack]
    assert [r["host"].split(".")[0].rsplit("-", 1)[0] for r in db["readers"]] == expected_readers
    assert exports[contract.HOST]["ssh_user"] == "ec2-user"


def test_exports_parse_with_the_bootstrap_parser(any_stack: ProgramRun) -> None:
    from mysql_platform.core.outputs import parse_outputs

    parsed = parse_outputs(any_stack.exports)
    assert parsed.environment == any_stack.stack
    assert parsed.db.publicly_accessible is (any_stack.stack == "dev")
    assert parsed.db.multi_az is (any_stack.stack == "prod")
    assert len(parsed.db.readers) == {"dev": 0, "prod": 1}[any_stack.stack]


# --- host and replica settings reach their resources ----------------------------------------

KEY_PAIR = "aws:ec2/keyPair:KeyPair"


def test_an_ssh_cidr_opens_exactly_port_22_from_that_cidr_on_the_host() -> None:
    run = shared_run(program, "prod", overrides=FEATURES)
    # The host's other rules are the proxy's ports, from the proxy's own sources.
    rules = [
        r
        for r in ingress_on(run, "host-sg")
        if r.plain("cidrIpv4") == SSH_CIDR or r.plain("toPort") >= 22 >= r.plain("fromPort")
    ]
    (rule,) = rules
    assert (rule.plain("fromPort"), rule.plain("toPort"), rule.plain("ipProtocol")) == (22, 22, "tcp")
    assert rule.plain("cidrIpv4") == SSH_CIDR
    assert rule.plain("cidrIpv6") is None and rule.plain("referencedSecurityGroupId") is None


def test_an_ssh_public_key_becomes_the_hosts_key_pair() -> None:
    run = shared_run(program, "prod", overrides=FEATURES)
    key = run.one(KEY_PAIR, "host-key")
    assert key.plain("publicKey") == SSH_KEY
    assert run.one(EC2, "host-instance").plain("keyName") == run.outputs_of(key)["keyName"]


def test_without_an_ssh_public_key_there_is_no_key_pair(any_stack: ProgramRun) -> None:
    assert any_stack.of_type(KEY_PAIR) == []
    assert any_stack.one(EC2, "host-instance").plain("keyName") is None


def test_a_graviton_host_runs_the_arm64_image() -> None:
    run = shared_run(program, "dev", overrides={"hostInstanceType": "t4g.micro"})
    host = run.one(EC2, "host-instance")
    assert host.plain("instanceType") == "t4g.micro"
    lookups = [a["name"] for t, a in run.calls if t == "aws:ssm/getParameter:getParameter"]
    assert lookups == ["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"]
    # The image id is the value of that parameter (the mocks answer every lookup with this id).
    assert host.plain("ami") == "ami-0abcdef1234567890"


def test_replica_instance_class_sets_the_replicas_and_leaves_the_primary() -> None:
    run = shared_run(program, "prod", overrides=TWO_REPLICAS)
    assert TWO_REPLICAS["dbReplicaInstanceClass"] == "db.r6g.large"
    assert [r.plain("instanceClass") for r in replicas(run)] == ["db.r6g.large", "db.r6g.large"]
    assert primary(run).plain("instanceClass") == "db.t4g.medium"


# --- switching dbPubliclyAccessible ---------------------------------------------------------


def subnet_group_names(run: ProgramRun) -> list[str]:
    return sorted(g.name for g in run.of_type(SUBNET_GROUP))


def test_switching_reachability_makes_a_new_subnet_group_instead_of_rewriting_the_one_in_use() -> None:
    # RDS refuses to take an in-use subnet out of its group: the two reachabilities must be two
    # resources, so that a switch creates the other group and never updates the old one.
    public = shared_run(program, "dev")
    private = shared_run(program, "dev", overrides={"dbPubliclyAccessible": False, "dbAllowedCidrs": []})
    assert subnet_group_names(public) == ["db-primary-subnets-public"]
    assert subnet_group_names(private) == ["db-primary-subnets-private"]
    (db,) = [r for r in private.of_type(RDS) if not r.plain("replicateSourceDb")]
    group = private.one(SUBNET_GROUP, "db-primary-subnets-private")
    assert db.plain("dbSubnetGroupName") == private.outputs_of(group)["name"]


def test_a_stack_from_before_the_split_keeps_its_subnet_group() -> None:
    # Pulumi matches the old logical name through the alias: no change at the next `up`.
    (group,) = shared_run(program, "prod").of_type(SUBNET_GROUP)
    assert group.alias_names == ["db-primary-subnets"]
