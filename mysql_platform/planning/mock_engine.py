"""The program under Pulumi's own mocks: what it would register, with no CLI, account or network.

- Config comes from ``Pulumi.yaml``'s defaults (applied by the program's settings), the committed
  ``Pulumi.<stack>.yaml`` and optional overrides, as the engine hands config to a program.
- Invokes (availability zones, instance type facts, the AMI parameter, the partition) are
  answered with their full result shapes, from the facts below: the region's zones (its Local
  Zone first, as DescribeAvailabilityZones sorts them), the instance types' architectures.
- What AWS computes (ids, addresses, names with random parts) gets placeholder values derived
  from the logical name, so two runs of one configuration agree and a change elsewhere does not
  move them.
- Every registration is recorded with its parent URN and resource options.

The plan (:mod:`mysql_platform.planning.plan`) and the unit tests run the program through this.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml  # type: ignore[import-untyped]
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.settings import get_root_resource

from mysql_platform.planning.mock_attributes import computed_attributes
from mysql_platform.project import project_dir

ROOT = project_dir()  # the project's Pulumi*.yaml: the rule is mysql_platform.project's
PROJECT = "mysql-platform"
DEFAULT_REGION = "us-east-1"
ZONE_LETTERS = "abcd"
# What DescribeAvailabilityZones returns to an account opted in to a Local Zone (us-east-1's
# Boston one): sorted by name, so the Local Zone comes first; its opt-in-status is "opted-in".
LOCAL_ZONE_SUFFIX = "-bos-1a"


class PlanError(ValueError):
    """The program asked for something the mock engine has no facts for."""


# DescribeInstanceTypes facts the program reads (ProcessorInfo.SupportedArchitectures).
INSTANCE_TYPES: dict[str, dict[str, Any]] = {
    "t3.micro": {"supportedArchitectures": ["x86_64"], "defaultVcpus": 2, "memorySize": 1024},
    "t3.small": {"supportedArchitectures": ["x86_64"], "defaultVcpus": 2, "memorySize": 2048},
    "t4g.micro": {"supportedArchitectures": ["arm64"], "defaultVcpus": 2, "memorySize": 1024},
    "a1.medium": {"supportedArchitectures": ["arm64"], "defaultVcpus": 1, "memorySize": 2048},
    "m5.large": {"supportedArchitectures": ["x86_64"], "defaultVcpus": 2, "memorySize": 8192},
}


@dataclass
class Registered:
    """One resource registration as the engine would have seen it."""

    type: str
    name: str
    urn: str
    parent_urn: str
    custom: bool
    protect: bool
    ignore_changes: list[str]
    inputs: dict[str, Any]
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    alias_names: list[str] = field(default_factory=list)  # names of ``aliases`` given as specs
    # Every ``aliases`` entry: a spec as {"name", "type", "parent_urn", "no_parent"} (empty fields
    # default to the resource's own, as the engine reads them), or {"urn": ...} given as a URN.
    aliases: list[dict[str, Any]] = field(default_factory=list)

    def plain(self, key: str) -> Any:
        """An input with any secret wrapper removed."""
        return unwrap(self.inputs.get(key))

    def is_secret(self, key: str) -> bool:
        return rpc.is_rpc_secret(self.inputs.get(key))


def unwrap(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def _zones(args: Mapping[str, Any], region: str) -> list[tuple[str, str, str]]:
    """(name, zone id, opt-in-status) of the zones the filters admit."""
    short = region.replace("-", "")[:4] + region.rsplit("-", 1)[-1]
    zones = [(f"{region}{LOCAL_ZONE_SUFFIX}", f"{short}-lz1-az1", "opted-in")]
    zones += [
        (f"{region}{x}", f"{short}-az{i + 1}", "opt-in-not-required") for i, x in enumerate(ZONE_LETTERS)
    ]
    for f in args.get("filters") or []:
        if f["name"] == "opt-in-status":
            zones = [z for z in zones if z[2] in f["values"]]
        else:
            raise PlanError(f"availability zone filter {f['name']} is not modelled by the mock engine")
    return zones


def _instance_type(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """getInstanceType's full result: every field of the SDK's result type, with known facts."""
    import inspect

    from pulumi_aws.ec2.get_instance_type import GetInstanceTypeResult

    fields = [p for p in inspect.signature(GetInstanceTypeResult.__init__).parameters if p != "__self__"]
    camel = {f: re.sub(r"_([a-z])", lambda m: m.group(1).upper(), f) for f in fields}
    result: dict[str, Any] = dict.fromkeys(camel.values())
    name = args["instanceType"]
    if name not in INSTANCE_TYPES:
        raise PlanError(
            f"instance type {name!r} is not in the mock engine's table of instance types "
            f"({', '.join(sorted(INSTANCE_TYPES))}); add its architecture to INSTANCE_TYPES"
        )
    result.update(INSTANCE_TYPES[name], id=name, instanceType=name, region=region)
    return result


def _invoke_result(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Full result shapes of the invokes the program makes."""
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        zones = _zones(args, region)
        return {
            "id": region,
            "names": [z[0] for z in zones],
            "zoneIds": [z[1] for z in zones],
            "groupNames": [z[0][:-1] if z[2] == "opted-in" else region for z in zones],
            "state": args.get("state", "available"),
            "region": region,
            "allAvailabilityZones": None,
            "excludeNames": None,
            "excludeZoneIds": None,
            "filters": args.get("filters"),
        }
    if token == "aws:ec2/getInstanceType:getInstanceType":
        return _instance_type(args, region)
    if token == "aws:ssm/getParameter:getParameter":
        return {
            "id": args["name"],
            "arn": f"arn:aws:ssm:{region}::parameter{args['name']}",
            "name": args["name"],
            "type": "String",
            "value": "ami-0abcdef1234567890",
            "insecureValue": "ami-0abcdef1234567890",
            "version": 104,
            "withDecryption": True,
            "region": region,
        }
    if token == "aws:index/getPartition:getPartition":
        return {
            "id": "aws",
            "partition": "aws",
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
            "region": region,
        }
    raise PlanError(
        f"the program called {token}, which the mock engine does not answer; add its result shape"
    )


