"""The CrossGuard pack under ``pulumi preview`` of a new stack, through pulumi-policy's own analyzer.

A new stack's preview knows no id, no name AWS or another resource makes, and no RandomId hex: the
engine sends each such value as an unknown sentinel, and pulumi-policy's analyzer
(``_PolicyAnalyzerServicer.Analyze`` / ``AnalyzeStack``, pulumi-policy 1.21.0) builds the pack's
view with ``unknown_checking_proxy(deserialize_properties(MessageToDict(...)))``. These tests send
the analyzer exactly those requests, built from the prod plan with the computed values unknown, and
read its diagnostics: the mandatory rules must still report, and no rule may go silent because
another input is unknown.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from mysql_platform.planning import policy_rules
from mysql_platform.planning.plan import Plan
from tests.support.plans import plan as shared_plan

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
CANT_RUN = "can't run policy"


@pytest.fixture(scope="module")
def pack() -> Iterator[ModuleType]:
    sys.path.insert(0, str(POLICY_DIR))
    try:
        import pack as module  # policy/pack.py
    finally:
        sys.path.remove(str(POLICY_DIR))
    yield module


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    mandatory: bool
    message: str


@dataclass(frozen=True)
class NewResource:
    type: str
    name: str
    props: dict[str, Any]
    protect: bool


def new_stack(plan: Plan) -> list[NewResource]:
    """The plan's resources as a new stack's preview sees them: every reference to another resource
    (the plan's ``-> name``) and every value made from an RDS identifier (a RandomId's hex) unknown."""
    identifiers = [
        r.inputs["identifier"]
        for r in plan.resources
        if r.type == policy_rules.RDS and "identifier" in r.inputs
    ]

    def unknown(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: unknown(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unknown(v) for v in value]
        if isinstance(value, str) and (value.startswith("-> ") or any(i in value for i in identifiers)):
            return UNKNOWN_STRING_VALUE
        return value

    return [
        NewResource(r.type, r.name, unknown(r.inputs), r.protect) for r in plan.resources if not r.component
    ]


def changed(resources: list[NewResource], name: str, **props: Any) -> list[NewResource]:
    return [
        NewResource(r.type, r.name, {**r.props, **props}, r.protect) if r.name == name else r
        for r in resources
    ]


def stack_view(resources: list[NewResource]) -> list[NewResource]:
    """AnalyzeStack's view: the outputs, where a security group's ``ingress`` (which the provider
    reads back from every rule of the group) is still unknown on a new stack."""
    return [
        NewResource(r.type, r.name, {"ingress": UNKNOWN_STRING_VALUE, **r.props}, r.protect)
        if r.type == policy_rules.SECURITY_GROUP
        else r
        for r in resources
    ]


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def _urn(r: NewResource) -> str:
    return f"urn:pulumi:prod::mysql-platform::{r.type}::{r.name}"


def analyze(pack: ModuleType, resources: list[NewResource]) -> list[Diagnostic]:
    """Every diagnostic the analyzer returns: Analyze per resource, then AnalyzeStack."""
    servicer = _PolicyAnalyzerServicer(pack.NAME, "0.0.1", pack.policies(), EnforcementLevel.ADVISORY)
    responses = [
        servicer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type=r.type,
                properties=_struct(r.props),
                urn=_urn(r),
                name=r.name,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect),
            ),
            None,
        )
        for r in resources
    ]
    stack = [
        analyzer_pb2.AnalyzerResource(
            type=r.type,
            properties=_struct(r.props),
            urn=_urn(r),
            name=r.name,
            options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect),
        )
        for r in stack_view(resources)
    ]
    responses.append(servicer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack), None))
    return [
        Diagnostic(d.policyName, d.enforcementLevel == analyzer_pb2.MANDATORY, d.message)
        for response in responses
        for d in response.diagnostics
    ]


@pytest.fixture(scope="module")
def prod() -> list[NewResource]:
    return new_stack(shared_plan("prod"))


def test_the_new_stack_view_has_unknown_ids_where_the_rules_look(prod: list[NewResource]) -> None:
    # The premise: the proxy raises on these, which is what silenced every rule before.
    by_name = {r.name: r.props for r in prod}
    assert by_name["db-primary-instance"]["parameterGroupName"] == UNKNOWN_STRING_VALUE
    assert by_name["db-primary-instance"]["vpcSecurityGroupIds"] == [UNKNOWN_STRING_VALUE]
    assert by_name["db-replica-1"]["replicateSourceDb"] == UNKNOWN_STRING_VALUE
    assert by_name["host-instance"]["subnetId"] == UNKNOWN_STRING_VALUE


def test_a_new_prod_stack_passes_at_preview_with_only_the_ingress_note(
    pack: ModuleType, prod: list[NewResource]
) -> None:
    found = analyze(pack, prod)
    assert [d for d in found if d.mandatory] == []
    notes = [d for d in found if CANT_RUN in d.message]
    assert {d.policy for d in notes} == {"no-internet-ingress"}
    assert "db-primary-sg: ingress is unknown at preview (AWS computes it)" in notes[0].message
    assert len(found) == len(notes)


def test_fails_a_public_unencrypted_prod_stack_at_preview_with_unknown_ids(
    pack: ModuleType, prod: list[NewResource]
) -> None:
    bad = changed(prod, "db-primary-instance", publiclyAccessible=True, storageEncrypted=False)
    bad = changed(bad, "host-instance", metadataOptions={"httpTokens": "optional"})
    bad = changed(bad, "db-primary-from-sg-1", cidrIpv4="0.0.0.0/0")  # its group id is unknown
    found = analyze(pack, bad)
    mandatory = {(d.policy, d.message.splitlines()[-1]) for d in found if d.mandatory}
    assert mandatory == {
        ("prod-db-private", "db-primary-instance: a prod database is publicly accessible"),
        ("db-storage-encrypted", "db-primary-instance: storageEncrypted is not true"),
        (
            "imdsv2",
            "host-instance: instance metadata does not require IMDSv2 tokens (metadataOptions.httpTokens)",
        ),
        ("no-internet-ingress", "ports 3306-3306 admit the whole internet: 0.0.0.0/0 (db-primary-from-sg-1)"),
    }
    assert not [d for d in found if CANT_RUN in d.message and d.policy != "no-internet-ingress"]


def test_fails_a_prod_database_whose_own_input_is_unknown_and_says_so(
    pack: ModuleType, prod: list[NewResource]
) -> None:
    unknown = changed(prod, "db-primary-instance", publiclyAccessible=UNKNOWN_STRING_VALUE)
    found = [d for d in analyze(pack, unknown) if d.policy == "prod-db-private"]
    assert [(d.mandatory, d.message.splitlines()[-1]) for d in found] == [
        (
            True,
            "db-primary-instance: publiclyAccessible is unknown at preview: "
            "a prod database must be shown private",
        )
    ]


def test_the_pack_reads_unknown_values_as_unknown_not_as_an_error(pack: ModuleType) -> None:
    from pulumi_policy.proxy import unknown_checking_proxy

    props = unknown_checking_proxy(
        {"a": UNKNOWN_STRING_VALUE, "b": [1, {"c": UNKNOWN_STRING_VALUE}], "d": "x"}
    )
    assert pack.known(props) == {
        "a": policy_rules.UNKNOWN,
        "b": [1, {"c": policy_rules.UNKNOWN}],
        "d": "x",
    }


def _mandatory(found: list[Diagnostic], policy: str) -> list[str]:
    return [d.message.splitlines()[-1] for d in found if d.mandatory and d.policy == policy]


def test_a_prod_database_without_tags_is_judged_by_its_stack_name(
    pack: ModuleType, prod: list[NewResource]
) -> None:
    # Tags may come from the provider's default_tags instead: the URN still names the stack.
    untagged = [
        NewResource(r.type, r.name, {k: v for k, v in r.props.items() if k != "tags"}, r.protect)
        if r.name == "db-primary-instance"
        else r
        for r in prod
    ]
    bad = changed(untagged, "db-primary-instance", publiclyAccessible=True, deletionProtection=False)
    found = analyze(pack, bad)
    assert _mandatory(found, "prod-db-private") == [
        "db-primary-instance: a prod database is publicly accessible"
    ]
    assert "db-primary-instance: deletionProtection is off on a prod database" in _mandatory(
        found, "prod-db-protected"
    )


def test_what_the_provider_reads_alike_is_judged_alike(pack: ModuleType, prod: list[NewResource]) -> None:
    bad = changed(
        prod,
        "db-primary-instance",
        parameterGroupName="Default.mysql8.4",  # RDS stores group names in lowercase
        publiclyAccessible="true",
        backupRetentionPeriod="3",
    )
    found = analyze(pack, bad)
    assert _mandatory(found, "tls-required") == [
        "db-primary-instance: parameterGroupName 'Default.mysql8.4' is an RDS default group, where "
        "require_secure_transport is OFF"
    ]
    assert _mandatory(found, "prod-db-private") == [
        "db-primary-instance: a prod database is publicly accessible"
    ]
    backups = [d.message.splitlines()[-1] for d in found if d.policy == "prod-backups"]
    assert backups == ["db-primary-instance: backups kept 3 days, prod keeps at least 7"]


def test_protocol_all_in_any_case_is_every_port(pack: ModuleType, prod: list[NewResource]) -> None:
    group = next(r for r in prod if r.type == policy_rules.SECURITY_GROUP)
    split = [
        {"protocol": "ALL", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/1"]},
        {"protocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrBlocks": ["128.0.0.0/1"]},
    ]
    found = analyze(pack, changed(prod, group.name, ingress=split))
    assert any("0.0.0.0/1" in m and "128.0.0.0/1" in m for m in _mandatory(found, "no-internet-ingress"))


def test_every_ebs_volume_of_the_host_is_checked(pack: ModuleType, prod: list[NewResource]) -> None:
    extra = [{"deviceName": "/dev/sdf", "volumeSize": 10, "encrypted": False}]
    found = analyze(pack, changed(prod, "host-instance", ebsBlockDevices=extra))
    assert _mandatory(found, "volumes-encrypted") == [
        "host-instance: EBS volume ebsBlockDevices[0] is not encrypted"
    ]


@pytest.mark.parametrize(
    ("rules", "caught"),
    [
        # Half the internet on tcp, the other half on udp: nobody's whole internet.
        ([("tcp", 53, 53, "0.0.0.0/1"), ("udp", 53, 53, "128.0.0.0/1")], False),
        # All traffic joins the tcp pool.
        ([("tcp", 3306, 3306, "0.0.0.0/1"), ("-1", 0, 0, "128.0.0.0/1")], True),
        # A protocol by number pools with its name.
        ([("6", 22, 22, "0.0.0.0/1"), ("tcp", 22, 22, "128.0.0.0/1")], True),
        # ICMP's "ports" are type and code: echo (8) from anywhere is ICMP from anywhere.
        ([("icmp", 8, 0, "0.0.0.0/0")], True),
    ],
    ids=["tcp-and-udp-halves", "all-joins-tcp", "number-and-name", "icmp-echo"],
)
def test_ingress_is_pooled_per_protocol(
    pack: ModuleType, prod: list[NewResource], rules: list[tuple[str, int, int, str]], caught: bool
) -> None:
    group = next(r for r in prod if r.type == policy_rules.SECURITY_GROUP)
    ingress = [
        {"protocol": p, "fromPort": low, "toPort": high, "cidrBlocks": [cidr]} for p, low, high, cidr in rules
    ]
    found = _mandatory(analyze(pack, changed(prod, group.name, ingress=ingress)), "no-internet-ingress")
    assert bool(found) is caught, found
