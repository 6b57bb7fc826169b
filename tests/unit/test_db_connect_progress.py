"""Waiting for a server: the progress callback hears of the first failure, then every few seconds."""

from __future__ import annotations

import itertools
import random

import pytest

from mysql_platform.db import connection as db
from tests.unit.test_db_connect import PASSWORD, TARGET, FakeClock, failing


def test_progress_hears_of_the_first_failure_then_every_few_seconds_with_the_time_left() -> None:
    clock = FakeClock()
    connect = failing(2003, f"Can't connect (111 Connection refused) pw={PASSWORD}")
    heard: list[db.Waiting] = []
    backoff = db.Backoff(deadline_s=10, max_delay_s=1.0, report_every_s=3.0)
    with pytest.raises(db.Unreachable):
        db.open_connection(
            TARGET,
            backoff,
            progress=heard.append,
            connect=connect,
            sleep=clock.sleep,
            clock=clock,
            rng=random.Random(3),
        )
    assert heard[0].attempts == 1 and heard[0].elapsed_s == 0 and heard[0].remaining_s == 10
    assert 3 <= len(heard) <= 4  # at 0 s, then at least 3 s apart within 10 s
    gaps = [b.elapsed_s - a.elapsed_s for a, b in itertools.pairwise(heard)]
    assert all(gap >= 3.0 for gap in gaps)
    line = heard[1].describe()
    assert "admin@db.example.test:3306" in line and "error 2003" in line and "s more" in line
    assert PASSWORD not in line and "********" in line


def test_no_progress_when_the_first_attempt_connects() -> None:
    heard: list[db.Waiting] = []
    conn = db.open_connection(
        TARGET, db.Backoff(), progress=heard.append, connect=lambda _t, _s: "conn", sleep=lambda _s: None
    )
    assert conn == "conn" and heard == []


def test_a_report_interval_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="report_every_s"):
        db.Backoff(report_every_s=0)
