"""Replace-only inputs of the network and host resources: EC2, VPC security group rules, IAM."""

from __future__ import annotations

from mysql_platform.planning.rules_types import AWS, AWS_VIA, TypeRules


# The ingress and egress rule resources share one schema (vpc_security_group_rule.go's
# securityGroupRuleResource, plugin framework; v6.26.0): security_group_id has
# stringplanmodifier.RequiresReplace(); cidr_ipv4 / cidr_ipv6 / prefix_list_id /
# referenced_security_group_id do not (a new value of the same kind is an in-place
# ModifySecurityGroupRules), but ModifyPlan sets RequiresReplace when the rule's source kind changes
# (cidr_ipv4 -> referenced_security_group_id). ip_protocol, from_port, to_port: no RequiresReplace.
# unverified: the v6 vpc_security_group_egress_rule.go itself was not readable (the index left its
# struct unresolved); the stored v5 copy (@050ac111) embeds the shared resource with no schema of
# its own, so the shared v6.26.0 schema is assumed for it.
def _security_group_rule(kind: str) -> TypeRules:
    return TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_security_group_{kind}_rule.go + vpc_security_group_rule.go "
        f"securityGroupRuleResource Schema/ModifyPlan (framework; v6.26.0, {AWS_VIA})",
        replace_only=frozenset({"securityGroupId"}),
        updatable=frozenset(
            {
                "cidrIpv4",
                "cidrIpv6",
                "prefixListId",
                "referencedSecurityGroupId",
                "description",
                "ipProtocol",
                "fromPort",
                "toPort",
                "tags",
            }
        ),
    )


