"""The DB parameter group: one per engine family, with the switches the program relies on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

# MySQL's own maximum for max_connect_errors (a 64-bit unsigned variable).
MAX_CONNECT_ERRORS_MAX = "18446744073709551615"

# Parameters every environment gets.
BASE_PARAMETERS: Mapping[str, str] = {
    "character_set_server": "utf8mb4",
    "collation_server": "utf8mb4_0900_ai_ci",
    # TLS is required so credentials never cross the network in clear.
    "require_secure_transport": "ON",
    # Row-based events are what replicas replay safely.
    "binlog_format": "ROW",
    # A TCP health check (the host's proxy, every 500 ms) connects and hangs up before the
    # handshake; MySQL counts each against the host and blocks it at the limit. At 1,000,000
    # that is about 6 days of checks; at the maximum it never happens.
    "max_connect_errors": MAX_CONNECT_ERRORS_MAX,
    # The master user has no SUPER: with binary logging on, CREATE TRIGGER and CREATE FUNCTION
    # fail with error 1419 unless the server trusts routine creators.
    "log_bin_trust_function_creators": "1",
}

# What each exported log needs from the server: RDS exports only what MySQL writes to files.
LOG_PARAMETERS: Mapping[str, Mapping[str, str]] = {
    "slowquery": {"slow_query_log": "1", "log_output": "FILE"},
    "general": {"general_log": "1", "log_output": "FILE"},
}


def parameters_for(log_exports: Sequence[str]) -> dict[str, str]:
    """The base parameters plus the log switches the exported log types need."""
    params = dict(BASE_PARAMETERS)
    for log_type in log_exports:
        params.update(LOG_PARAMETERS.get(log_type, {}))
    return params


# GTIDs are on so that a reader can wait for a write it has made (WAIT_FOR_EXECUTED_GTID_SET),
# which needs every transaction to carry a GTID. The values and their pairing follow "Using
# GTID-based replication" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-replication-gtid.html)
# and "Enabling GTID-based replication for existing read replicas"
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-replication-gtid.configuring-existing-read-replicas.html):
# - MySQL takes gtid_mode=ON only with enforce_gtid_consistency=ON, and AWS pairs ON_PERMISSIVE
#   with ON too: from then on a statement GTIDs cannot log is refused.
# - OFF_PERMISSIVE is the step before: WARN logs what ON would refuse, so the application can be
#   fixed first while nothing is refused yet.
# - ON requires the replicas to use GTIDs too, and a server at ON replicates no anonymous
#   transaction. A stack whose instances run with GTIDs off must therefore go one step at a time
#   (OFF_PERMISSIVE, ON_PERMISSIVE, ON), rebooting every instance at each step and reaching ON only
#   once no anonymous transaction is left to replicate: straight to ON, a replica stops at the
#   anonymous transactions still in its relay log. The README gives the steps.
ENFORCE_GTID_CONSISTENCY: Mapping[str, str] = {
    "OFF": "OFF",
    "OFF_PERMISSIVE": "WARN",
    "ON_PERMISSIVE": "ON",
    "ON": "ON",
}


def gtid_parameters(gtid_mode: str) -> dict[str, str]:
    """``gtid-mode`` (RDS's name for the server's gtid_mode) and the consistency it needs."""
    return {"gtid-mode": gtid_mode, "enforce_gtid_consistency": ENFORCE_GTID_CONSISTENCY[gtid_mode]}


# The AWS pages above reboot the instances after every change of these parameters: RDS applies
# gtid-mode at a reboot (a static parameter), and refuses the provider's default apply method,
# immediate, for one ("InvalidParameterCombination: cannot use immediate apply method for static
# parameter"). pending-reboot is valid for static and dynamic parameters alike (ModifyDBParameterGroup,
# RDS API reference), so both GTID parameters take it and change together, at the next reboot.
GTID_APPLY_METHOD = "pending-reboot"


def parameter_group(
    name: str,
    family: str,
    log_exports: Sequence[str],
    gtid_mode: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.rds.ParameterGroup:
    # The description is replace-only (ForceNew in the provider), so it names no setting.
    return aws.rds.ParameterGroup(
        name,
        family=family,
        description=f"{name}: utf8mb4, TLS required, row-based binlog",
        parameters=[
            *(
                aws.rds.ParameterGroupParameterArgs(name=k, value=v)
                for k, v in sorted(parameters_for(log_exports).items())
            ),
            *(
                aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method=GTID_APPLY_METHOD)
                for k, v in sorted(gtid_parameters(gtid_mode).items())
            ),
        ],
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
