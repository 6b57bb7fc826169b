"""What a change of the parameter group's ``gtid-mode`` does to running instances, for the plan.

RDS applies ``gtid-mode`` at each instance's next reboot (pending-reboot), so the primary and its
replicas switch one by one. MySQL's gtid_mode moves one step at a time (OFF, OFF_PERMISSIVE,
ON_PERMISSIVE, ON; MySQL 8.4 manual, "Enabling GTID Transactions Online"), and AWS enables and
disables GTIDs on instances with replicas that way, rebooting all of them at each step ("Enabling
GTID-based replication for existing read replicas", "Disabling GTID-based replication", RDS User
Guide). A jump over a step can stop replication: a server at ON replicates no anonymous
transaction, and one at OFF no GTID transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mysql_platform.components.rds_rules import GTID_MODES

PARAMETER = "gtid-mode"
# A group without gtid-mode leaves the instances at the engine's default, which has GTIDs off
# (a stack made before dbGtidMode existed): OFF and OFF_PERMISSIVE are at most one step from it.
FROM_UNSET: frozenset[str] = frozenset({"OFF", "OFF_PERMISSIVE"})


def gtid_mode(inputs: Mapping[str, Any]) -> str | None:
    """The ``gtid-mode`` a parameter group's inputs set, or None when they set none."""
    for parameter in inputs.get("parameters") or []:
        if isinstance(parameter, Mapping) and parameter.get("name") == PARAMETER:
            return str(parameter.get("value")).strip().upper()  # MySQL reads the mode in any case
    return None


def _skipped(before: str | None, after: str | None) -> list[str]:
    """The modes a change jumps over ([] for a single step); ``None`` is the engine's default."""
    if before is None:
        return [] if after in FROM_UNSET else _skipped("OFF", after)
    if after is None:
        return [] if before in FROM_UNSET else _skipped(before, "OFF_PERMISSIVE")
    i, j = GTID_MODES.index(before), GTID_MODES.index(after)
    low, high = sorted((i, j))
    return list(GTID_MODES[low + 1 : high])


def _shown(mode: str | None) -> str:
    return mode if mode is not None else "the engine default (GTIDs off)"


def step(old_inputs: Mapping[str, Any], new_inputs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(note, refusal) for a parameter group whose ``gtid-mode`` changes; (None, None) if it does not."""
    before, after = gtid_mode(old_inputs), gtid_mode(new_inputs)
    if before == after:
        return None, None
    change = f"gtid-mode {_shown(before)} -> {_shown(after)}"
    strange = [m for m in (before, after) if m is not None and m not in GTID_MODES]
    if strange:
        return None, f"{change}: {strange[0]!r} is not a gtid-mode; expected one of {', '.join(GTID_MODES)}"
    skipped = _skipped(before, after)
    if skipped:
        return None, (
            f"{change} skips {', '.join(skipped)}: each instance takes it at its next reboot, and a "
            "replica stops at a transaction its mode cannot replicate; go one step per `pulumi up` "
            "and reboot every instance between steps (docs/aws-day2.md, GTIDs)"
        )
    return (
        f"{change}: one step, applied at each instance's next reboot (yours, or RDS's in the "
        "maintenance window); reboot them all before the next step",
        None,
    )
