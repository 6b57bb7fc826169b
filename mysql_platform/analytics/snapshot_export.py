"""An RDS snapshot exported to S3 as Parquet: which snapshot, the task, and its progress.

The export reads a snapshot, not the instance: the primary does no work for it (RDS User Guide,
"Exporting DB snapshot data to Amazon S3": the task restores the snapshot on its own resources).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from mysql_platform.analytics import layout
from mysql_platform.analytics.aws_calls import translated
from mysql_platform.analytics.errors import BadInput, NotFound, TaskFailed

# DescribeExportTasks' statuses (RDS API reference); upper-cased, as some emulators answer in
# lower case.
DONE: Final = "COMPLETE"
FAILED: Final = frozenset({"FAILED", "CANCELED", "CANCELING"})


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    arn: str
    created: dt.datetime
    kind: str
    instance: str


@dataclass(frozen=True)
class ExportRequest:
    identifier: str
    snapshot: Snapshot
    bucket: str
    prefix: str
    role_arn: str
    key_arn: str
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportStatus:
    identifier: str
    status: str
    percent: int | None
    extracted_gb: float | None
    failure: str | None
    warning: str | None

    @classmethod
    def from_task(cls, task: dict[str, Any]) -> ExportStatus:
        return cls(
            identifier=str(task.get("ExportTaskIdentifier", "")),
            status=str(task.get("Status", "")).upper(),
            percent=task.get("PercentProgress"),
            extracted_gb=task.get("TotalExtractedDataInGB"),
            failure=task.get("FailureCause"),
            warning=task.get("WarningMessage"),
        )


def _snapshot(raw: dict[str, Any]) -> Snapshot:
    return Snapshot(
        identifier=raw["DBSnapshotIdentifier"],
        arn=raw["DBSnapshotArn"],
        created=raw["SnapshotCreateTime"],
        kind=raw.get("SnapshotType", ""),
        instance=raw.get("DBInstanceIdentifier", ""),
    )


def newest_automated(rds: Any, instance: str) -> Snapshot:
    """The newest available automated snapshot of ``instance``."""
    with translated(f"listing the automated snapshots of DB instance '{instance}'"):
        pages = rds.get_paginator("describe_db_snapshots").paginate(
            DBInstanceIdentifier=instance, SnapshotType="automated"
        )
        found = [s for page in pages for s in page["DBSnapshots"] if s.get("Status") == "available"]
    if not found:
        raise NotFound(
            f"DB instance '{instance}' has no available automated snapshot yet: RDS takes the first in "
            "the first backup window after the instance is created (dbBackupRetentionDays must be 1 or "
            "more); pass --snapshot ID to export a manual one"
        )
    return _snapshot(max(found, key=lambda s: s["SnapshotCreateTime"]))


def named(rds: Any, identifier: str) -> Snapshot:
    """The snapshot ``--snapshot`` names; it must be available."""
    with translated(f"reading DB snapshot '{identifier}'"):
        found = rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"]
    if not found:
        raise NotFound(f"reading DB snapshot '{identifier}': there is no such snapshot")
    raw = found[0]
    if raw.get("Status") != "available":
        raise BadInput(
            f"DB snapshot '{identifier}' is {raw.get('Status')!r}, not 'available': "
            "only a finished snapshot can be exported"
        )
    return _snapshot(raw)


def export_identifier(stack: str, snapshot: Snapshot, now: dt.datetime) -> str:
    """``mp-<stack>-<snapshot time>-<now>``: unique per run, and names what it holds."""
    stack_part = "".join(c if c.isalnum() else "-" for c in stack.lower()).strip("-") or "stack"
    while "--" in stack_part:
        stack_part = stack_part.replace("--", "-")
    suffix = f"-{snapshot.created:%Y%m%d%H%M}-{now:%Y%m%d%H%M%S}"
    return layout.check_export_id(
        f"mp-{stack_part}"[: layout.EXPORT_ID_MAX - len(suffix)].rstrip("-") + suffix
    )


def start(rds: Any, request: ExportRequest) -> None:
    arguments: dict[str, Any] = {
        "ExportTaskIdentifier": request.identifier,
        "SourceArn": request.snapshot.arn,
        "S3BucketName": request.bucket,
        "S3Prefix": request.prefix.strip("/"),
        "IamRoleArn": request.role_arn,
        "KmsKeyId": request.key_arn,
    }
    if request.tables:
        arguments["ExportOnly"] = list(request.tables)
    with translated(
        f"starting export task '{request.identifier}' of snapshot '{request.snapshot.identifier}'"
    ):
        rds.start_export_task(**arguments)


def wait(
    rds: Any,
    identifier: str,
    on_status: Callable[[ExportStatus], None],
    *,
    timeout_s: float,
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ExportStatus:
    """Poll the task until it completes; a failed or cancelled task, or the timeout, raises."""
    deadline = clock() + timeout_s
    while True:
        with translated(f"reading export task '{identifier}'"):
            tasks = rds.describe_export_tasks(ExportTaskIdentifier=identifier)["ExportTasks"]
        if not tasks:
            raise NotFound(f"export task '{identifier}' is not listed by RDS")
        status = ExportStatus.from_task(tasks[0])
        on_status(status)
        if status.status == DONE:
            return status
        if status.status in FAILED:
            cause = status.failure or "RDS gave no cause"
            raise TaskFailed(f"export task '{identifier}' ended {status.status}: {cause}")
        if clock() >= deadline:
            raise TaskFailed(
                f"export task '{identifier}' is still {status.status} after {timeout_s:g} s; it goes on "
                f"in AWS (`aws rds describe-export-tasks --export-task-identifier {identifier}`)"
            )
        sleep(poll_s)
