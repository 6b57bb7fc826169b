"""Replace-only inputs of the database resources: RDS, CloudWatch log groups, random values."""

from __future__ import annotations

from mysql_platform.planning.rules_types import AWS, AWS_VIA, RANDOM, RANDOM_VIA, TypeRules

# unverified: which exact terraform-provider-aws v6 release pulumi-aws 7.51.1 builds from, and the
# patches pulumi/terraform-provider-aws applies on top of it, were not read. Each entry below is the
# upstream schema at the release named in its ``source``.
DATABASE: dict[str, TypeRules] = {
    # unverified: release of the index snapshot (081a8c15) not checked; it is a v6 extract.
    "aws:cloudwatch/logGroup:LogGroup": TypeRules(
        source=f"{AWS} internal/service/logs/group.go resourceGroup() (v6.x @081a8c15, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: ForceNew
                "namePrefix",  # name_prefix: ForceNew
                "logGroupClass",  # log_group_class: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "retentionInDays",  # retention_in_days: no ForceNew (PutRetentionPolicy)
                "tags",
                "kmsKeyId",  # kms_key_id: no ForceNew (Associate/DisassociateKmsKey)
                "skipDestroy",
            }
        ),
    ),
    "aws:rds/instance:Instance": TypeRules(
        source=f"{AWS} internal/service/rds/instance.go resourceInstance() schema, CustomizeDiff and "
        f"resourceInstanceUpdate (v6.15.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "dbName",  # db_name: ForceNew
                # engine: ForceNew (with a lower-casing StateFunc). v6 has no CustomizeDiff that
                # lets any engine change through in place; only engine_version upgrades in place.
                "engine",
                "storageEncrypted",  # storage_encrypted: ForceNew
                "username",  # username: ForceNew
                # Not set by the program, listed for completeness:
                "availabilityZone",  # availability_zone: ForceNew
                "kmsKeyId",  # kms_key_id: ForceNew
                "characterSetName",  # character_set_name: ForceNew
                "ncharCharacterSetName",  # nchar_character_set_name: ForceNew
                "timezone",  # timezone: ForceNew
                "snapshotIdentifier",  # snapshot_identifier: ForceNew
                "restoreToPointInTime",  # restore_to_point_in_time: ForceNew
                "s3Import",  # s3_import: every sub-field ForceNew
                "customIamInstanceProfile",  # custom_iam_instance_profile: ForceNew
                "backupTarget",  # backup_target: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "allocatedStorage",  # allocated_storage: no ForceNew (ModifyDBInstance)
                "allowMajorVersionUpgrade",  # allow_major_version_upgrade: no ForceNew
                "applyImmediately",  # apply_immediately: no ForceNew
                "autoMinorVersionUpgrade",
                "backupRetentionPeriod",
                "backupWindow",
                "copyTagsToSnapshot",
                "databaseInsightsMode",  # database_insights_mode: Optional+Computed, no ForceNew
                # db_subnet_group_name: Optional+Computed, no ForceNew (ModifyDBInstance
                # DBSubnetGroupName). AWS itself limits moves to another VPC, and CustomizeDiff only
                # checks that a replica's replicate_source_db is an ARN when this is set.
                "dbSubnetGroupName",
                "deletionProtection",
                "enabledCloudwatchLogsExports",
                "engineLifecycleSupport",  # engine_lifecycle_support: Optional+Computed, no ForceNew
                "engineVersion",  # engine_version: no ForceNew (ModifyDBInstance EngineVersion)
                "finalSnapshotIdentifier",  # final_snapshot_identifier: state-only, used on delete
                # identifier: Optional+Computed, NOT ForceNew since provider v5. Update sends
                # ModifyDBInstance for the old id with NewDBInstanceIdentifier (a rename in place;
                # the endpoint changes, the resource is not replaced).
                "identifier",
                # identifier_prefix: Optional+Computed, no ForceNew since v5 (only used to
                # generate the identifier at create time).
                "identifierPrefix",
                "instanceClass",  # instance_class: Required, no ForceNew
                "maintenanceWindow",
                "maxAllocatedStorage",
                "multiAz",
                "parameterGroupName",  # parameter_group_name: no ForceNew
                "password",  # password: Sensitive, no ForceNew
                "performanceInsightsEnabled",
                "performanceInsightsRetentionPeriod",
                "port",  # port: Optional+Computed, no ForceNew (ModifyDBInstance DBPortNumber)
                "publiclyAccessible",
                # replicate_source_db: NOT ForceNew. Update promotes the replica
                # (PromoteReadReplica) when it changes to ""; changing it to a different source
                # fails the update ("cannot elect new source database for replication") rather
                # than replacing. A DiffSuppressFunc treats an ARN and the bare id as equal.
                "replicateSourceDb",
                "skipFinalSnapshot",  # skip_final_snapshot: state-only, used on delete
                "storageType",  # storage_type: Optional+Computed, no ForceNew
                "tags",
                "vpcSecurityGroupIds",
                # Not set by the program, listed for completeness:
                "iops",
                "storageThroughput",
                "caCertIdentifier",
                "monitoringInterval",
                "monitoringRoleArn",
                "iamDatabaseAuthenticationEnabled",
                "networkType",
                "optionGroupName",
                "licenseModel",
                "manageMasterUserPassword",
                "masterUserSecretKmsKeyId",
                "performanceInsightsKmsKeyId",
                "dedicatedLogVolume",
                "upgradeStorageConfig",
                "deleteAutomatedBackups",
                "blueGreenUpdate",
                "replicaMode",
                "customerOwnedIpEnabled",
            }
        ),
    ),
    # unverified: release of the index snapshot (41d9264d) not checked; it is a v6 extract.
    "aws:rds/parameterGroup:ParameterGroup": TypeRules(
        source=f"{AWS} internal/service/rds/parameter_group.go resourceParameterGroup() "
        f"(v6.x @41d9264d, {AWS_VIA})",
        replace_only=frozenset(
            {
                "description",  # description: ForceNew (Default "Managed by Terraform")
                "family",  # family: Required, ForceNew
                "name",  # name: ForceNew
                "namePrefix",  # name_prefix: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "parameters",  # parameter (set): no ForceNew (ModifyDBParameterGroup / reset)
                "tags",
                "skipDestroy",
            }
        ),
    ),
    # unverified: the index copy of cluster.go carries no commit; it is an aws-sdk-go-v2 (v5.x/v6)
    # extract, cross-checked with the provider's own notes on Multi-AZ DB clusters.
    "aws:rds/cluster:Cluster": TypeRules(
        source=f"{AWS} internal/service/rds/cluster.go resourceCluster() schema and CustomizeDiff "
        f"(index file 4025829563, {AWS_VIA})",
        replace_only=frozenset(
            {
                "clusterIdentifier",  # cluster_identifier: ForceNew
                "clusterIdentifierPrefix",  # ForceNew
                "engine",  # engine: ForceNew
                "engineMode",  # engine_mode: ForceNew
                "databaseName",  # database_name: ForceNew
                "masterUsername",  # master_username: ForceNew
                "storageEncrypted",  # storage_encrypted: ForceNew
                "kmsKeyId",  # kms_key_id: ForceNew
                "dbSubnetGroupName",  # db_subnet_group_name: ForceNew
                "availabilityZones",  # availability_zones: ForceNew (not set by the program)
                # storage_type: CustomizeDiff ForceNew for engines other than Aurora. pulumi-aws
                # patched this to an in-place change in a 7.x release not identified here, so a
                # plan may show a replacement that the provider would do in place.
                "storageType",
                "snapshotIdentifier",  # ForceNew (not set)
                "s3Import",  # ForceNew (not set)
                "restoreToPointInTime",  # ForceNew (not set)
            }
        ),
        updatable=frozenset(
            {
                "allocatedStorage",  # ModifyDBCluster (sent with iops, as AWS requires)
                "iops",
                "dbClusterInstanceClass",  # in place; the instances are replaced one at a time
                "engineVersion",  # with allowMajorVersionUpgrade for a new line
                "engineLifecycleSupport",  # sent only at create by the provider
                "allowMajorVersionUpgrade",
                "autoMinorVersionUpgrade",
                "applyImmediately",
                "backupRetentionPeriod",
                "preferredBackupWindow",
                "preferredMaintenanceWindow",
                "dbClusterParameterGroupName",
                "vpcSecurityGroupIds",
                "masterPassword",
                "port",  # in place in the schema; RDS refuses a port change on this shape
                "publiclyAccessible",
                "deletionProtection",
                "skipFinalSnapshot",  # read at delete only
                "finalSnapshotIdentifier",  # read at delete only
                "copyTagsToSnapshot",
                "enabledCloudwatchLogsExports",
                "performanceInsightsEnabled",
                "performanceInsightsRetentionPeriod",
                "tags",
            }
        ),
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": TypeRules(
        source=f"{AWS} internal/service/rds/cluster_parameter_group.go (same shape as "
        f"resourceParameterGroup; {AWS_VIA})",
        replace_only=frozenset({"description", "family", "name", "namePrefix"}),
        updatable=frozenset({"parameters", "tags"}),
    ),
    "aws:rds/subnetGroup:SubnetGroup": TypeRules(
        source=f"{AWS} internal/service/rds/subnet_group.go resourceSubnetGroup() (v6.26.0, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: ForceNew
                "namePrefix",  # name_prefix: ForceNew
            }
        ),
        updatable=frozenset(
            {
                # description: Optional, Default "Managed by Terraform", NO ForceNew here (unlike
                # aws_db_parameter_group and aws_security_group): ModifyDBSubnetGroup.
                "description",
                "subnetIds",  # subnet_ids: Required set, no ForceNew (ModifyDBSubnetGroup)
                "tags",
            }
        ),
    ),
    "random:index/randomId:RandomId": TypeRules(
        source=f"{RANDOM} internal/provider/resource_id.go idResource.Schema (framework, @2ed443ca, "
        f"{RANDOM_VIA})",
        replace_only=frozenset(
            {
                "byteLength",  # byte_length: int64planmodifier.RequiresReplace()
                "keepers",  # keepers: mapplanmodifiers.RequiresReplaceIfValuesNotNull()
                "prefix",  # prefix: stringplanmodifier.RequiresReplace()
            }
        ),
        updatable=frozenset(),
    ),
    "random:index/randomPassword:RandomPassword": TypeRules(
        source=f"{RANDOM} internal/provider/resource_password.go passwordSchemaV3 (framework, "
        f"@c054b476, {RANDOM_VIA})",
        replace_only=frozenset(
            {
                "length",  # length: int64planmodifier.RequiresReplace()
                "minLower",  # min_lower: RequiresReplace
                "minNumeric",  # min_numeric: RequiresReplace
                "minUpper",  # min_upper: RequiresReplace
                "minSpecial",  # min_special: RequiresReplace
                # override_special: RequiresReplaceIf(RequiresReplaceUnlessEmptyStringToNull):
                # any change replaces except going from "" to unset.
                "overrideSpecial",
                "special",  # special: boolplanmodifier.RequiresReplace()
                "upper",  # upper: RequiresReplace
                "lower",  # lower: RequiresReplace
                "numeric",  # numeric: RequiresReplace
                "number",  # number (deprecated): RequiresReplace
                "keepers",  # keepers: RequiresReplaceIfValuesNotNull()
            }
        ),
        updatable=frozenset(),
    ),
}


