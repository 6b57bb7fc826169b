"""Who may do what with the analytics data: the IAM statements of the query policy and of the
Redshift Spectrum role, each action on the one resource it needs.

Pure Python (no Pulumi import): the component applies these to its resources' ARNs, the tests
call them with the mocked ones.
"""

from __future__ import annotations

import json
from typing import Final

from mysql_platform.components.spectrum_sql import region_of

EXPORT_PREFIX: Final = "exports/"
RESULTS_PREFIX: Final = "results/"
# The trust a role for Redshift has: "Principal": {"Service": "redshift.amazonaws.com"},
# "Action": "sts:AssumeRole" (Redshift Management Guide, "Authorizing Amazon Redshift to access
# other AWS services on your behalf"); Redshift Serverless needs "redshift-serverless.amazonaws.com
# and redshift.amazonaws.com as principal service names" (Management Guide, "Granting permissions
# to Amazon Redshift Serverless"). Provisioned clusters and Serverless workgroups both use this role.
SPECTRUM_SERVICES: Final = ("redshift.amazonaws.com", "redshift-serverless.amazonaws.com")
# The reads of the Glue actions Redshift Spectrum's minimum policy lists (Redshift Database
# Developer Guide, "IAM policies for Amazon Redshift Spectrum", policy to grant minimum
# permissions): that list also has the Create/Update/Delete/BatchCreate/BatchDelete actions, which
# CREATE EXTERNAL DATABASE and external tables made from Redshift need; a schema over a database
# the crawler keeps needs only the reads.
SPECTRUM_GLUE_READS: Final = (
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
)


def catalog_resources(database_arn: str) -> list[str]:
    """The catalog, the one database and its tables: what a read of this database touches."""
    # arn:<partition>:glue:<region>:<account>:database/<name>: the catalog and the tables share
    # the prefix (Glue guide, "Specifying AWS Glue resource ARNs").
    prefix, db = database_arn.split(":database/", 1)
    return [f"{prefix}:catalog", database_arn, f"{prefix}:table/{db}/*"]


def spectrum_statements(bucket_arn: str, key_arn: str, database_arn: str) -> list[dict[str, object]]:
    """What Redshift Spectrum reads through its role, and nothing it could write.

    Redshift Database Developer Guide, "IAM policies for Amazon Redshift Spectrum": "At a minimum,
    your cluster needs GET and LIST access to your Amazon S3 bucket"; its minimum policy has
    s3:GetBucketLocation, s3:GetObject and s3:ListBucket (and the multipart listings, which only
    writes use), and the Glue actions of SPECTRUM_GLUE_READS. kms:Decrypt reads the SSE-KMS
    objects (S3 guide, "Permissions for SSE-KMS").
    """
    return [
        {
            "Sid": "ListOnlyTheExports",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{EXPORT_PREFIX}*"]}},
        },
        {"Sid": "BucketRegion", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn},
        {
            "Sid": "ReadExports",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/{EXPORT_PREFIX}*",
        },
        {
            # Only through S3 (the SSE-KMS reads): kms:ViaService names the service that calls KMS
            # on the role's behalf (KMS guide, "kms:ViaService"; its value for S3 is
            # s3.<region>.amazonaws.com). The key lives in the bucket's Region.
            "Sid": "DecryptWithTheBucketsKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region_of(key_arn)}.amazonaws.com"}},
        },
        {
            "Sid": "CatalogReads",
            "Effect": "Allow",
            "Action": list(SPECTRUM_GLUE_READS),
            "Resource": catalog_resources(database_arn),
        },
    ]


def query_statements(
    workgroup_arn: str, database_arn: str, bucket_arn: str, key_arn: str
) -> list[dict[str, object]]:
    """Least privilege for ``analytics query``: each action on the one resource it needs."""
    results, exports = f"{bucket_arn}/{RESULTS_PREFIX}*", f"{bucket_arn}/{EXPORT_PREFIX}*"
    return [
        {
            "Sid": "AthenaInTheWorkgroup",
            "Effect": "Allow",
            "Action": [
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:StopQueryExecution",
            ],
            "Resource": workgroup_arn,
        },
        {
            "Sid": "CatalogReads",
            "Effect": "Allow",
            "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"],
            "Resource": catalog_resources(database_arn),
        },
        {
            "Sid": "ListOnlyTheTwoPrefixes",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{EXPORT_PREFIX}*", f"{RESULTS_PREFIX}*"]}},
        },
        {"Sid": "BucketRegion", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn},
        {"Sid": "ReadExports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": exports},
        {
            # Athena's results location needs these (Athena guide, "Access to Amazon S3").
            "Sid": "ReadAndWriteResults",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            "Resource": results,
        },
        {
            # Decrypt reads SSE-KMS objects; GenerateDataKey writes them (S3 guide, "Permissions
            # for SSE-KMS": with S3 Bucket Keys the data key is per bucket, the call the same).
            "Sid": "TheBucketsKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        },
    ]


def trust(*services: str) -> str:
    """A role trust policy: ``services`` may assume the role, nobody else (one service is written
    as a string, several as a list, as IAM accepts both)."""
    principal: str | list[str] = services[0] if len(services) == 1 else list(services)
    statement = {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def policy_document(statements: list[dict[str, object]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
