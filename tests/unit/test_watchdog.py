"""The leader's watchdog, on a fake clock: when it fences, when it kills, when it does nothing."""

from __future__ import annotations

from mysql_platform.local.watchdog import Watchdog


class Probe:
    def __init__(self) -> None:
        self.now = 100.0
        self.fences: list[str] = []
        self.kills: list[str] = []
        self.applied = False

    def watchdog(self, ttl_s: float = 1.0) -> Watchdog:
        return Watchdog(
            ttl_s,
            fence=self.fences.append,
            fenced=lambda: self.applied,
            kill=self.kills.append,
            clock=lambda: self.now,
        )


def test_a_disarmed_watchdog_does_nothing() -> None:
    probe = Probe()
    dog = probe.watchdog()
    probe.now += 60
    dog.check()
    assert not dog.armed and probe.fences == [] and probe.kills == []


def test_fences_after_half_the_ttl_once() -> None:
    probe = Probe()
    dog = probe.watchdog()
    dog.confirm(probe.now)
    probe.now += 0.49
    dog.check()
    assert probe.fences == []
    probe.now += 0.02
    dog.check()
    dog.check()
    assert len(probe.fences) == 1 and probe.kills == []


def test_kills_at_three_quarters_when_the_fence_is_not_applied() -> None:
    probe = Probe()
    dog = probe.watchdog(ttl_s=2.0)
    dog.confirm(probe.now)
    probe.now += 1.01
    dog.check()
    assert len(probe.fences) == 1
    probe.now += 0.48
    dog.check()
    assert probe.kills == []
    probe.now += 0.02
    dog.check()
    dog.check()
    assert len(probe.kills) == 1


def test_fails_to_kill_a_server_whose_fence_was_applied() -> None:
    probe = Probe()
    dog = probe.watchdog()
    dog.confirm(probe.now)
    probe.now += 0.6
    dog.check()
    probe.applied = True
    probe.now += 5
    dog.check()
    assert len(probe.fences) == 1 and probe.kills == []


def test_counts_from_when_the_renewal_was_sent_not_when_it_returned() -> None:
    probe = Probe()
    dog = probe.watchdog()
    sent = probe.now
    probe.now += 0.4  # a slow renewal
    dog.confirm(sent)
    probe.now += 0.11
    dog.check()
    assert len(probe.fences) == 1


def test_a_renewal_rearms_it_and_an_older_one_does_not_move_it_back() -> None:
    probe = Probe()
    dog = probe.watchdog()
    dog.confirm(probe.now)
    probe.now += 0.6
    dog.check()
    assert len(probe.fences) == 1
    dog.confirm(probe.now)
    dog.confirm(probe.now - 10)  # a renewal thread's late report
    probe.now += 0.4
    dog.check()
    assert len(probe.fences) == 1
    probe.now += 0.2
    dog.check()
    assert len(probe.fences) == 2


def test_disarm_stops_it() -> None:
    probe = Probe()
    dog = probe.watchdog()
    dog.confirm(probe.now)
    dog.disarm()
    probe.now += 5
    dog.check()
    assert probe.fences == [] and probe.kills == []


def test_an_agent_stalled_past_both_deadlines_fences_first_and_kills_only_if_that_fails() -> None:
    # The agent's own process was paused while its server ran on: at resume both deadlines have
    # passed, but a server that takes the fence must not be killed.
    probe = Probe()
    dog = probe.watchdog()
    dog.confirm(probe.now)
    probe.now += 3.0
    dog.check()
    assert len(probe.fences) == 1 and probe.kills == []
    probe.now += 0.2
    dog.check()
    assert probe.kills == []
    probe.now += 0.06
    dog.check()
    assert len(probe.kills) == 1  # the fence did not land within a quarter of a lease


def test_fresh_only_while_the_last_renewal_is_younger_than_the_fence_deadline() -> None:
    probe = Probe()
    dog = probe.watchdog(ttl_s=1.0)
    assert not dog.fresh()
    dog.confirm(probe.now)
    probe.now += 0.5
    assert dog.fresh()
    probe.now += 0.01
    assert not dog.fresh()  # a renewal that took this long leaves the lease in doubt
    dog.confirm(probe.now - 0.6)  # older than the one it has: ignored
    assert not dog.fresh()
    dog.confirm(probe.now)
    assert dog.fresh()
    dog.disarm()
    assert not dog.fresh()
