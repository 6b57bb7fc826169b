"""Redshift Spectrum over the analytics catalog (``analyticsSpectrumEnabled``): a read-only role
Redshift assumes, and the CREATE EXTERNAL SCHEMA statement as an output; absent unless asked."""

from __future__ import annotations

import json
import re

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError, parse_settings
from mysql_platform.components.spectrum_sql import delimited_identifier, external_schema_sql
from mysql_platform.core import contract, outputs
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.stacks import ANALYTICS

ROLE = "aws:iam/role:Role"
SQL_KEY = "spectrum_schema_sql"

# Redshift Database Developer Guide, "CREATE EXTERNAL SCHEMA"
# (docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html), the synopsis's lines for
# an external data catalog:
#   CREATE EXTERNAL SCHEMA [IF NOT EXISTS] local_schema_name
#   FROM [ [ DATA CATALOG ] | HIVE METASTORE | ... ]
#   [ DATABASE 'database_name' ]
#   [ REGION 'aws-region' ]
#   [ IAM_ROLE [ default | 'SESSION' | 'arn:aws:iam::<AWS account-id>:role/<role-name>' ] ]
# The name is a standard identifier or a delimited one ("Names and identifiers": double quotes, a
# quote inside doubled); keywords are case-insensitive.
GRAMMAR = re.compile(
    r"CREATE\s+EXTERNAL\s+SCHEMA(?:\s+IF\s+NOT\s+EXISTS)?"
    r"\s+(?P<schema>\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)"
    r"\s+FROM(?:\s+DATA\s+CATALOG)?"
    r"(?:\s+DATABASE\s+'(?P<database>[^']*)')?"
    r"(?:\s+REGION\s+'(?P<region>[^']*)')?"
    r"(?:\s+IAM_ROLE\s+(?:default|'SESSION'|'(?P<role>arn:aws:iam::\d{12}:role/[^',\s]+)'))?"
    r"\s*;",
    re.IGNORECASE,
)


def spectrum() -> ProgramRun:
    return shared_run(program, "prod", overrides=ANALYTICS)


def without_spectrum() -> ProgramRun:
    # The dev run the plan's cost tests read: analytics on, Spectrum at its default.
    return shared_run(program, "dev", overrides={"analyticsEnabled": True})


def arn(r: ProgramRun, type_: str, name: str) -> str:
    return str(r.outputs_of(r.one(type_, name))["arn"])


def test_off_unless_asked_even_with_analytics_on() -> None:
    r = without_spectrum()
    assert not [x for x in r.of_type(ROLE) if "spectrum" in x.name]
    exported = r.exports[contract.ANALYTICS]
    assert not set(contract.ANALYTICS_OPTIONAL_KEYS) & set(exported)
    parsed = outputs.parse_outputs(r.exports).analytics
    assert parsed is not None and (parsed.spectrum_role_arn, parsed.spectrum_schema_sql) == (None, None)


def test_needs_analytics() -> None:
    values = {"analyticsSpectrumEnabled": "true"}
    with pytest.raises(ConfigError) as info:
        parse_settings("dev", values.get)
    assert info.value.problems == [
        "analyticsSpectrumEnabled: got True; needs analyticsEnabled: true "
        "(the Spectrum role reads the analytics bucket and Glue database)"
    ]


def test_the_role_is_for_redshift_only() -> None:
    role = spectrum().one(ROLE, "analytics-spectrum-role")
    # Redshift Management Guide, "Authorizing Amazon Redshift to access other AWS services on
    # your behalf": the trust relationship of a role for Redshift; "Granting permissions to Amazon
    # Redshift Serverless": Serverless needs both service names.
    assert json.loads(role.plain("assumeRolePolicy")) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert not role.retain_on_delete