# unverified: which exact terraform-provider-aws v6 release pulumi-aws 7.51.1 builds from, and the
# patches pulumi/terraform-provider-aws applies on top of it, were not read. Each entry below is the
# upstream schema at the release named in its ``source``.
NETWORK: dict[str, TypeRules] = {
    "aws:ec2/eip:Eip": TypeRules(
        source=f"{AWS} internal/service/ec2/ec2_eip.go resourceEIP() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "domain",  # domain: ForceNew
                "address",  # address: ForceNew
                "publicIpv4Pool",  # public_ipv4_pool: ForceNew
                "networkBorderGroup",  # network_border_group: ForceNew
                "ipamPoolId",  # ipam_pool_id: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "tags",
                "instance",  # instance: no ForceNew (re-associates)
                "networkInterface",  # network_interface: no ForceNew (re-associates)
                "associateWithPrivateIp",
                "customerOwnedIpv4Pool",
            }
        ),
    ),
    "aws:ec2/eipAssociation:EipAssociation": TypeRules(
        # The resource has no Update function: every argument is ForceNew.
        source=f"{AWS} internal/service/ec2/ec2_eip_association.go resourceEIPAssociation() "
        f"(v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "allocationId",  # allocation_id: ForceNew
                "instanceId",  # instance_id: ForceNew
                "networkInterfaceId",  # network_interface_id: ForceNew
                "privateIpAddress",  # private_ip_address: ForceNew
                "publicIp",  # public_ip: ForceNew
                "allowReassociation",  # allow_reassociation: ForceNew
            }
        ),
        updatable=frozenset(),
    ),
    "aws:ec2/instance:Instance": TypeRules(
        source=f"{AWS} internal/service/ec2/ec2_instance.go resourceInstance() schema and CustomizeDiff "
        f"(v6.22.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "ami",  # ami: ForceNew
                "associatePublicIpAddress",  # associate_public_ip_address: ForceNew
                "keyName",  # key_name: ForceNew
                "subnetId",  # subnet_id: ForceNew
                # root_block_device is partly updatable: volume_size, volume_type, iops,
                # throughput, delete_on_termination and tags update in place, but encrypted and
                # kms_key_id are ForceNew. A top-level "rootBlockDevice changed" cannot tell
                # which, so it is classified conservatively as replace-only. See
                # NESTED_RULES for the per-field split.
                "rootBlockDevice",
                "availabilityZone",  # availability_zone: ForceNew
                "privateIp",  # private_ip: ForceNew
                "securityGroups",  # security_groups (EC2-Classic/default VPC names): ForceNew
                "tenancy",  # tenancy: ForceNew
                "placementGroup",  # placement_group: ForceNew
                "ebsOptimized",  # ebs_optimized: ForceNew
                "hibernation",  # hibernation: ForceNew
                "hostId",  # host_id: ForceNew
                "launchTemplate",  # launch_template: ForceNew
                "ebsBlockDevices",  # ebs_block_device: every sub-field ForceNew except tags
                "ephemeralBlockDevices",  # ephemeral_block_device: ForceNew
                "instanceMarketOptions",  # instance_market_options: ForceNew
                "privateDnsNameOptions",  # private_dns_name_options: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "iamInstanceProfile",  # iam_instance_profile: no ForceNew (association replaced)
                # instance_type: no ForceNew; updated by stop/modify/start. CustomizeDiff
                # ForceNewIf does replace when the old and new types share no CPU architecture
                # (e.g. x86_64 -> arm64). The table cannot see that, so it says "update".
                "instanceType",
                "metadataOptions",  # metadata_options: no sub-field is ForceNew
                "tags",
                # user_data: no ForceNew in the schema; CustomizeDiff
                # ForceNewIf("user_data", user_data_replace_on_change) makes it replace-only
                # when userDataReplaceOnChange is true, else it is updated by stop/start.
                "userData",
                "userDataBase64",  # same CustomizeDiff rule as user_data
                # user_data_replace_on_change: plain Optional bool, Default false, no ForceNew;
                # flipping it is a state-only update.
                "userDataReplaceOnChange",
                "vpcSecurityGroupIds",  # vpc_security_group_ids: no ForceNew (ModifyInstanceAttribute)
                "disableApiTermination",
                "disableApiStop",
                "monitoring",
                "sourceDestCheck",
                "volumeTags",
                "creditSpecification",
                "maintenanceOptions",
                "instanceInitiatedShutdownBehavior",
                "secondaryPrivateIps",
                "forceDestroy",
                "getPasswordData",
            }
        ),
        replace_when=(
            ("userData", "userDataReplaceOnChange"),
            ("userDataBase64", "userDataReplaceOnChange"),
        ),
    ),
    "aws:ec2/internetGateway:InternetGateway": TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_internet_gateway.go resourceInternetGateway() "
        f"(v6.48.0, {AWS_VIA})",
        replace_only=frozenset(),
        updatable=frozenset(
            {
                "tags",
                "vpcId",  # vpc_id: Optional+Computed, no ForceNew (detach from old VPC, attach to new)
            }
        ),
    ),
    "aws:ec2/keyPair:KeyPair": TypeRules(
        source=f"{AWS} internal/service/ec2/ec2_key_pair.go resourceKeyPair() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "publicKey",  # public_key: Required, ForceNew
                "keyName",  # key_name: ForceNew
                "keyNamePrefix",  # key_name_prefix: ForceNew
            }
        ),
        updatable=frozenset({"tags"}),
    ),
    "aws:ec2/routeTable:RouteTable": TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_route_table.go resourceRouteTable() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "vpcId",  # vpc_id: Required, ForceNew
            }
        ),
        updatable=frozenset(
            {
                "routes",  # route (set, ConfigModeAttr): no ForceNew; routes created/replaced/deleted
                "tags",
                "propagatingVgws",
            }
        ),
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_route_table_association.go "
        f"resourceRouteTableAssociation() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "subnetId",  # subnet_id: ForceNew
                "gatewayId",  # gateway_id: ForceNew
            }
        ),
        updatable=frozenset(
            {
                # route_table_id: Required, no ForceNew; Update calls
                # ReplaceRouteTableAssociation (the association id changes, the resource stays).
                "routeTableId",
            }
        ),
    ),
    "aws:ec2/securityGroup:SecurityGroup": TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_security_group.go resourceSecurityGroup() "
        f"(v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                # description: ForceNew (Default "Managed by Terraform"); EC2 has no API to
                # change a group's description, so editing it replaces the group.
                "description",
                "vpcId",  # vpc_id: ForceNew
                "name",  # name: ForceNew
                "namePrefix",  # name_prefix: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "tags",
                "ingress",  # ingress: inline rule set, no ForceNew
                "egress",  # egress: inline rule set, no ForceNew
                "revokeRulesOnDelete",
            }
        ),
    ),
    "aws:ec2/subnet:Subnet": TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_subnet.go resourceSubnet() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "availabilityZone",  # availability_zone: ForceNew
                "availabilityZoneId",  # availability_zone_id: ForceNew
                "cidrBlock",  # cidr_block: ForceNew
                "vpcId",  # vpc_id: Required, ForceNew
                "ipv6Native",  # ipv6_native: ForceNew
                "outpostArn",  # outpost_arn: ForceNew
                "ipv4IpamPoolId",  # ipv4_ipam_pool_id: ForceNew
                "ipv4NetmaskLength",  # ipv4_netmask_length: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "mapPublicIpOnLaunch",  # map_public_ip_on_launch: no ForceNew (ModifySubnetAttribute)
                "tags",
                "assignIpv6AddressOnCreation",
                "enableDns64",
                "privateDnsHostnameTypeOnLaunch",
                # ipv6_cidr_block: no ForceNew, but CustomizeDiff ForceNewIf replaces when the
                # subnet had assign_ipv6_address_on_creation = true. Not set by the program.
                "ipv6CidrBlock",
            }
        ),
    ),
    "aws:ec2/vpc:Vpc": TypeRules(
        source=f"{AWS} internal/service/ec2/vpc_.go resourceVPC() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "cidrBlock",  # cidr_block: ForceNew
                "ipv4IpamPoolId",  # ipv4_ipam_pool_id: ForceNew
                "ipv4NetmaskLength",  # ipv4_netmask_length: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "enableDnsHostnames",  # enable_dns_hostnames: no ForceNew (ModifyVpcAttribute)
                "enableDnsSupport",  # enable_dns_support: no ForceNew (ModifyVpcAttribute)
                "tags",
                "instanceTenancy",  # instance_tenancy: no ForceNew in v6 (ModifyVpcTenancy)
                "assignGeneratedIpv6CidrBlock",
                "enableNetworkAddressUsageMetrics",
            }
        ),
    ),
    "aws:iam/instanceProfile:InstanceProfile": TypeRules(
        source=f"{AWS} internal/service/iam/instance_profile.go resourceInstanceProfile() "
        f"(v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: ForceNew
                "namePrefix",  # name_prefix: ForceNew
                "path",  # path: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "role",  # role: Optional, no ForceNew (remove old role, add new one)
                "tags",
            }
        ),
    ),
    "aws:iam/role:Role": TypeRules(
        source=f"{AWS} internal/service/iam/role.go resourceRole() (v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: ForceNew
                "namePrefix",  # name_prefix: ForceNew
                "path",  # path: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "assumeRolePolicy",  # assume_role_policy: Required, no ForceNew (UpdateAssumeRolePolicy)
                "tags",
                "description",
                "maxSessionDuration",
                "permissionsBoundary",
                "forceDetachPolicies",
                "inlinePolicies",  # inline_policy (deprecated): no ForceNew
                "managedPolicyArns",  # managed_policy_arns (deprecated): no ForceNew
            }
        ),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeRules(
        # The resource has no Update function: both arguments are Required + ForceNew.
        source=f"{AWS} internal/service/iam/role_policy_attachment.go resourceRolePolicyAttachment() "
        f"(v6.48.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "policyArn",  # policy_arn: ForceNew
                "role",  # role: ForceNew
            }
        ),
        updatable=frozenset(),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _security_group_rule("egress"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _security_group_rule("ingress"),
}
