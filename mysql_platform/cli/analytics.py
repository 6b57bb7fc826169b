"""``mysql-platform analytics export|query STACK``: the stack's data in Athena, schema on read.

    analytics export STACK [--snapshot ID] [--tables app.orders,...]
        the newest automated snapshot of the writer (or --snapshot) exported to the analytics
        bucket as Parquet, progress as RDS reports it; then the Glue crawler over that export,
        and the tables now queryable in Athena
    analytics query STACK "SQL" [--json]
        the SQL in the stack's Athena workgroup; the result, the bytes scanned and their cost

The stack's outputs come from the Automation API (the Pulumi CLI), or from ``--outputs FILE``
(``pulumi stack output --json``). AWS credentials come from boto3's default chain; the region
from the outputs. Needs the analytics extra (boto3).

Exit codes: 0 ok, 2 bad input (no analytics in the stack, bad --tables, extra missing),
11 not found (no snapshot, crawler, workgroup), 12 denied (credentials, the role, the key),
13 failed (the export task, the crawl or the query).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mysql_platform.analytics import layout
from mysql_platform.analytics.display import shown
from mysql_platform.analytics.errors import BadInput, require_extra
from mysql_platform.analytics.progress import Progress
from mysql_platform.analytics.table_text import aligned, as_json
from mysql_platform.core import outputs as outputs_file
from mysql_platform.core.command_names import prog
from mysql_platform.core.contract import AnalyticsInfo, StackOutputs
from mysql_platform.core.outputs import OutputsError
from mysql_platform.errors import EXIT_INTERRUPTED, PlatformError

PROG = prog("analytics")
# The environment name in the local environment's outputs (mysql_platform.local.outputs): it has
# no stack file and no AWS account, so no Athena; `mysql-platform local export|query` is its half.
LOCAL_ENVIRONMENT = "local"
DEFAULT_MAX_ROWS = 1000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="The stack's data queryable in Athena: snapshot export, Glue crawl, queries.",
        epilog="exit codes: 0 ok, 2 bad input, 11 not found, 12 denied, 13 the export, crawl or query failed",
    )
    sub = p.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="export a snapshot to S3 as Parquet and catalog it with Glue")
    _common(export)
    export.add_argument(
        "--snapshot", metavar="ID", help="this DB snapshot (default: the newest automated one)"
    )
    export.add_argument("--tables", metavar="DB.T1,DB.T2", help="only these tables (a partial export)")
    export.add_argument(
        "--timeout", type=float, default=6 * 3600, metavar="S", help="wait for the export (6 h)"
    )
    export.add_argument("--poll", type=float, default=30.0, metavar="S", help="seconds between checks (30)")
    export.add_argument("--crawl-timeout", type=float, default=1800.0, metavar="S", help="wait for the crawl")
    export.add_argument("--no-crawl", action="store_true", help="export only; do not run the crawler")
    query = sub.add_parser("query", help="run SQL in the stack's Athena workgroup")
    _common(query)
    query.add_argument("sql", metavar="SQL")
    query.add_argument("--json", action="store_true", help="the result as JSON")
    query.add_argument(
        "--max-rows", type=int, default=DEFAULT_MAX_ROWS, metavar="N", help=f"rows shown ({DEFAULT_MAX_ROWS})"
    )
    query.add_argument("--timeout", type=float, default=600.0, metavar="S", help="wait for the query (600)")
    query.add_argument("--poll", type=float, default=1.0, metavar="S", help="seconds between checks (1)")
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("stack", metavar="STACK", help="the stack (dev, prod)")
    p.add_argument("--outputs", type=Path, metavar="FILE", help="`pulumi stack output --json` of the stack")


def stack_outputs(stack: str, path: Path | None) -> StackOutputs:
    if path is None:
        from mysql_platform.stack import automation

        return automation.outputs(stack)
    try:
        found = outputs_file.load(path)
    except OutputsError as exc:
        raise BadInput(f"{path}: {exc}") from None
    if found.environment != stack:
        raise BadInput(f"{path} holds the outputs of stack '{found.environment}', not '{stack}'")
    return found


def analytics_of(stack: str, found: StackOutputs) -> AnalyticsInfo:
    if found.analytics is None:
        raise BadInput(
            f"stack '{stack}' has no analytics resources: set `mysql-platform:analyticsEnabled: true` "
            f"in Pulumi.{stack}.yaml, then run `mysql-platform stack up {stack} --yes` "
            f"(or `pulumi up -s {stack}`)"
        )
    return found.analytics


def local_instead(args: argparse.Namespace) -> str:
    """What runs for the local environment: ``local export`` and ``local query``, with the options
    that carry over (the SQL, --tables, --json, --max-rows; a snapshot is AWS's alone)."""
    export, query = "mysql-platform local export", 'mysql-platform local query "SQL"'
    if args.command == "export" and args.tables:
        export += f" --tables {shlex.quote(args.tables)}"
    elif args.command == "query":
        rows = f" --max-rows {args.max_rows}" if args.max_rows != DEFAULT_MAX_ROWS else ""
        query = f"mysql-platform local query {shlex.quote(args.sql)}{' --json' if args.json else ''}{rows}"
    return (
        f"stack '{LOCAL_ENVIRONMENT}' is the local environment: it has no stack file and no AWS account, "
        "so no Athena. Its analytics run on this machine, DuckDB over Parquet files laid out as an RDS "
        "snapshot export writes them, tables named as in Athena (app.orders is app_orders): with the "
        f"environment up (`mysql-platform local up`), run `{export}` once, then `{query}`"
    )


def run_export(args: argparse.Namespace, info: AnalyticsInfo) -> int:
    from mysql_platform.analytics import aws_calls, catalog, snapshot_export

    region = aws_calls.region_of(info.key_arn)
    tables = layout.parse_tables(args.tables) if args.tables else ()
    rds = aws_calls.client("rds", region)
    snapshot = (
        snapshot_export.named(rds, args.snapshot)
        if args.snapshot
        else snapshot_export.newest_automated(rds, info.source_db_instance)
    )
    export_id = snapshot_export.export_identifier(args.stack, snapshot, dt.datetime.now(dt.UTC))
    prefix = info.export_prefix.strip("/")
    print(
        f"exporting {snapshot.kind} snapshot {snapshot.identifier} ({snapshot.created:%Y-%m-%d %H:%M} UTC) "
        f"to s3://{info.bucket}/{prefix}/{export_id}/ as Parquet"
    )
    request = snapshot_export.ExportRequest(
        export_id, snapshot, info.bucket, prefix, info.export_role_arn, info.key_arn, tables
    )
    snapshot_export.start(rds, request)
    progress = Progress()

    def show(status: snapshot_export.ExportStatus) -> None:
        size = "" if status.extracted_gb is None else f"{status.extracted_gb:g} GB extracted"
        progress.update(f"export {export_id} {status.status}", status.percent, size)

    done = snapshot_export.wait(rds, export_id, show, timeout_s=args.timeout, poll_s=args.poll)
    progress.finish(f"export {export_id} complete" + (f" (warning: {done.warning})" if done.warning else ""))
    if args.no_crawl:
        print(f"not crawled (--no-crawl): run the Glue crawler {info.crawler} to catalog it")
        return 0
    glue = aws_calls.client("glue", region)
    exports_url = f"s3://{info.bucket}/{prefix}/"
    export_url = f"{exports_url}{export_id}/"
    dropped = catalog.drop_older(glue, info.glue_database, exports_url, export_url)
    if dropped:
        print(f"dropped the catalog entries of the previous export: {', '.join(sorted(dropped))}")
    catalog.crawl(
        glue,
        info.crawler,
        lambda state: progress.update(f"crawler {info.crawler}", None, state),
        timeout_s=args.crawl_timeout,
        poll_s=min(args.poll, 15.0),
    )
    progress.finish(f"crawler {info.crawler} done")
    found = catalog.tables(glue, info.glue_database)
    return _print_tables(args.stack, info, found, export_url, tables)


def _print_tables(
    stack: str, info: AnalyticsInfo, found: Sequence[Any], export_url: str, requested: Sequence[str] = ()
) -> int:
    from mysql_platform.analytics import catalog
    from mysql_platform.analytics.errors import TaskFailed

    rows, warnings = catalog.compare(found, export_url, requested)
    if not rows:
        raise TaskFailed(
            f"the crawler catalogued no table under {export_url}: is the export empty "
            "(a --tables list that matched nothing)? Its log is in CloudWatch, /aws-glue/crawlers"
        )
    print(f"queryable in Athena (workgroup {info.workgroup}, database {info.glue_database}):")
    for row in rows:
        print(f"  {shown(row.name):28} <- {shown(row.folder.rsplit('/', 1)[-1])}{row.note}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f'query: mysql-platform analytics query {stack} "SELECT count(*) FROM {rows[0].name}"')
    return 0


def scan_cost(region: str, billed: int) -> str:
    from mysql_platform.planning.prices import price

    unit = price(region, "athena:scan") or price("us-east-1", "athena:scan")
    if unit is None:
        return "no vendored Athena price"
    where = region if price(region, "athena:scan") else f"us-east-1's rate; none vendored for {region}"
    return f"USD {billed / 1e12 * unit.usd:.6f} at USD {unit.usd:g} per TB ({where})"


def run_query(args: argparse.Namespace, info: AnalyticsInfo) -> int:
    from mysql_platform.analytics import athena, aws_calls

    region = aws_calls.region_of(info.key_arn)
    client = aws_calls.client("athena", region)
    result = athena.run(
        client,
        args.sql,
        workgroup=info.workgroup,
        database=info.glue_database,
        max_rows=args.max_rows,
        timeout_s=args.timeout,
        poll_s=args.poll,
    )
    billed = athena.billed_bytes(result.bytes_scanned)
    if args.json:
        print(
            as_json(
                result.columns,
                result.rows,
                types=result.types,
                query_execution_id=result.execution_id,
                bytes_scanned=result.bytes_scanned,
                bytes_billed=billed,
                truncated=result.truncated,
            )
        )
        return 0
    print(aligned(result.columns, result.rows))
    more = f" (first {args.max_rows}; --max-rows for more)" if result.truncated else ""
    print(
        f"{len(result.rows)} row(s){more}; scanned {result.bytes_scanned / 1e6:,.2f} MB, billed "
        f"{billed / 1e6:,.0f} MB (10 MB minimum): {scan_cost(region, billed)}; query {result.execution_id}",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.stack == LOCAL_ENVIRONMENT:
            raise BadInput(local_instead(args))
        require_extra("boto3")
        info = analytics_of(args.stack, stack_outputs(args.stack, args.outputs))
        return run_export(args, info) if args.command == "export" else run_query(args, info)
    except PlatformError as exc:
        print(f"analytics {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            f"analytics {args.command}: interrupted; what was started in AWS goes on (an export task, a "
            "crawl or a query): `aws rds describe-export-tasks`, the Glue and Athena consoles show it",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
