"""The local environment's state with one or two replicas (``up --replicas``)."""

from __future__ import annotations

import copy

from mysql_platform.local.state import State, state_problem


def test_two_replicas_get_their_own_ports_and_haproxy_keeps_the_last_two() -> None:
    state = State.new([101, 102, 103, 104, 105], semi_sync=False, db_name="app", replicas=2)
    assert state.names == ["db1", "db2", "db3"]
    assert [state.servers[n].port for n in state.names] == [101, 102, 103]
    assert (state.haproxy.writer_port, state.haproxy.reader_port) == (104, 105)
    assert state.replicas == ["db2", "db3"] and state.role_of("db3") == "replica"
    assert State.from_json(state.to_json()).to_json() == state.to_json()


def test_the_designated_replica_comes_first() -> None:
    state = State.new([1, 2, 3, 4, 5], semi_sync=False, db_name="app", replicas=2)
    state.roles.primary, state.roles.replica = "db3", "db2"
    assert state.replicas == ["db2", "db1"]


def test_one_replica_is_the_state_it_always_was() -> None:
    state = State.new([1, 2, 3, 4], semi_sync=False, db_name="app")
    assert state.names == ["db1", "db2"] and "db3" not in state.to_json()["servers"]
    assert state_problem(state.to_json()) is None


def test_a_bad_third_server_or_a_role_outside_the_servers_is_named() -> None:
    doc = State.new([1, 2, 3, 4, 5], semi_sync=False, db_name="app", replicas=2).to_json()
    bad = copy.deepcopy(doc)
    bad["servers"]["db3"]["port"] = 70000
    assert state_problem(bad) == "state.json servers.db3.port is 70000, expected a TCP port (1-65535)"
    one = State.new([1, 2, 3, 4], semi_sync=False, db_name="app").to_json()
    one["roles"]["replica"] = "db3"
    assert state_problem(one) == "state.json roles.replica is 'db3', which is not one of its servers"
