"""Replace-only inputs of the analytics resources: S3, KMS, Glue, Athena, IAM role policies."""

from __future__ import annotations

from mysql_platform.planning.rules_types import AWS, AWS_VIA, TypeRules

_S3 = f"{AWS} internal/service/s3"

# unverified: which exact terraform-provider-aws v6 release pulumi-aws 7.51.1 builds from, and the
# patches pulumi/terraform-provider-aws applies on top of it, were not read. Each entry below is the
# upstream schema at the release named in its ``source`` (the index's stored copy; the release is
# the "version" of index/terraform-provider-aws-index.json at that commit). The installed
# pulumi_aws 7.51.1 SDK has Bucket.bucket_namespace, so it wraps a release that has that input
# (v6.63.0 has it, v6.34.0 does not).
#
# expected_bucket_owner (S3 sub-resources): the SDK resources force a new resource through
# CustomizeDiff on any change except "" -> the caller's own account; the framework lifecycle
# resource has RequiresReplace. No program sets it; it is listed as replace-only.
ANALYTICS: dict[str, TypeRules] = {
    "aws:kms/key:Key": TypeRules(
        # Same verdicts in the v6.1.0 copy (@081a8c15). No CustomizeDiff.
        source=f"{AWS} internal/service/kms/key.go resourceKey() (v6.48.0 @0c75c3cd, {AWS_VIA})",
        replace_only=frozenset(
            {
                # Not set by the program, listed for completeness:
                "customerMasterKeySpec",  # customer_master_key_spec: ForceNew
                "keyUsage",  # key_usage: ForceNew
                "multiRegion",  # multi_region: ForceNew
                "customKeyStoreId",  # custom_key_store_id: ForceNew
                "xksKeyId",  # xks_key_id: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "description",  # description: Optional+Computed, no ForceNew
                "enableKeyRotation",  # enable_key_rotation: no ForceNew
                "deletionWindowInDays",  # deletion_window_in_days: no ForceNew (used on delete)
                "tags",
                "policy",
                "isEnabled",
                "bypassPolicyLockoutSafetyCheck",
                "rotationPeriodInDays",
            }
        ),
    ),
    "aws:s3/bucket:Bucket": TypeRules(
        # v6.34.0 (@4a1c9ebc) agrees for bucket, bucketPrefix, forceDestroy and tags; it has no
        # bucket_namespace and no CustomizeDiff, and object_lock_enabled is plain ForceNew there.
        source=f"{_S3}/bucket.go resourceBucket() schema and CustomizeDiff (v6.63.0 @55f9ad55, {AWS_VIA})",
        replace_only=frozenset(
            {
                "bucket",  # bucket: Optional+Computed, ForceNew
                "bucketPrefix",  # bucket_prefix: Optional+Computed, ForceNew
                # Not set by the program, listed for completeness:
                "bucketNamespace",  # bucket_namespace: ForceNew
                # object_lock_enabled: no ForceNew at v6.63.0, but CustomizeDiff ForceNewIf
                # old && !new (true -> false replaces; false -> true is in place). v6.34.0 has
                # plain ForceNew. Listed here conservatively.
                # unverified: which of the two behaviours pulumi-aws 7.51.1 ships.
                "objectLockEnabled",
            }
        ),
        updatable=frozenset(
            {
                "tags",
                "forceDestroy",  # force_destroy: Optional, Default false, no ForceNew (state-only)
                # The deprecated inline arguments (acl, corsRules, versioning, ...) are not classified.
            }
        ),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": TypeRules(
        # Only stored copy of this function; no CustomizeDiff.
        source=f"{_S3}/bucket_public_access_block.go resourceBucketPublicAccessBlock() "
        f"(v6.4.0 @37a1dd7f, {AWS_VIA})",
        replace_only=frozenset({"bucket"}),  # bucket: Required, ForceNew
        updatable=frozenset(
            {
                "blockPublicAcls",  # block_public_acls: Optional, Default false, no ForceNew
                "blockPublicPolicy",  # block_public_policy: no ForceNew
                "ignorePublicAcls",  # ignore_public_acls: no ForceNew
                "restrictPublicBuckets",  # restrict_public_buckets: no ForceNew
                "skipDestroy",
            }
        ),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": TypeRules(
        source=f"{_S3}/bucket_ownership_controls.go resourceBucketOwnershipControls() "
        f"(v6.10.0 @41d9264d, {AWS_VIA})",
        replace_only=frozenset({"bucket"}),  # bucket: Required, ForceNew
        updatable=frozenset(
            {
                "rule",  # rule (MaxItems 1; object_ownership): no ForceNew
            }
        ),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        TypeRules(
            source=f"{_S3}/bucket_server_side_encryption_configuration.go "
            f"resourceBucketServerSideEncryptionConfiguration() schema and CustomizeDiff "
            f"(v6.31.0 @02dc4b5b, {AWS_VIA})",
            replace_only=frozenset(
                {
                    "bucket",  # bucket: Required, ForceNew
                    "expectedBucketOwner",  # CustomizeDiff d.ForceNew (see the note above)
                }
            ),
            updatable=frozenset(
                {
                    "rules",  # rule (set): no ForceNew at any level
                }
            ),
        )
    ),
    "aws:s3/bucketVersioning:BucketVersioning": TypeRules(
        source=f"{_S3}/bucket_versioning.go resourceBucketVersioning() schema and CustomizeDiff "
        f"(v6.31.0 @02dc4b5b, {AWS_VIA})",
        replace_only=frozenset(
            {
                "bucket",  # bucket: Required, ForceNew
                "expectedBucketOwner",  # CustomizeDiff d.ForceNew (see the note above)
            }
        ),
        updatable=frozenset(
            {
                # versioning_configuration (MaxItems 1; status, mfa_delete): no ForceNew.
                # CustomizeDiff rejects status Enabled/Suspended -> Disabled with a plan error
                # (not a replacement).
                "versioningConfiguration",
                "mfa",
            }
        ),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": TypeRules(
        # Framework resource; no ModifyPlan method is stored for it in the index.
        source=f"{_S3}/bucket_lifecycle_configuration.go bucketLifecycleConfigurationResource "
        f"Schema (framework; v6.31.0 @02dc4b5b, {AWS_VIA})",
        replace_only=frozenset(
            {
                "bucket",  # bucket: stringplanmodifier.RequiresReplace()
                "expectedBucketOwner",  # expected_bucket_owner: RequiresReplace()
            }
        ),
        updatable=frozenset(
            {
                "rules",  # rule (list block): no RequiresReplace at any level
                "transitionDefaultMinimumObjectSize",  # no RequiresReplace
            }
        ),
    ),
    "aws:iam/rolePolicy:RolePolicy": TypeRules(
        # Create and Update are both resourceRolePolicyPut (PutRolePolicy).
        source=f"{AWS} internal/service/iam/role_policy.go resourceRolePolicy() "
        f"(v6.48.0 @0c75c3cd, {AWS_VIA})",
        replace_only=frozenset(
            {
                "role",  # role: Required, ForceNew
                "name",  # name: Optional+Computed, ForceNew
                "namePrefix",  # name_prefix: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "policy",  # policy: Required, no ForceNew (equivalent-JSON diffs suppressed)
            }
        ),
    ),
    "aws:iam/policy:Policy": TypeRules(
        # The analytics query policy. Update is CreatePolicyVersion + SetDefaultPolicyVersion (the
        # oldest non-default version pruned at five); no CustomizeDiff but tags.
        source=f"{AWS} internal/service/iam/policy.go resourcePolicy() (stored copy @01ccd9a2, {AWS_VIA})",
        replace_only=frozenset(
            {
                "description",  # description: ForceNew
                "name",  # name: Optional+Computed, ForceNew
                "namePrefix",  # name_prefix: ForceNew
                "path",  # path: Default "/", ForceNew
            }
        ),
        updatable=frozenset(
            {
                "policy",  # policy: Required, no ForceNew (equivalent-JSON diffs suppressed)
                "tags",
            }
        ),
    ),
    "aws:glue/catalogDatabase:CatalogDatabase": TypeRules(
        source=f"{AWS} internal/service/glue/catalog_database.go resourceCatalogDatabase() "
        f"(v6.48.0 @0c75c3cd, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: Required, ForceNew
                # Not set by the program, listed for completeness:
                "catalogId",  # catalog_id: ForceNew
                "targetDatabase",  # target_database: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "description",
                "locationUri",
                "parameters",
                "tags",
                "createTableDefaultPermissions",
                "federatedDatabase",
            }
        ),
    ),
    "aws:glue/crawler:Crawler": TypeRules(
        # No CustomizeDiff.
        source=f"{AWS} internal/service/glue/crawler.go resourceCrawler() (v6.48.0 @0c75c3cd, {AWS_VIA})",
        replace_only=frozenset(
            {
                "databaseName",  # database_name: Required, ForceNew
                "name",  # name: Required, ForceNew
            }
        ),
        updatable=frozenset(
            {
                # role: Required, no ForceNew (a DiffSuppressFunc treats an ARN and the bare
                # role name as equal).
                "role",
                "s3Targets",  # s3_target: no ForceNew at any level
                "tags",
                "catalogTargets",
                "classifiers",
                "configuration",
                "deltaTargets",
                "description",
                "dynamodbTargets",
                "hudiTargets",
                "icebergTargets",
                "jdbcTargets",
                "lakeFormationConfiguration",
                "lineageConfiguration",
                "mongodbTargets",
                "recrawlPolicy",
                "schedule",
                "schemaChangePolicy",
                "securityConfiguration",
                "tablePrefix",
            }
        ),
    ),
    "aws:athena/workgroup:Workgroup": TypeRules(
        # CustomizeDiff managedQueryResultsValidation (stored copy @4aeea4f5, release not read)
        # only returns an error when output_location is set with managed query results enabled;
        # it never forces a new resource.
        source=f"{AWS} internal/service/athena/workgroup.go resourceWorkGroup() schema and "
        f"CustomizeDiff (v6.48.0 @0c75c3cd, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: Required, ForceNew
            }
        ),
        updatable=frozenset(
            {
                "description",  # description: no ForceNew
                "configuration",  # configuration (MaxItems 1): no ForceNew at any level
                "tags",
                "forceDestroy",
                "state",
            }
        ),
    ),
}