# Inputs AWS takes only when it creates or restores the resource: the provider classifies them as
# updatable (no ForceNew), yet its update sends nothing for them, so a changed value never reaches
# AWS and the same diff comes back at every `pulumi up`. Keyed by type, then Pulumi input name.
CREATE_ONLY: dict[str, dict[str, str]] = {
    # RDS User Guide, "Amazon RDS Extended Support": "You can't update your RDS Extended Support
    # enrollment status on existing DB instances unless you are restoring them" (quoted in
    # terraform-provider-aws issue #44552). instance.go: resourceInstanceCreate sends
    # EngineLifecycleSupport with CreateDBInstance and the three restores; dbInstancePopulateModify
    # (v6.15.0) has no case for it. Issues #40870 and #44552 show the permanent diff.
    "aws:rds/instance:Instance": {
        "engineLifecycleSupport": "RDS sets Extended Support enrollment only at create or restore "
        "(restore a snapshot to a new instance to change it)",
    },
    # Multi-AZ DB clusters: enrolled "for the lifetime of the DB instance or Multi-AZ DB cluster"
    # (RDS User Guide, "Creating a DB instance or a Multi-AZ DB cluster with RDS Extended Support");
    # cluster.go sends engine_lifecycle_support with CreateDBCluster and its restores only.
    "aws:rds/cluster:Cluster": {
        "engineLifecycleSupport": "RDS sets Extended Support enrollment only at create or restore "
        "(restore a snapshot to a new cluster to change it)",
    },
}
