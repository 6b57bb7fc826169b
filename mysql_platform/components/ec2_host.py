"""Ec2Host: the Amazon Linux 2023 host in a public subnet (MySQL client, optional proxy)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from mysql_platform.components.security import IngressRule, add_ingress

TOKEN = "mysql-platform:ec2_host:Ec2Host"
SSH_USER = "ec2-user"  # Amazon Linux's default login
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"
# Amazon's public SSM parameters always name the current AL2023 image per architecture.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# Egress for package installs and the SSM agent; ingress is what is restricted.
ANY_IPV4 = "0.0.0.0/0"


@dataclass(frozen=True)
class Ec2HostArgs:
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    """A public subnet: the host is reached from outside by SSH or Session Manager."""
    user_data: pulumi.Input[str]
    instance_type: str = "t3.micro"
    """Default t3.micro: free tier."""
    ssh_allowed_cidrs: Sequence[str] = ()
    """Empty: no SSH ingress at all (Session Manager still works)."""
    ssh_public_key: str = ""
    """Empty: no EC2 key pair."""
    extra_ingress: Sequence[IngressRule] = ()
    root_volume_gib: int = 8
    detailed_monitoring: bool = False
    """CloudWatch metrics every minute instead of every five (EC2 detailed monitoring), billed."""
    stable_address: bool = False
    """An Elastic IP, so the exported address (and the proxy's) survives a replaced instance."""
    tags: Mapping[str, str] = field(default_factory=dict)


def ami_architecture(supported: list[str]) -> str:
    """The AL2023 image architecture for what EC2 reports the type supports.

    From ``ec2:DescribeInstanceTypes`` rather than the name: a1 is Graviton with no "g".
    """
    return "arm64" if "arm64" in supported else "x86_64"


def _assume_role_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


class Ec2Host(pulumi.ComponentResource):
    """An EC2 instance with IMDSv2, an encrypted gp3 root volume, SSM access and a tight security group."""

    instance_id: pulumi.Output[str]
    public_ip: pulumi.Output[str]
    public_dns: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    ssh_user: str = SSH_USER

    def __init__(self, name: str, args: Ec2HostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            # Replace-only (ForceNew), so it says what the rules can admit without naming a setting.
            description=f"{name}: SSH and MySQL proxy ports from allowed sources only",
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )
        self._ingress_rules(name, sg, args, tags)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-all",
            security_group_id=sg.id,
            ip_protocol="-1",
            cidr_ipv4=ANY_IPV4,
            description="Outbound for package installs and the SSM agent",
            tags=tags,
            opts=child,
        )
        profile = self._instance_profile(name, tags)
        key_name = self._key_pair(name, args.ssh_public_key, tags)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        arch = aws.ec2.get_instance_type_output(instance_type=args.instance_type, opts=invoke)
        ami = aws.ssm.get_parameter_output(
            name=arch.supported_architectures.apply(lambda a: AMI_PARAMETER.format(arch=ami_architecture(a))),
            opts=invoke,
        )
        instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=ami.value,
            instance_type=args.instance_type,
            subnet_id=args.subnet_id,
            vpc_security_group_ids=[sg.id],
            associate_public_ip_address=True,
            iam_instance_profile=profile.name,
            key_name=key_name,
            # IMDSv2 only: a stolen-credential SSRF cannot read the role's credentials.
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                volume_type="gp3",
                volume_size=args.root_volume_gib,
                encrypted=True,
                delete_on_termination=True,
            ),
            # Changed in place: terraform-provider-aws ec2/ec2_instance.go resourceInstanceUpdate
            # calls MonitorInstances / UnmonitorInstances; no replacement.
            monitoring=args.detailed_monitoring,
            user_data=args.user_data,
            # cloud-init runs user data once: a changed script only takes effect on a new instance.
            user_data_replace_on_change=True,
            tags={**tags, "Name": f"{name}-instance"},
            # A newer AL2023 image must not replace a running host on every `pulumi up`.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]),
        )

        self.instance_id = instance.id
        self.public_ip = instance.public_ip
        self.public_dns = instance.public_dns
        if args.stable_address:
            self.public_ip, self.public_dns = self._elastic_ip(name, instance, tags)
        self.private_ip = instance.private_ip
        self.security_group_id = sg.id
        self.register_outputs(
            {
                "instance_id": self.instance_id,
                "public_ip": self.public_ip,
                "public_dns": self.public_dns,
                "security_group_id": self.security_group_id,
            }
        )

    def _elastic_ip(
        self, name: str, instance: aws.ec2.Instance, tags: Mapping[str, str]
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """An address that outlives the instance: user data changes replace the host.

        Associating it releases the instance's automatic public IPv4, so the host still holds
        one public address (each is billed by the hour).
        """
        child = pulumi.ResourceOptions(parent=self)
        eip = aws.ec2.Eip(f"{name}-eip", domain="vpc", tags={**tags, "Name": f"{name}-eip"}, opts=child)
        aws.ec2.EipAssociation(
            f"{name}-eip-assoc", allocation_id=eip.allocation_id, instance_id=instance.id, opts=child
        )
        return eip.public_ip, eip.public_dns

    def _ingress_rules(
        self, name: str, sg: aws.ec2.SecurityGroup, args: Ec2HostArgs, tags: Mapping[str, str]
    ) -> None:
        rules = [IngressRule(22, "SSH from an allowed CIDR", cidr=c) for c in args.ssh_allowed_cidrs]
        rules.extend(args.extra_ingress)
        for i, rule in enumerate(rules):
            add_ingress(f"{name}-ingress-{rule.port}-{i + 1}", sg.id, rule, self, tags)

    def _instance_profile(self, name: str, tags: Mapping[str, str]) -> aws.iam.InstanceProfile:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role", assume_role_policy=_assume_role_policy(), tags=dict(tags), opts=child
        )
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        # Session Manager needs only this managed policy; no SSH key or open port required.
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm-core",
            role=role.name,
            policy_arn=partition.partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{SSM_CORE_POLICY}"),
            opts=child,
        )
        return aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=dict(tags), opts=child)

    def _key_pair(self, name: str, public_key: str, tags: Mapping[str, str]) -> pulumi.Output[str] | None:
        if not public_key:
            return None
        key = aws.ec2.KeyPair(
            f"{name}-key", public_key=public_key, tags=dict(tags), opts=pulumi.ResourceOptions(parent=self)
        )
        return key.key_name
