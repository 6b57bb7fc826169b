"""The host's EC2 detailed monitoring: on in prod (every connection goes through its proxy), off in
dev (billed per metric), one setting, changed in place."""

from __future__ import annotations

import pytest

from mysql_platform.components.program import program
from mysql_platform.planning import replace_rules
from tests.support.pulumi_harness import shared_run

HOST = "aws:ec2/instance:Instance"


@pytest.mark.parametrize(("stack", "expected"), [("prod", True), ("dev", False)])
def test_detailed_monitoring_follows_the_stack_file(stack: str, expected: bool) -> None:
    (host,) = shared_run(program, stack).of_type(HOST)
    assert host.plain("monitoring") is expected


def test_the_setting_turns_it_on_for_any_stack() -> None:
    (host,) = shared_run(program, "dev", overrides={"hostDetailedMonitoring": True}).of_type(HOST)
    assert host.plain("monitoring") is True


def test_switching_it_does_not_replace_the_host() -> None:
    # resourceInstanceUpdate calls MonitorInstances / UnmonitorInstances.
    assert replace_rules.replaces(HOST, "monitoring", {}) is False
