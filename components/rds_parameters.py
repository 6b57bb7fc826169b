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


def parameter_group(
    name: str,
    family: str,
    log_exports: Sequence[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.rds.ParameterGroup:
    # The description is replace-only (ForceNew in the provider), so it names no setting.
    return aws.rds.ParameterGroup(
        name,
        family=family,
        description=f"{name}: utf8mb4, TLS required, row-based binlog",
        parameters=[
            aws.rds.ParameterGroupParameterArgs(name=k, value=v)
            for k, v in sorted(parameters_for(log_exports).items())
        ],
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
