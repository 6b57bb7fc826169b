"""RDS for MySQL facts the settings check before any resource exists: classes, names, windows.

What AWS would otherwise refuse only after the VPC and the host are already created.
"""

from __future__ import annotations

import re
from typing import Final

# Instance class families RDS for MySQL 8.0/8.4 offers ("Supported DB engines for DB instance
# classes", Amazon RDS User Guide). db.t2, db.m4 and db.r4 are previous generations that
# MySQL 8.0+ does not run on. A family AWS adds later goes here.
MYSQL_CLASS_FAMILIES: Final = frozenset(
    {
        "t3", "t4g",
        "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m6idn", "m6in", "m7g", "m7i", "m8g",
        "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r6idn", "r6in", "r7g", "r7i", "r8g",
        "x2g", "x2idn", "x2iedn",
    }
)  # fmt: skip
_CLASS_SIZE = re.compile(r"^(micro|small|medium|large|metal|\d*xlarge|metal-\d+xl)$")

# MySQL 8.4 reserved words (the "(R)" entries of "Keywords and Reserved Words"): RDS refuses them
# as DBName and MasterUsername, as do the server's own schemas.
MYSQL_RESERVED_WORDS: Final = frozenset(
    """
    accessible add all alter analyze and as asc asensitive before between bigint binary blob both by
    call cascade case change char character check collate column condition constraint continue convert
    create cross cube cume_dist current_date current_time current_timestamp current_user cursor database
    databases day_hour day_microsecond day_minute day_second dec decimal declare default delayed delete
    dense_rank desc describe deterministic distinct distinctrow div double drop dual each else elseif
    empty enclosed escaped except exists exit explain false fetch first_value float float4 float8 for
    force foreign from fulltext function generated get grant group grouping groups having high_priority
    hour_microsecond hour_minute hour_second if ignore in index infile inner inout insensitive insert int
    int1 int2 int3 int4 int8 integer intersect interval into io_after_gtids io_before_gtids is iterate
    join json_table key keys kill lag last_value lateral lead leading leave left like limit linear lines
    load localtime localtimestamp lock long longblob longtext loop low_priority manual master_bind
    master_ssl_verify_server_cert match maxvalue mediumblob mediumint mediumtext middleint
    minute_microsecond minute_second mod modifies natural not no_write_to_binlog nth_value ntile null
    numeric of on optimize optimizer_costs option optionally or order out outer outfile over parallel
    partition percent_rank precision primary procedure purge qualify range rank read reads read_write
    real recursive references regexp release rename repeat replace require resignal restrict return
    revoke right rlike row row_number rows schema schemas second_microsecond select sensitive separator
    set show signal smallint spatial specific sql sql_big_result sql_calc_found_rows sql_small_result
    sqlexception sqlstate sqlwarning ssl starting stored straight_join system table terminated then
    tinyblob tinyint tinytext to trailing trigger true undo union unique unlock unsigned update usage use
    using utc_date utc_time utc_timestamp values varbinary varchar varcharacter varying virtual when where
    while window with write xor year_month zerofill
    """.split()  # noqa: SIM905 - the list as the MySQL manual prints it
)
SYSTEM_SCHEMAS: Final = frozenset(
    {"mysql", "sys", "information_schema", "performance_schema", "innodb", "tmp"}
)


def instance_class_problem(key: str, value: str) -> str | None:
    """Why RDS for MySQL would refuse ``value`` as an instance class, or None."""
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "db":
        return f"{key}: got {value!r}; expected an RDS class such as db.t4g.micro"
    family, size = parts[1], parts[2]
    if family not in MYSQL_CLASS_FAMILIES or not _CLASS_SIZE.match(size):
        families = ", ".join(sorted(MYSQL_CLASS_FAMILIES))
        return f"{key}: got {value!r}; RDS for MySQL 8 runs on the families {families} (db.FAMILY.SIZE)"
    return None


def reserved_name_problem(key: str, value: str) -> str | None:
    lowered = value.lower()
    if lowered in SYSTEM_SCHEMAS:
        return f"{key}: got {value!r}; that is one of the server's own schemas"
    if lowered in MYSQL_RESERVED_WORDS:
        return f"{key}: got {value!r}; that is a MySQL reserved word, which RDS refuses here"
    return None


# gtid_mode's values, in the order a server moves through them one step at a time ("Using
# GTID-based replication", Amazon RDS User Guide; the MySQL 8.4 manual, gtid_mode).
GTID_MODES: Final = ("OFF", "OFF_PERMISSIVE", "ON_PERMISSIVE", "ON")


def gtid_mode_problem(value: str) -> str | None:
    """Why ``value`` is no gtid_mode the parameter group can take, or None."""
    if value in GTID_MODES:
        return None
    # A YAML 1.1 reader (PyYAML, which the offline plan uses) turns an unquoted ON or OFF into a
    # boolean, which reaches the program as "true" or "false".
    hint = (
        " (quote ON and OFF in YAML: unquoted, they may be read as booleans)"
        if value in ("true", "false")
        else ""
    )
    return f"dbGtidMode: got {value!r}; expected one of {', '.join(GTID_MODES)}{hint}"


_DAY_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEK_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_MINUTES: Final = 24 * 60
_WEEK_MINUTES: Final = 7 * _DAY_MINUTES
MIN_WINDOW_MINUTES: Final = 30  # RDS: both windows are at least 30 minutes


def _minutes_set(start: int, end: int, period: int) -> set[int]:
    length = (end - start) % period
    return {(start + i) % period for i in range(length)}


def window_problems(backup: str, maintenance: str) -> list[str]:
    """What RDS would refuse in the daily backup and weekly maintenance windows (UTC)."""
    problems: list[str] = []
    day, week = _DAY_WINDOW.match(backup), _WEEK_WINDOW.match(maintenance.lower())
    if day is None:
        problems.append(f"dbBackupWindow: got {backup!r}; expected hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30")
    if week is None:
        problems.append(
            f"dbMaintenanceWindow: got {maintenance!r}; expected ddd:hh24:mi-ddd:hh24:mi in UTC, "
            "e.g. sun:04:00-sun:05:00"
        )
    if day is None or week is None:
        return problems
    h1, m1, h2, m2 = (int(g) for g in day.groups())
    daily = _minutes_set(h1 * 60 + m1, h2 * 60 + m2, _DAY_MINUTES)
    d1, wh1, wm1, d2, wh2, wm2 = week.groups()
    start = _DAYS.index(d1) * _DAY_MINUTES + int(wh1) * 60 + int(wm1)
    end = _DAYS.index(d2) * _DAY_MINUTES + int(wh2) * 60 + int(wm2)
    weekly = _minutes_set(start, end, _WEEK_MINUTES)
    if len(daily) < MIN_WINDOW_MINUTES:
        problems.append(f"dbBackupWindow: got {backup!r}; RDS needs at least {MIN_WINDOW_MINUTES} minutes")
    if len(weekly) < MIN_WINDOW_MINUTES:
        problems.append(
            f"dbMaintenanceWindow: got {maintenance!r}; RDS needs at least {MIN_WINDOW_MINUTES} minutes"
        )
    if any(m % _DAY_MINUTES in daily for m in weekly):
        problems.append(
            f"dbMaintenanceWindow: got {maintenance!r}, which overlaps dbBackupWindow {backup!r}; "
            "RDS refuses overlapping windows"
        )
    return problems