class RecordingMocks(pulumi_mocks.Mocks):
    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        return _invoke_result(args.token, args.args, self.region), []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id = f"{args.name}-id"
        state = {**unwrap(args.inputs), **computed_attributes(args.typ, args.name, args.inputs)}
        self.outputs[args.name] = state
        return resource_id, state


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping each registration's parent and options."""

    mocks: RecordingMocks

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name, overridden
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent_urn=request.parent,
                    custom=request.custom,
                    protect=request.protect,
                    ignore_changes=list(request.ignoreChanges),
                    inputs=rpc.deserialize_properties(request.object),
                    replace_on_changes=list(request.replaceOnChanges),
                    delete_before_replace=request.deleteBeforeReplace,
                    retain_on_delete=request.retainOnDelete,
                    dependencies=list(request.dependencies),
                    alias_names=[a.spec.name for a in request.aliases if a.HasField("spec")],
                    aliases=[_alias(a) for a in request.aliases],
                )
            )
        return response


def _alias(alias: Any) -> dict[str, Any]:
    """One ``Alias`` message of a registration, as plain data."""
    if not alias.HasField("spec"):
        return {"urn": alias.urn}
    spec = alias.spec
    return {"name": spec.name, "type": spec.type, "parent_urn": spec.parentUrn, "no_parent": spec.noParent}


