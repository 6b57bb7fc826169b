"""The Analytics component (``analyticsEnabled``): private, encrypted, scoped, capped; absent when off."""

from __future__ import annotations

import json

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError
from mysql_platform.core import contract, outputs
from tests.support.pulumi_harness import ProgramRun, Registered, shared_run
from tests.support.stacks import ANALYTICS

ON = ANALYTICS
KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"


def run(stack: str = "prod", **extra: object) -> ProgramRun:
    return shared_run(program, stack, overrides={**ON, **extra})


def one(r: ProgramRun, type_: str) -> Registered:
    (found,) = r.of_type(type_)
    return found


def policy_of(r: ProgramRun, name: str) -> dict[str, object]:
    return json.loads(r.one("aws:iam/rolePolicy:RolePolicy", name).plain("policy"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_off_by_default(stack: str) -> None:
    r = shared_run(program, stack)
    assert not [x for x in r.resources if x.type.startswith(("aws:s3", "aws:glue", "aws:athena", "aws:kms"))]
    assert contract.ANALYTICS not in r.exports


def test_the_bucket_is_private_encrypted_with_its_own_key_versioned_and_expires_old_data() -> None:
    r = run(analyticsExportRetentionDays=45)
    key, bucket = one(r, KEY), one(r, BUCKET)
    assert key.plain("enableKeyRotation") is True
    assert bucket.retain_on_delete and bucket.plain("bucketPrefix").startswith(
        "mysql-platform-prod-analytics-"
    )
    block = one(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.plain(k) is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = one(r, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.plain("rule") == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = one(
        r, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).plain("rules")
    key_arn = r.outputs_of(key)["arn"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key_arn,
    }
    assert rule["bucketKeyEnabled"] is True
    assert one(r, "aws:s3/bucketVersioning:BucketVersioning").plain("versioningConfiguration") == {
        "status": "Enabled"
    }
    rules = {
        x["id"]: x
        for x in one(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").plain("rules")
    }
    assert rules["expire-old-exports"]["filter"] == {"prefix": "exports/"}
    assert rules["expire-old-exports"]["expiration"] == {"days": 45}
    assert rules["expire-query-results"]["filter"] == {"prefix": "results/"}


def test_the_export_role_is_for_rds_export_and_writes_only_under_the_export_prefix() -> None:
    r = run()
    role = r.one("aws:iam/role:Role", "analytics-export-role")
    trust = json.loads(role.plain("assumeRolePolicy"))
    assert trust["Statement"][0]["Principal"] == {"Service": "export.rds.amazonaws.com"}
    statements = policy_of(r, "analytics-export-policy")["Statement"]
    bucket_arn = r.outputs_of(one(r, BUCKET))["arn"]
    assert statements[0]["Resource"] == f"{bucket_arn}/exports/*"  # type: ignore[index]
    assert statements[2]["Resource"] == r.outputs_of(one(r, KEY))["arn"]  # type: ignore[index]


def test_the_crawler_reads_the_exports_into_the_glue_database() -> None:
    r = run()
    database = one(r, "aws:glue/catalogDatabase:CatalogDatabase")
    assert database.plain("name") == "mysql_platform_prod"
    crawler = one(r, "aws:glue/crawler:Crawler")
    bucket = r.outputs_of(one(r, BUCKET))["bucket"]
    assert crawler.plain("s3Targets") == [
        {
            "path": f"s3://{bucket}/exports/",
            "exclusions": ["**/export_info_*.json", "**/export_tables_info_*.json"],
        }
    ]
    # Tables at exports/<export id>/<database>/<database>.<table>: the 4th level of the bucket.
    assert json.loads(crawler.plain("configuration")) == {
        "Version": 1.0,
        "Grouping": {"TableLevelConfiguration": 4},
    }
    # Incremental: only new export folders, and Glue requires LOG/LOG for that.
    assert crawler.plain("recrawlPolicy") == {"recrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert crawler.plain("schemaChangePolicy") == {"updateBehavior": "LOG", "deleteBehavior": "LOG"}
    attached = r.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "analytics-crawler-service")
    assert attached.plain("policyArn") == "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"


def test_the_workgroup_enforces_encrypted_results_and_a_scan_cutoff() -> None:
    r = run(analyticsBytesScannedCutoffMib=100)
    config = one(r, "aws:athena/workgroup:Workgroup").plain("configuration")
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["bytesScannedCutoffPerQuery"] == 100 * 1024 * 1024
    result = config["resultConfiguration"]
    bucket = r.outputs_of(one(r, BUCKET))["bucket"]
    assert result["outputLocation"] == f"s3://{bucket}/results/"
    assert result["encryptionConfiguration"] == {
        "encryptionOption": "SSE_KMS",
        "kmsKeyArn": r.outputs_of(one(r, KEY))["arn"],
    }


def test_the_contract_has_an_analytics_object_the_parser_reads() -> None:
    r = run()
    parsed = outputs.parse_outputs(r.exports)
    assert parsed.analytics is not None
    assert (
        parsed.analytics.export_prefix == "exports/"
        and parsed.analytics.glue_database == "mysql_platform_prod"
    )
    assert parsed.to_dict()[contract.ANALYTICS] == r.exports[contract.ANALYTICS]
    primary = r.one("aws:rds/instance:Instance", "db-primary-instance")
    assert parsed.analytics.source_db_instance == primary.plain("identifier")


def test_after_a_promotion_the_export_source_is_the_promoted_replica() -> None:
    r = run(dbReplicaCount=1, dbPromoteReplica=1)
    replica = r.one("aws:rds/instance:Instance", "db-replica-1")
    assert r.exports[contract.ANALYTICS]["source_db_instance"] == replica.plain("identifier")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("analyticsBytesScannedCutoffMib", 9, "at least 10 MB"),
        ("analyticsExportRetentionDays", 0, "1 or more days"),
    ],
)
def test_rejects_what_athena_or_s3_would_refuse(key: str, value: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        run(**{key: value})
    assert any(p.startswith(f"{key}: got {value}") and fragment in p for p in info.value.problems)


KEPT_WITH_THE_BUCKET = [
    # What destroy must not touch while the bucket stays (provider delete in parentheses):
    KEY,  # ScheduleKeyDeletion: nothing in the bucket decrypts after the window
    BUCKET,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",  # DeletePublicAccessBlock
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",  # DeleteBucketOwnershipControls
    # DeleteBucketEncryption: back to the SSE-S3 default
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",  # suspends versioning
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",  # DeleteBucketLifecycle
]


@pytest.mark.parametrize("type_", KEPT_WITH_THE_BUCKET)
def test_destroy_keeps_the_key_and_the_guards_with_the_bucket(type_: str) -> None:
    assert one(run(), type_).retain_on_delete


def test_destroy_removes_what_the_kept_bucket_does_not_need() -> None:
    r = run()
    for type_ in ("aws:glue/crawler:Crawler", "aws:athena/workgroup:Workgroup", "aws:iam/role:Role"):
        assert not any(x.retain_on_delete for x in r.of_type(type_) if x.name.startswith("analytics"))


def query_policy(r: ProgramRun) -> dict[str, dict[str, object]]:
    found = r.one("aws:iam/policy:Policy", "analytics-query-policy")
    assert found.plain("name") is None  # a fixed name would collide across the account
    assert found.plain("namePrefix") == "mysql-platform-prod-analytics-query-"
    return {s["Sid"]: s for s in json.loads(found.plain("policy"))["Statement"]}


def test_the_query_policy_reads_the_catalog_athena_needs_and_nothing_else() -> None:
    r = run()
    catalog = query_policy(r)["CatalogReads"]
    assert set(catalog["Action"]) >= {"glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"}
    db = r.outputs_of(r.one("aws:glue/catalogDatabase:CatalogDatabase", "analytics-glue-db"))["arn"]
    prefix = db.split(":database/")[0]
    assert catalog["Resource"] == [f"{prefix}:catalog", db, f"{prefix}:table/mysql_platform_prod/*"]


def test_the_query_policy_reads_exports_writes_results_and_decrypts_with_the_key() -> None:
    r = run()
    st = query_policy(r)
    bucket_arn = r.outputs_of(one(r, BUCKET))["arn"]
    assert st["ReadExports"]["Action"] == "s3:GetObject"
    assert st["ReadExports"]["Resource"] == f"{bucket_arn}/exports/*"
    assert st["ReadAndWriteResults"]["Resource"] == f"{bucket_arn}/results/*"
    assert "s3:PutObject" in st["ReadAndWriteResults"]["Action"]
    listing = st["ListOnlyTheTwoPrefixes"]
    assert listing["Resource"] == bucket_arn
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["exports/*", "results/*"]}}
    assert st["TheBucketsKey"]["Resource"] == r.outputs_of(one(r, KEY))["arn"]
    assert "kms:Decrypt" in st["TheBucketsKey"]["Action"]
    workgroup = r.outputs_of(one(r, "aws:athena/workgroup:Workgroup"))["arn"]
    assert st["AthenaInTheWorkgroup"]["Resource"] == workgroup
    everything = [
        a for s in st.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not [a for a in everything if a.endswith("*")]
    assert not [s for s in st.values() if s["Resource"] == "*"]


def test_the_query_policy_gets_a_unique_name_under_its_prefix() -> None:
    # The provider appends a 26-character unique suffix to name_prefix (the mocks fake one).
    r = run()
    made = r.outputs_of(r.one("aws:iam/policy:Policy", "analytics-query-policy"))["name"]
    prefix = "mysql-platform-prod-analytics-query-"
    assert made.startswith(prefix) and len(made) == len(prefix) + 26


def test_a_stack_name_too_long_for_the_query_policy_name_is_refused() -> None:
    from mysql_platform.components.analytics import query_policy_name_prefix

    assert len(query_policy_name_prefix("s" * 70)) == 102
    with pytest.raises(
        ValueError, match=r"stack: got 's{71}' \(71 characters\); expected at most 70 characters"
    ):
        query_policy_name_prefix("s" * 71)