def test_the_role_reads_the_exports_the_key_and_this_catalog_and_writes_nothing() -> None:
    r = spectrum()
    bucket = arn(r, "aws:s3/bucket:Bucket", "analytics-bucket")
    key = arn(r, "aws:kms/key:Key", "analytics-key")
    database = arn(r, "aws:glue/catalogDatabase:CatalogDatabase", "analytics-glue-db")
    assert database == "arn:aws:glue:us-east-1:123456789012:database/mysql_platform_prod"
    policy = r.one("aws:iam/rolePolicy:RolePolicy", "analytics-spectrum-read")
    assert policy.plain("role") == r.id_of(r.one(ROLE, "analytics-spectrum-role"))
    glue = "arn:aws:glue:us-east-1:123456789012"
    assert json.loads(policy.plain("policy")) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOnlyTheExports",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket,
                "Condition": {"StringLike": {"s3:prefix": ["exports/*"]}},
            },
            {"Sid": "BucketRegion", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket},
            {
                "Sid": "ReadExports",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket}/exports/*",
            },
            {
                "Sid": "DecryptWithTheBucketsKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key,
                # Only when S3 calls KMS for the role (an SSE-KMS read), in the key's Region.
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            },
            {
                "Sid": "CatalogReads",
                "Effect": "Allow",
                # The reads of Redshift's minimum Spectrum policy ("IAM policies for Amazon
                # Redshift Spectrum"), none of its Create/Update/Delete actions.
                "Action": [
                    "glue:GetDatabase",
                    "glue:GetDatabases",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ],
                "Resource": [f"{glue}:catalog", database, f"{glue}:table/mysql_platform_prod/*"],
            },
        ],
    }


def test_no_wildcard_action_and_no_unscoped_resource() -> None:
    statements = json.loads(
        spectrum().one("aws:iam/rolePolicy:RolePolicy", "analytics-spectrum-read").plain("policy")
    )
    actions = [
        a
        for s in statements["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    resources = [
        x
        for s in statements["Statement"]
        for x in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert not [a for a in actions if "*" in a]
    assert not [a for a in actions if re.search(r":(Put|Delete|Create|Update|Batch(Create|Delete)|Abort)", a)]
    assert "*" not in resources and all(x.startswith("arn:aws:") for x in resources)


def test_the_output_is_the_create_external_schema_statement() -> None:
    r = spectrum()
    role = arn(r, ROLE, "analytics-spectrum-role")
    exported = r.exports[contract.ANALYTICS]
    assert exported["spectrum_role_arn"] == role == "arn:aws:iam::123456789012:role/analytics-spectrum-role"
    assert exported[SQL_KEY] == (
        'CREATE EXTERNAL SCHEMA IF NOT EXISTS "mysql_platform_prod" FROM DATA CATALOG '
        f"DATABASE 'mysql_platform_prod' REGION 'us-east-1' IAM_ROLE '{role}';"
    )
    parsed = outputs.parse_outputs(r.exports)
    assert parsed.analytics is not None and parsed.analytics.spectrum_schema_sql == exported[SQL_KEY]
    assert parsed.to_dict()[contract.ANALYTICS] == exported


def test_the_statement_parses_against_the_documented_grammar() -> None:
    r = spectrum()
    found = GRAMMAR.fullmatch(r.exports[contract.ANALYTICS][SQL_KEY])
    assert found is not None
    assert found["schema"] == '"mysql_platform_prod"'
    assert (found["database"], found["region"]) == (
        r.exports[contract.ANALYTICS]["glue_database"],
        "us-east-1",
    )
    assert found["role"] == r.exports[contract.ANALYTICS]["spectrum_role_arn"]
    # The grammar refuses what the statement must not be: no role, a chain, an unquoted odd name.
    for bad in (
        "CREATE EXTERNAL SCHEMA s FROM DATA CATALOG DATABASE 'd' IAM_ROLE 'x';",
        "CREATE EXTERNAL SCHEMA my-schema FROM DATA CATALOG DATABASE 'd';",
        "CREATE SCHEMA s FROM DATA CATALOG DATABASE 'd';",
    ):
        assert GRAMMAR.fullmatch(bad) is None, bad


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("mysql_platform_prod", '"mysql_platform_prod"'),
        ('odd "name"', '"odd ""name"""'),
        ("é" * 63, '"' + "é" * 63 + '"'),
    ],
)
def test_the_schema_name_is_a_delimited_identifier(name: str, quoted: str) -> None:
    assert delimited_identifier(name) == quoted


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "",
            "Redshift schema name: got '' (0 bytes); expected 1 to 127 bytes "
            "(Redshift, 'Names and identifiers')",
        ),
        ("s" * 128, f"Redshift schema name: got '{'s' * 128}' (128 bytes); expected 1 to 127 bytes"),
        ("a\nb", "Redshift schema name: got 'a\\nb'; expected printable characters only"),
    ],
)
def test_a_schema_name_redshift_would_refuse_is_refused(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        delimited_identifier(name)


GOOD = ("s", "mysql_platform_prod", "us-east-1", "arn:aws:iam::123456789012:role/spectrum")


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (1, "db'; DROP", 'CREATE EXTERNAL SCHEMA DATABASE: got "db\'; DROP"; expected a Glue database name'),
        (2, "us east 1", "CREATE EXTERNAL SCHEMA REGION: got 'us east 1'; expected an AWS Region code"),
        (3, "arn:aws:iam::123456789012:role/a,arn:aws:iam::210987654321:role/b", "expected one IAM role ARN"),
        (3, "arn:aws:iam::123456789012:role/x'", "expected one IAM role ARN"),
    ],
)
def test_a_value_that_would_break_the_quoting_is_refused(index: int, value: str, message: str) -> None:
    args = list(GOOD)
    args[index] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        external_schema_sql(*args)


def test_the_outputs_parser_takes_the_spectrum_keys_as_optional() -> None:
    exported = dict(spectrum().exports)
    analytics = dict(exported[contract.ANALYTICS])
    with pytest.raises(
        outputs.OutputsError, match=r"^outputs: key 'analytics.spectrum_schema_sql' must be a non-empty"
    ):
        outputs.parse_outputs({**exported, contract.ANALYTICS: {**analytics, SQL_KEY: ""}})
    older = {k: v for k, v in analytics.items() if k not in contract.ANALYTICS_OPTIONAL_KEYS}
    parsed = outputs.parse_outputs({**exported, contract.ANALYTICS: older}).analytics
    assert parsed is not None and parsed.spectrum_schema_sql is None
    assert list(parsed.to_dict()) == list(contract.ANALYTICS_KEYS)