def stack_config(stack: str, overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The stack file's config as the engine hands it to a program: namespaced keys, string values."""
    data = _stack_file_config(ROOT / f"Pulumi.{stack}.yaml") if stack else {}
    merged: dict[str, Any] = dict(data or {})
    for key, value in (overrides or {}).items():
        merged[key if ":" in key else f"{PROJECT}:{key}"] = value
    return {k: config_string(v) for k, v in merged.items() if v is not None}


# Parsed stack files by (path, mtime, size): a test session runs the program some 150 times on
# two files, and parsing one is a few milliseconds. A changed file has a new mtime or size.
_STACK_FILES: dict[tuple[Path, int, int], Any] = {}


def _stack_file_config(path: Path) -> Any:
    """The ``config`` of one stack file; the caller copies it and never changes what it holds."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _STACK_FILES:
        _STACK_FILES[key] = yaml.safe_load(path.read_text())["config"]
    return _STACK_FILES[key]


def config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


@dataclass
class ProgramRun:
    stack: str
    preview: bool
    resources: list[Registered]
    calls: list[tuple[str, dict[str, Any]]]
    exports: dict[str, Any]
    secret_exports: set[str]
    resource_outputs: dict[str, dict[str, Any]]

    def outputs_of(self, r: Registered) -> dict[str, Any]:
        """The state the mocked provider returned for a resource (inputs plus computed attributes)."""
        return self.resource_outputs[r.name]

    def of_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str) -> Registered:
        found = [r for r in self.resources if r.type == type_token and r.name == name]
        assert len(found) == 1, f"expected one {type_token} named {name}, found {len(found)}"
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.resources if r.urn == urn)

    def id_of(self, r: Registered) -> str:
        return f"{r.name}-id"


class _InlineExecutor(ThreadPoolExecutor):
    """Runs what is submitted at once, in the submitting thread.

    The SDK hands every call to the monitor (each registration, each invoke) to the event loop's
    default executor, a thread pool, and awaits it. The mock monitor answers from memory, so the
    hop to another thread and back is pure cost: some 50 a run, each a wake-up of two threads,
    which a loaded machine makes slow. Inline, the calls run in the order the SDK makes them.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1)  # never starts a thread: submit below does the work

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting coroutine, as a pool does
            done.set_exception(exc)
        return done


def _start_worker() -> None:
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_InlineExecutor())
    asyncio.set_event_loop(loop)


# One thread, so runs stay sequential and keep their event loop (and its inline executor).
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulumi-mocks", initializer=_start_worker)


@contextmanager
def _no_stack_traces() -> Iterator[None]:
    """Registrations without the caller's stack trace, for the length of a run.

    With every registration the SDK walks the caller's whole stack and turns each frame into a
    file URI (for the engine's display of where a resource was declared): a fifth of a run's time.
    The mock monitor reads neither the trace nor the source position, and neither is recorded
    here, so what a run registers is the same without them. The SDK's function is put back after
    the run; runs happen one at a time, in the worker thread.
    """
    walk = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _empty_stack_trace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = walk


def _empty_stack_trace() -> Any:
    return source_pb2.StackTrace()


def run_program(
    program: Callable[[], None],
    stack: str,
    *,
    preview: bool = False,
    overrides: Mapping[str, Any] | None = None,
    stack_file: str | None = None,
    monitor: RecordingMonitor | None = None,
) -> ProgramRun:
    """Run ``program`` under mocks with the stack file's config; return what it registered and exported.

    ``stack_file`` names the Pulumi.<x>.yaml to load when it differs from the stack name
    (e.g. prod's file under a stack named ``production``). Exceptions from the program propagate.
    """
    return _WORKER.submit(_run, program, stack, preview, overrides, stack_file, monitor).result()


def _run(
    program: Callable[[], None],
    stack: str,
    preview: bool,
    overrides: Mapping[str, Any] | None,
    stack_file: str | None,
    monitor: RecordingMonitor | None,
) -> ProgramRun:
    config = stack_config(stack_file if stack_file is not None else stack, overrides)
    if monitor is None:
        monitor = RecordingMonitor(RecordingMocks(config.get("aws:region", DEFAULT_REGION)))
    mocks = monitor.mocks
    # A fresh root stack per run, or one run's exports and URNs leak into the next.
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config)
    resolved: dict[str, Any] = {}
    secrets: set[str] = set()

    async def _resolve(exports: dict[str, Any]) -> None:
        for key, value in exports.items():
            out = pulumi.Output.from_input(value)
            resolved[key] = await out.future()
            if await out.is_secret():
                secrets.add(key)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def _program() -> Any:
        program()
        root = get_root_resource()
        exports = dict(root.outputs) if root is not None else {}  # type: ignore[attr-defined]
        return pulumi.Output.from_input(asyncio.ensure_future(_resolve(exports)))

    with _no_stack_traces():
        _program()
    return ProgramRun(stack, preview, monitor.registered, mocks.calls, resolved, secrets, mocks.outputs)
