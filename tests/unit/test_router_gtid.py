"""GTID positions: parsing, containment, merging, rendering, for MariaDB and MySQL."""

from __future__ import annotations

import pytest

from mysql_platform.router.gtid import MARIADB, MYSQL

U1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
U2 = "4f22ab58-82db-22f2-0f44-d91bb0530673"


def test_mariadb_positions_compare_per_domain() -> None:
    have = MARIADB.parse("0-1-105,1-2-7")
    assert MARIADB.covers(have, MARIADB.parse("0-1-105"))
    assert MARIADB.covers(have, MARIADB.parse("0-3-100,1-2-7"))  # another server id, same domain order
    assert not MARIADB.covers(have, MARIADB.parse("0-1-106"))
    assert not MARIADB.covers(have, MARIADB.parse("2-1-1"))  # a domain it never saw
    assert MARIADB.covers(have, MARIADB.parse(""))  # nothing needed


def test_mariadb_positions_render_back() -> None:
    assert MARIADB.render(MARIADB.parse("1-2-7, 0-2-12")) == "0-2-12,1-2-7"


def test_rejects_a_malformed_mariadb_position() -> None:
    with pytest.raises(ValueError, match="not a MariaDB GTID"):
        MARIADB.parse("0-1")


def test_mysql_sets_compare_by_intervals() -> None:
    have = MYSQL.parse(f"{U1}:1-100:102-200,\n{U2}:1-5")
    assert MYSQL.covers(have, MYSQL.parse(f"{U1}:1-100"))
    assert MYSQL.covers(have, MYSQL.parse(f"{U1}:150,{U2}:3-5"))
    assert not MYSQL.covers(have, MYSQL.parse(f"{U1}:101"))  # the hole
    assert not MYSQL.covers(have, MYSQL.parse(f"{U1}:90-110"))
    assert not MYSQL.covers(have, MYSQL.parse(f"{U2}:6"))
    assert MYSQL.render(have) == f"{U1}:1-100:102-200,{U2}:1-5"
    assert MYSQL.render(MYSQL.parse(f"{U1.upper()}:7")) == f"{U1}:7"


def test_rejects_a_malformed_mysql_set() -> None:
    with pytest.raises(ValueError, match="not a MySQL GTID set"):
        MYSQL.parse("not-a-uuid:1-5")


def test_wait_results_of_both_functions() -> None:
    assert MARIADB.waited(0) and not MARIADB.waited(-1)  # MASTER_GTID_WAIT: -1 on timeout
    assert MYSQL.waited(0) and not MYSQL.waited(1)  # WAIT_FOR_EXECUTED_GTID_SET: 1 on timeout
