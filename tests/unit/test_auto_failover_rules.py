"""The agents' election rule: the most advanced healthy server by GTID, then the current primary,
then the first name; a diverged or unhealthy one never."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mysql_platform.local import autofailover
from mysql_platform.local.agent import best_candidate, gtid_rank
from mysql_platform.local.procs import LocalEnvError


def view(name: str, gtid: str, role: str = "replica", **more: Any) -> dict[str, Any]:
    return {"name": name, "gtid": gtid, "role": role, "healthy": True, **more}


def test_gtid_rank() -> None:
    assert gtid_rank("0-1-10") == 10 and gtid_rank("0-2-12,1-1-3") == 15 and gtid_rank("") == -1


def test_the_most_advanced_wins() -> None:
    views = {"db1": view("db1", "0-1-10", "primary"), "db2": view("db2", "0-1-11")}
    assert best_candidate(views) == "db2"


def test_a_tie_goes_to_the_primary_then_to_the_first_name() -> None:
    assert best_candidate({"db1": view("db1", "0-1-9"), "db2": view("db2", "0-1-9", "primary")}) == "db2"
    assert best_candidate({"db2": view("db2", "0-1-9"), "db1": view("db1", "0-1-9")}) == "db1"


def test_unhealthy_or_diverged_servers_never_win() -> None:
    views = {
        "db1": view("db1", "0-1-20", healthy=False),
        "db2": view("db2", "0-1-30", diverged=True),
        "db3": view("db3", "0-1-5"),
    }
    assert best_candidate(views) == "db3"
    assert best_candidate({"db1": view("db1", "0-1-1", healthy=False)}) is None


@pytest.mark.parametrize(("members", "ttl", "message"), [(2, 1, "expected 1, or 3"), (1, 0, "1 s and more")])
def test_settings_etcd_cannot_honour_are_refused(members: int, ttl: int, message: str) -> None:
    with pytest.raises(LocalEnvError, match=message):
        autofailover.check(members, ttl)


def test_status_lines_show_the_leader_its_lease_and_each_agents_view() -> None:
    from mysql_platform.local.cli import auto_failover_lines

    auto = {
        "lease_ttl_s": 1,
        "leader": "db1",
        "leader_ttl_left": 0,
        "etcd": [{"name": "etcd1", "client_port": 2379, "alive": True}],
        "agents": {
            "db1": {"alive": True, "view": view("db1", "0-1-7", "primary", read_only=False)},
            "db2": {"alive": False, "view": None},
        },
    }
    assert auto_failover_lines(auto) == [
        "auto-failover: leader db1 (lease under 1 s left of 1)",
        "  etcd     etcd1 :2379 alive",
        "  agent    db1 alive: primary gtid=0-1-7 read_only=no",
        "  agent    db2 DOWN: no report",
    ]
    assert auto_failover_lines(None) == []


def test_a_wait_for_the_leader_names_what_it_waited_for(tmp_path: Path) -> None:
    # The leader is there but an agent never reported (its server is down): that is what it says.
    message = autofailover._not_ready(tmp_path, "db2", "db2", ["db1"], 15)
    assert message.startswith("db2 holds the leader lease, but the agents of db1 did not report within 15 s")
    assert str(tmp_path / "agents" / "db1.log") in message and "no agent took" not in message
    message = autofailover._not_ready(tmp_path, "db2", None, ["db1"], 15)
    assert message.startswith("no agent took the leader lease for db2 within 15 s (leader: none)")
    # Another agent leads: the expected primary did not answer during `up` and was taken over.
    message = autofailover._not_ready(tmp_path, "db1", "db2", [], 15)
    assert message.startswith("the agent of db2 holds the leader lease, not db1's: db1 did not answer")
    assert "Run `mysql-platform local up` again to bring db1 back as a replica" in message


def _summary(leader: str | None, **agents: dict[str, Any]) -> dict[str, Any]:
    return {
        "lease_ttl_s": 1,
        "etcd": [{"name": "etcd1", "client_port": 1, "alive": True}],
        "agents": agents,
        "etcd_reachable": True,
        "leader": leader,
    }


def test_auto_failover_is_healthy_only_when_the_primarys_agent_leads_and_reports_it(tmp_path: Path) -> None:
    healthy = {"alive": True, "view": view("db1", "0-1-1", "primary")}
    replica = {"alive": True, "view": view("db2", "0-1-1")}
    assert autofailover.problems(_summary("db1", db1=healthy, db2=replica), "db1", tmp_path) == []
    [other] = autofailover.problems(_summary("db2", db1=healthy, db2=replica), "db1", tmp_path)
    assert other.startswith("the leader lease is db2's but the primary is db1: a failover may be under way")
    [silent] = autofailover.problems(
        _summary("db1", db1={"alive": True, "view": None}, db2=replica), "db1", tmp_path
    )
    assert silent.startswith("the agent of the primary db1 does not report it healthy")
    assert "`mysql-platform local logs agent`" in silent and "`mysql-platform local logs db1`" in silent
    [dead] = autofailover.problems(_summary("db1", db1={"alive": False}, db2=replica), "db1", tmp_path)
    assert dead == "the agent of db1 is not running: run `mysql-platform local up` to start it"
