"""``mysql-platform local ...``: the local environment's commands (``mysql_platform.local.cli``), and
``export``/``query``, the local half of analytics.

    local export [--tables app.orders,...]     the application tables as Parquet, RDS's layout
    local query "SQL" [--landing NAME=FILE]    DuckDB over the newest export, tables named as
                                               Athena names them (app.orders is app_orders)

The export reads from the replica (the writer when there is none), in one consistent snapshot,
and writes under ``<state dir>/exports/<export id>/``. Exit codes: 0 ok, 2 bad input (or the
analytics extra missing, or an exports folder or lock file it cannot use), 3 cannot reach the
database, 11 no environment, export or file, 13 the query failed, 130 Ctrl-C, 143 SIGTERM (an
interrupted export or query keeps nothing). The module imports only the
standard library at first: ``down`` must run without the venv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mysql_platform.analytics.display import shown, shown_table
from mysql_platform.analytics.errors import NotFound, require_extra
from mysql_platform.analytics.interrupts import interruptible
from mysql_platform.analytics.options import at_least_one, at_least_zero, memory_size
from mysql_platform.analytics.progress import Progress
from mysql_platform.analytics.table_text import aligned, as_json
from mysql_platform.core import outputs as outputs_file
from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.core.outputs import OutputsError
from mysql_platform.errors import PlatformError, interrupt_exit
from mysql_platform.local import cli as local_cli

if TYPE_CHECKING:
    from mysql_platform.db.connection import Target

EXPORTS = "exports"
DEFAULT_MAX_ROWS = 1000


def export_root(state_dir: Path) -> Path:
    return state_dir / EXPORTS


def _add_export(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="the application tables as Parquet, in the folders an RDS snapshot export writes",
        description="Write the database's tables (db.database in the outputs) as Parquet under "
        "<state dir>/exports/<export id>/<db>/<db>.<table>/1/part-*.gz.parquet, read from the replica "
        "in one consistent snapshot. Needs the analytics extra.",
    )
    p.epilog = (
        "exit status: 0 exported; 2 bad input (or the analytics extra missing, or an exports folder or "
        "lock file it cannot use); 3 cannot reach the database; 11 no environment; 130 Ctrl-C; 143 SIGTERM"
    )
    p.add_argument("--tables", metavar="DB.T1,DB.T2", help="only these tables (default: all)")
    p.add_argument(
        "--batch-rows", type=at_least_one, default=50_000, metavar="N", help="rows per row group (50000)"
    )


def _add_query(sub: Any) -> None:
    p = sub.add_parser(
        "query",
        help="DuckDB over the newest local export; tables named as in Athena (app_orders)",
        description="Run SQL with DuckDB over a local export. Each table is a view named as Athena "
        "names it (app.orders is app_orders); --landing adds raw files as text-only views.",
        epilog="exit status: 0 done; 2 bad input (or the analytics extra missing); 11 no environment, "
        "export or file; 13 the query failed; 130 Ctrl-C; 143 SIGTERM",
    )
    p.add_argument("sql", metavar="SQL")
    p.add_argument("--export", metavar="ID", help="this export instead of the newest")
    p.add_argument(
        "--landing",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a raw .csv/.json(l) file as view NAME, read as text (schema on read); repeatable",
    )
    p.add_argument("--json", action="store_true", help="the result as JSON")
    p.add_argument(
        "--max-rows", type=at_least_zero, default=DEFAULT_MAX_ROWS, metavar="N", help="rows shown (1000)"
    )
    p.add_argument(
        "--memory-limit", type=memory_size, default="1GB", metavar="SIZE", help="DuckDB's memory cap (1GB)"
    )


def _outputs(state_dir: Path) -> StackOutputs:
    path = state_dir / "outputs.json"
    if not path.is_file():
        raise NotFound(
            f"no local environment in {state_dir} (no outputs.json): run `mysql-platform local up` first"
        )
    try:
        return outputs_file.load(path)
    except OutputsError as exc:
        raise NotFound(f"{path}: {exc}") from None


def _source(stack: StackOutputs) -> Target:
    from mysql_platform.db.connection import Target

    endpoint: Endpoint = stack.db.readers[0] if stack.db.readers else stack.db.writer
    return Target(
        host=endpoint.host,
        port=endpoint.port,
        user=stack.db.username,
        password=stack.db_password,
        ssl_ca=stack.ssl_ca,
    )


def run_export(args: argparse.Namespace) -> int:
    require_extra("pyarrow")
    from mysql_platform.analytics import layout, local_export
    from mysql_platform.db import connection as db

    stack = _outputs(args.state_dir)
    only = layout.parse_tables(args.tables) if args.tables else ()
    export_id = "local-" + dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
    progress = Progress()
    target = _source(stack)
    started = time.monotonic()
    with db.connection(target, db.Backoff(deadline_s=10)) as conn:
        summary = local_export.export_database(
            conn,
            stack.db.database,
            export_root(args.state_dir),
            export_id,
            only=only,
            batch_rows=args.batch_rows,
            on_rows=lambda table, rows: progress.update(f"export {shown(table)}", None, f"{rows:,} rows"),
        )
    took = time.monotonic() - started
    rows = sum(t.rows for t in summary.tables)
    progress.finish(
        f"exported {rows:,} rows from {target.describe()} in {took:.2f} s ({rows / took:,.0f} rows/s)"
    )
    for name in summary.cleanup.removed:
        print(f"removed {shown(name)}: the unfinished folder of an export that was killed")
    for folder, why in summary.cleanup.not_removed:
        print(f"not removed {shown(str(folder))}, the unfinished folder of a killed export ({why}): "
              "remove it by hand when no export runs (rm -rf)", file=sys.stderr)  # fmt: skip
    print(f"export {summary.export_id} in {summary.path}")
    for t in summary.tables:  # the source too: `a/b` and `a'b` are both app_a_b_<digest>
        print(f"  {shown_table(t.database, t.table)} -> {t.name}  {t.rows:,} rows  {t.files} file(s)  "
              f"{t.bytes / 1e6:,.2f} MB")  # fmt: skip
    print('query it: mysql-platform local query "SELECT count(*) FROM <table>"')
    return 0


def run_query(args: argparse.Namespace) -> int:
    require_extra("duckdb")
    from mysql_platform.analytics import local_query

    landing = local_query.parse_landing(args.landing)
    root = export_root(args.state_dir)
    export_dir = None
    if args.export or not landing or local_query.exports(root):
        export_dir = local_query.choose_export(root, args.export)
    started = time.monotonic()
    with local_query.session(export_dir, landing, memory_limit=args.memory_limit) as (con, links):
        result = local_query.run(con, args.sql, args.max_rows, links)
    took = time.monotonic() - started
    source = export_dir.name if export_dir else "landing files only"
    if args.json:
        print(as_json(result.columns, result.rows, export=source, truncated=result.truncated))
        return 0
    print(aligned(result.columns, result.rows))
    more = f" (first {args.max_rows}; --max-rows for more)" if result.truncated else ""
    print(f"{len(result.rows)} row(s){more} from {source} in {took:.3f} s", file=sys.stderr)
    return 0


class AnalyticsCommands:
    """``export`` and ``query`` beside ``up``/``down``/``status``/``failover``."""

    def add_commands(self, sub: Any) -> None:
        _add_export(sub)
        _add_query(sub)

    def run(self, args: argparse.Namespace) -> int | None:
        runner = {"export": run_export, "query": run_query}.get(args.command)
        if runner is None:
            return None
        try:
            with interruptible(_abort_connections if args.command == "export" else lambda: None) as caught:
                try:
                    return runner(args)
                except Exception:
                    caught.raise_if_interrupted()
                    raise
        except PlatformError as exc:  # the analytics errors, and the database's (connect, lost)
            print(f"local {args.command}: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt as exc:  # an export's half-written folder is already removed
            code, what = interrupt_exit(exc)
            print(f"local {args.command}: {what}; nothing was kept", file=sys.stderr)
            return code


def _abort_connections() -> None:
    from mysql_platform.db import connection as db

    db.abort_connections()


def build_parser() -> argparse.ArgumentParser:
    """The whole ``mysql-platform local`` parser: the environment's commands and ``export``/``query``."""
    return local_cli.build_parser(AnalyticsCommands())


def main(argv: list[str] | None = None) -> int:
    return local_cli.main(argv, extension=AnalyticsCommands())


if __name__ == "__main__":
    sys.exit(main())
