"""Analytics: the database's data queryable schema-on-read in Athena, without touching the primary.

An RDS snapshot export writes Parquet under the bucket's export prefix (the export role may write
only there, with the key); a Glue crawler catalogs it; an Athena workgroup queries it, with its
results encrypted under the results prefix and a cutoff on the bytes one query may scan.

- Bucket: private (all four public access blocks, bucket-owner-enforced ownership: no ACLs),
  SSE-KMS with a customer-managed key (rotation on) and S3 Bucket Keys, versioned, and a lifecycle
  that expires old exports and query results.
- Kept by ``pulumi destroy`` (``retain_on_delete``: Pulumi drops them from the state and calls no
  delete): the bucket, the key that decrypts it and the bucket's guards, together. What each
  provider delete would do to a bucket that stays (terraform-provider-aws, internal/service/...):
  kms/key.go resourceKeyDelete calls ScheduleKeyDeletion (after deletion_window_in_days nothing
  in the bucket decrypts); s3/bucket_public_access_block.go DeletePublicAccessBlock (the block is
  gone); s3/bucket_server_side_encryption_configuration.go DeleteBucketEncryption ("the bucket now
  always has one": S3's SSE-S3 default, so new objects no longer use the key);
  s3/bucket_ownership_controls.go DeleteBucketOwnershipControls (the bucket falls back to S3's
  behaviour without the control); s3/bucket_lifecycle_configuration.go DeleteBucketLifecycle
  (kept exports never expire); s3/bucket_versioning.go delete suspends versioning.
- Query policy: a managed IAM policy, ``mysql-platform-<stack>-analytics-query-<unique suffix>``
  (see query_policy_name_prefix), for whoever runs ``analytics query`` (attach it to their user
  or role): Athena in this workgroup only; the Glue reads Athena makes (GetDatabase, GetTable,
  GetPartitions; Athena guide, "Fine-grained access to databases and tables in the AWS Glue Data
  Catalog") on this catalog database and its tables;
  S3 reads of ``exports/``, reads and writes of ``results/`` (Athena writes the results with the
  caller's credentials); kms:Decrypt and kms:GenerateDataKey on the key.
- Redshift Spectrum (``spectrum``): a role Redshift assumes that may only read (analytics_access),
  and the ``CREATE EXTERNAL SCHEMA`` that shows the Glue database to Redshift (spectrum_sql).
- Roles: the export role trusts ``export.rds.amazonaws.com`` (RDS User Guide, "Exporting DB
  snapshot data to Amazon S3": the role's policy needs s3:PutObject*, s3:ListBucket,
  s3:GetObject*, s3:DeleteObject*, s3:GetBucketLocation); the crawler role trusts
  ``glue.amazonaws.com``, has AWSGlueServiceRole and may read the export prefix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from mysql_platform.components.analytics_access import (
    EXPORT_PREFIX,
    RESULTS_PREFIX,
    SPECTRUM_SERVICES,
    policy_document,
    query_statements,
    spectrum_statements,
    trust,
)
from mysql_platform.components.spectrum_sql import external_schema_sql, region_of

TOKEN = "mysql-platform:analytics:Analytics"
RESULTS_RETENTION_DAYS = 30
GLUE_SERVICE_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWSGlueServiceRole"
# An RDS export writes ``<export id>/<database>/<database>.<table>/<batch>/part-*.gz.parquet``
# under the prefix (RDS User Guide, "File naming conventions for exports to Amazon S3"), so the
# tables sit at the 4th folder level of the bucket: exports/ (1), the export (2), the database (3).
# Glue's TableLevelConfiguration is that absolute level (Glue guide, "Specifying the table location
# and partitioning level"); without it the crawler merges similar folders into one table.
TABLE_LEVEL = 4
# The export's own metadata files, at the export's root: not tables.
CRAWLER_EXCLUSIONS = ("**/export_info_*.json", "**/export_tables_info_*.json")


@dataclass(frozen=True)
class AnalyticsArgs:
    stack: str
    bytes_scanned_cutoff: int
    """Athena's per-query cutoff, in bytes (Athena's minimum is 10 MB)."""
    export_retention_days: int
    """How long an export stays in the bucket (and noncurrent versions after it)."""
    partition: pulumi.Input[str] = "aws"
    tags: Mapping[str, str] = field(default_factory=dict)
    spectrum: bool = False
    """Whether a role lets Redshift Spectrum read the exports through the Glue database."""


def glue_database_name(stack: str) -> str:
    """A Glue database name: lower case letters, digits and underscores."""
    return "mysql_platform_" + re.sub(r"[^a-z0-9_]", "_", stack.lower())


# The provider makes the name as the prefix plus a 26-character unique suffix (create.Name), so
# the prefix may have at most 128 - 26 characters (terraform-provider-aws
# internal/service/iam/policy.go: policyNamePrefixMaxLen = policyNameMaxLen - id.UniqueIDSuffixLength).
POLICY_NAME_MAX = 128
UNIQUE_SUFFIX_LENGTH = 26


def query_policy_name_prefix(stack: str) -> str:
    """The query policy's name prefix: the stack in it, so that a person can find the policy.

    Not a fixed name: IAM names are global to the account, so the same stack name in another
    region or project would collide, and so would a replacement, which Pulumi creates before it
    deletes the old policy (CreatePolicy fails with EntityAlreadyExists). With ``name_prefix`` the
    provider adds a unique suffix on every create (policy.go resourcePolicyCreate: create.Name);
    ``name`` and ``name_prefix`` are both ForceNew, so moving from the old fixed name replaces the
    policy once, and a policy attached to users or roles must be attached again by its new ARN.
    """
    prefix = f"mysql-platform-{stack}-analytics-query-"
    if len(prefix) > POLICY_NAME_MAX - UNIQUE_SUFFIX_LENGTH:
        raise ValueError(
            f"stack: got {stack!r} ({len(stack)} characters); expected at most "
            f"{POLICY_NAME_MAX - UNIQUE_SUFFIX_LENGTH - len(prefix) + len(stack)} characters, "
            "so that the analytics query policy's name fits IAM's 128"
        )
    return prefix


class Analytics(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    export_role_arn: pulumi.Output[str]
    glue_database: pulumi.Output[str]
    crawler_name: pulumi.Output[str]
    workgroup: pulumi.Output[str]
    query_policy_arn: pulumi.Output[str]
    spectrum_role_arn: pulumi.Output[str] | None = None
    spectrum_schema_sql: pulumi.Output[str] | None = None

    def __init__(self, name: str, args: AnalyticsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        # Kept with the bucket: a scheduled key deletion would leave every kept export unreadable.
        key = aws.kms.Key(
            f"{name}-key",
            description=f"mysql-platform {args.stack}: snapshot exports and Athena results",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=tags,
            opts=self._kept(),
        )
        # The name is global: AWS picks a unique suffix; retained so exports outlive a destroy.
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=f"mysql-platform-{args.stack.lower()}-analytics-"[:37],
            tags=tags,
            opts=self._kept(),
        )
        self._lock_down(name, bucket, key, args)
        export_role = self._export_role(name, bucket, key, tags)
        database = aws.glue.CatalogDatabase(
            f"{name}-glue-db", name=glue_database_name(args.stack), opts=child
        )
        crawler = self._crawler(name, bucket, key, database, args, tags)
        workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=f"mysql-platform-{args.stack}",
            description="Queries over the exported snapshots: results encrypted, scans capped",
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=args.bytes_scanned_cutoff,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=bucket.bucket.apply(lambda b: f"s3://{b}/{RESULTS_PREFIX}"),
                    encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                        encryption_option="SSE_KMS", kms_key_arn=key.arn
                    ),
                ),
            ),
            tags=tags,
            opts=child,
        )
        query_policy = aws.iam.Policy(
            f"{name}-query-policy",
            name_prefix=query_policy_name_prefix(args.stack),
            description="Run mysql-platform analytics query: this workgroup, catalog database and bucket",
            policy=pulumi.Output.all(workgroup.arn, database.arn, bucket.arn, key.arn).apply(
                lambda a: policy_document(query_statements(a[0], a[1], a[2], a[3]))
            ),
            tags=tags,
            opts=child,
        )
        self.query_policy_arn = query_policy.arn
        self.bucket_name = bucket.bucket
        self.key_arn = key.arn
        self.export_role_arn = export_role.arn
        self.glue_database = database.name
        self.crawler_name = crawler.name
        self.workgroup = workgroup.name
        spectrum = self._spectrum(name, bucket, key, database, tags) if args.spectrum else {}
        self.register_outputs(
            {
                "bucket": self.bucket_name,
                "key_arn": self.key_arn,
                "export_role_arn": self.export_role_arn,
                "glue_database": self.glue_database,
                "crawler": self.crawler_name,
                "workgroup": self.workgroup,
                "query_policy_arn": self.query_policy_arn,
                **spectrum,
            }
        )

    def _spectrum(
        self,
        name: str,
        bucket: aws.s3.Bucket,
        key: aws.kms.Key,
        database: aws.glue.CatalogDatabase,
        tags: Mapping[str, str],
    ) -> dict[str, pulumi.Output[str]]:
        """The role Redshift Spectrum assumes (reads only; see analytics_access.spectrum_statements)
        and the CREATE EXTERNAL SCHEMA that names it. The schema takes the Glue database's name;
        REGION is the database's own, read from its ARN."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-spectrum-role",
            description="Redshift Spectrum: read the exports through this stack's Glue database",
            assume_role_policy=trust(*SPECTRUM_SERVICES),
            tags=dict(tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-spectrum-read",
            role=role.id,
            policy=pulumi.Output.all(bucket.arn, key.arn, database.arn).apply(
                lambda a: policy_document(spectrum_statements(a[0], a[1], a[2]))
            ),
            opts=child,
        )
        self.spectrum_role_arn = role.arn
        self.spectrum_schema_sql = pulumi.Output.all(database.name, database.arn, role.arn).apply(
            lambda a: external_schema_sql(a[0], a[0], region_of(a[1]), a[2])
        )
        return {"spectrum_role_arn": role.arn, "spectrum_schema_sql": self.spectrum_schema_sql}

    def _kept(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        """Options of what outlives ``pulumi destroy`` (see the module docstring)."""
        return pulumi.ResourceOptions(parent=self, retain_on_delete=True, depends_on=depends_on)

    def _lock_down(self, name: str, bucket: aws.s3.Bucket, key: aws.kms.Key, args: AnalyticsArgs) -> None:
        """The bucket's guards, kept with it: deleting one would weaken the kept bucket."""
        child = self._kept()
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                _expiry("expire-old-exports", EXPORT_PREFIX, args.export_retention_days),
                _expiry("expire-query-results", RESULTS_PREFIX, RESULTS_RETENTION_DAYS),
            ],
            # Lifecycle rules on a versioned bucket apply once versioning is on.
            opts=self._kept(depends_on=[versioning]),
        )

    def _scoped_role(
        self,
        name: str,
        service: str,
        policy_name: str,
        access: tuple[list[str], list[str], list[str]],
        bucket: aws.s3.Bucket,
        key: aws.kms.Key,
        tags: Mapping[str, str],
    ) -> aws.iam.Role:
        """A role ``service`` assumes, allowed (object actions under the export prefix, bucket
        actions, key actions) and nothing else."""
        objects, bucket_actions, key_actions = access
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(name, assume_role_policy=trust(service), tags=tags, opts=child)
        policy = pulumi.Output.all(bucket.arn, key.arn).apply(
            lambda a: policy_document(
                [
                    {"Effect": "Allow", "Action": objects, "Resource": f"{a[0]}/{EXPORT_PREFIX}*"},
                    {"Effect": "Allow", "Action": bucket_actions, "Resource": a[0]},
                    {"Effect": "Allow", "Action": key_actions, "Resource": a[1]},
                ]
            )
        )
        aws.iam.RolePolicy(policy_name, role=role.id, policy=policy, opts=child)
        return role

    def _export_role(
        self, name: str, bucket: aws.s3.Bucket, key: aws.kms.Key, tags: Mapping[str, str]
    ) -> aws.iam.Role:
        access = (
            ["s3:PutObject*", "s3:GetObject*", "s3:DeleteObject*"],
            ["s3:ListBucket", "s3:GetBucketLocation"],
            [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
                "kms:DescribeKey",
                "kms:CreateGrant",
            ],
        )
        return self._scoped_role(
            f"{name}-export-role",
            "export.rds.amazonaws.com",
            f"{name}-export-policy",
            access,
            bucket,
            key,
            tags,
        )

    def _crawler(
        self,
        name: str,
        bucket: aws.s3.Bucket,
        key: aws.kms.Key,
        database: aws.glue.CatalogDatabase,
        args: AnalyticsArgs,
        tags: Mapping[str, str],
    ) -> aws.glue.Crawler:
        child = pulumi.ResourceOptions(parent=self)
        access = (["s3:GetObject"], ["s3:ListBucket"], ["kms:Decrypt"])
        role = self._scoped_role(
            f"{name}-crawler-role", "glue.amazonaws.com", f"{name}-crawler-read", access, bucket, key, tags
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-crawler-service",
            role=role.name,
            policy_arn=pulumi.Output.from_input(args.partition).apply(
                lambda p: GLUE_SERVICE_POLICY.format(partition=p)
            ),
            opts=child,
        )
        return aws.glue.Crawler(
            f"{name}-crawler",
            database_name=database.name,
            role=role.arn,
            s3_targets=[
                aws.glue.CrawlerS3TargetArgs(
                    path=bucket.bucket.apply(lambda b: f"s3://{b}/{EXPORT_PREFIX}"),
                    exclusions=list(CRAWLER_EXCLUSIONS),
                )
            ],
            configuration=json.dumps({"Version": 1.0, "Grouping": {"TableLevelConfiguration": TABLE_LEVEL}}),
            # Each run catalogs only the export folders added since the last run (Glue guide,
            # "Incremental crawls", which requires LOG for both schema-change behaviours). The
            # export command first drops the tables of older exports, so the new export's tables
            # take the same names instead of getting a hash suffix.
            recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"),
            schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
                update_behavior="LOG", delete_behavior="LOG"
            ),
            tags=tags,
            opts=child,
        )


def _expiry(rule_id: str, prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=days
        ),
    )
