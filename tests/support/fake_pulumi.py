"""A stand-in for the Pulumi CLI that records what it is sent and answers as the real one does.

It is an executable (see :func:`install`) that the Automation API SDK runs exactly as it runs
`pulumi`. Every invocation is appended to ``calls.jsonl`` in its state dir ($FAKE_PULUMI_STATE).
What it models, with the CLI source that says so:

- ``version`` prints ``v<version>`` (default 3.205.0: the last version whose engine events
  the SDK reads from an ``--event-log`` file; newer ones stream them over gRPC,
  ``pulumi/automation/_stack.py::_setup_event_log`` in SDK 3.272.0).
- ``stack select --stack S`` fails with "error: no stack named 'S' found" (the SDK's
  ``errors.not_found_regex``); ``stack init S`` fails with "error: stack 'S' already exists"
  when it does (``errors.already_exists_regex``), which a scenario can force for a race.
- ``config set-all``: ``--plaintext k=v`` stores the string ``v`` (``config.NewValue(value)``,
  pkg/cmd/pulumi/config/config_set_all.go); ``--json`` takes the shape ``pulumi config --json``
  prints (``configValueJSON``: value, objectValue, secret; pkg/cmd/pulumi/config/config.go) and
  stores ``objectValue`` as a YAML list or map. Values go to ``Pulumi.<stack>.yaml`` in the work dir.
- ``up``/``preview``/``refresh``/``destroy`` first validate the stack's config against the
  project's explicitly typed keys and refuse with "Stack 'S' with configuration key 'K' must be
  of type 'array<string>'" on stderr, exit 255 (sdk/go/common/workspace/config.go,
  ``validateStackConfigValue``). A resource failure is printed to stdout as the engine's
  "Diagnostics:" block, with diagnostic events in the event log, and stderr stays empty.
- ``stack output --json [--show-secrets]`` and ``stack history --json`` print what the SDK parses.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

EXIT_FAILURE = 255  # cmdutil.ExitError(-1) as the OS reports it
DEFAULT_VERSION = "3.205.0"


def install(bin_dir: Path, state_dir: Path) -> Path:
    """Write ``bin_dir/pulumi`` running this module with this interpreter; return its path."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / "pulumi"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n')
    exe.chmod(0o755)
    return exe


def calls(state_dir: Path) -> list[list[str]]:
    """Every argv the stand-in received, in order (without the program name)."""
    path = state_dir / "calls.jsonl"
    if not path.exists():
        return []
    argvs = [json.loads(line)["argv"] for line in path.read_text().splitlines()]
    # The SDK puts --non-interactive first on every command.
    return [a[1:] if a[:1] == ["--non-interactive"] else a for a in argvs]


# --- the executable ---------------------------------------------------------------------------


class _Cli:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.state = Path(os.environ["FAKE_PULUMI_STATE"])
        scenario_file = self.state / "scenario.json"
        self.scenario: dict[str, Any] = (
            json.loads(scenario_file.read_text()) if scenario_file.exists() else {}
        )
        self.stacks_file = self.state / "stacks.json"
        self.stacks: dict[str, dict[str, Any]] = (
            json.loads(self.stacks_file.read_text()) if self.stacks_file.exists() else {}
        )
        with (self.state / "calls.jsonl").open("a") as f:
            f.write(json.dumps({"argv": argv, "backend": os.environ.get("PULUMI_BACKEND_URL")}) + "\n")

    def flag(self, name: str) -> str | None:
        if name in self.argv:
            i = self.argv.index(name)
            return self.argv[i + 1] if i + 1 < len(self.argv) else ""
        return None

    def flags(self, name: str) -> list[str]:
        return [self.argv[i + 1] for i, a in enumerate(self.argv[:-1]) if a == name]

    def positional(self) -> list[str]:
        """Words that are not flags: command, subcommand, then its arguments (and flag values)."""
        return [a for a in self.argv if not a.startswith("-")]

    @property
    def stack(self) -> str:
        return self.flag("--stack") or ""

    def fail(self, message: str, stdout: str = "") -> int:
        sys.stdout.write(stdout)
        sys.stderr.write(f"error: {message}\n")
        return EXIT_FAILURE

    def save(self) -> None:
        self.stacks_file.write_text(json.dumps(self.stacks))

    # stack files ---------------------------------------------------------------------------

    def project(self) -> dict[str, Any]:
        return dict(yaml.safe_load((Path.cwd() / "Pulumi.yaml").read_text()))

    def stack_file(self) -> Path:
        return Path.cwd() / f"Pulumi.{self.stack}.yaml"

    def stack_config(self) -> dict[str, Any]:
        path = self.stack_file()
        data = yaml.safe_load(path.read_text()) if path.exists() else None
        return dict((data or {}).get("config") or {})

    def write_stack_config(self, config: dict[str, Any]) -> None:
        path = self.stack_file()
        data = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
        data["config"] = config
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def namespaced(self, key: str) -> str:
        return key if ":" in key else f"{self.project()['name']}:{key}"

    # commands ------------------------------------------------------------------------------

    def run(self) -> int:
        head = self.positional()[:2]
        if head[:1] == ["version"]:
            print("v" + os.environ.get("FAKE_PULUMI_VERSION", DEFAULT_VERSION))
            return 0
        handlers = {
            ("stack", "select"): self.stack_select,
            ("stack", "init"): self.stack_init,
            ("stack", "ls"): self.stack_ls,
            ("stack", "output"): self.stack_output,
            ("stack", "history"): self.stack_history,
            ("config", "set-all"): self.config_set_all,
            ("config", "get"): self.config_get,
            ("config", "set"): self.config_set,
            ("plugin", "install"): lambda: 0,
        }
        if tuple(head) in handlers:
            return handlers[tuple(head)]()  # type: ignore[index]
        if head[:1] and head[0] in ("up", "preview", "refresh", "destroy"):
            return self.operation(head[0])
        return self.fail(f"the stand-in CLI does not model {self.argv}")

    def stack_select(self) -> int:
        if self.stack not in self.stacks:
            return self.fail(f"no stack named '{self.stack}' found")
        return 0

    def stack_init(self) -> int:
        name = self.positional()[2]
        if name in self.stacks or self.scenario.get("init_race"):
            self.stacks.setdefault(name, {"resources": 0, "outputs": {}})
            self.save()
            return self.fail(f"stack '{name}' already exists")
        self.stacks[name] = {"resources": 0, "outputs": {}}
        self.save()
        return 0

    def stack_ls(self) -> int:
        rows = [
            {"name": n, "current": False, "updateInProgress": False, "resourceCount": s["resources"]}
            for n, s in self.stacks.items()
        ]
        print(json.dumps(rows))
        return 0

    def stack_output(self) -> int:
        outputs = self.stacks[self.stack]["outputs"]
        if "--show-secrets" in self.argv:
            if self.scenario.get("decrypt_fails"):
                return self.fail(
                    'constructing secrets manager of type "passphrase": incorrect passphrase, '
                    "please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase"
                )
            print(json.dumps({k: v["value"] for k, v in outputs.items()}))
        else:
            print(json.dumps({k: "[secret]" if v["secret"] else v["value"] for k, v in outputs.items()}))
        return 0

    def stack_history(self) -> int:
        last = self.stacks[self.stack].get("last")
        print(json.dumps([last] if last else []))
        return 0

    def config_get(self) -> int:
        key = self.namespaced(self.positional()[2])
        config = self.stack_config()
        if key not in config:
            return self.fail(f"configuration key '{key}' not found for stack '{self.stack}'")
        value = config[key]
        print(json.dumps({"value": value if isinstance(value, str) else json.dumps(value), "secret": False}))
        return 0

    def config_set_all(self) -> int:
        config = self.stack_config()
        if "--path" in self.argv:
            return self.fail("the stand-in CLI does not model --path")
        for pair in self.flags("--plaintext"):
            key, _, value = pair.partition("=")
            config[self.namespaced(key)] = value  # config.NewValue(value): always a string
        for pair in self.flags("--secret"):
            key, _, value = pair.partition("=")
            config[self.namespaced(key)] = {"secure": "v1:fake:" + value.encode().hex()}
        raw = self.flag("--json")
        if raw is not None:
            for key, entry in json.loads(raw).items():
                if entry.get("secret"):
                    config[self.namespaced(key)] = {"secure": "v1:fake:" + str(entry["value"]).encode().hex()}
                elif "objectValue" in entry:
                    config[self.namespaced(key)] = entry["objectValue"]
                else:
                    config[self.namespaced(key)] = entry["value"]
        self.write_stack_config(config)
        return 0

    def config_set(self) -> int:
        # pkg/cmd/pulumi/config/config_set.go: `set KEY [VALUE]`; without VALUE and with stdin
        # not a terminal, the value is stdin with its trailing newline removed.
        args = self.positional()[2:]
        key = args[0]
        value = args[1] if len(args) > 1 and args[1] != self.stack else sys.stdin.read().removesuffix("\n")
        config = self.stack_config()
        if "--secret" in self.argv:
            config[self.namespaced(key)] = {"secure": "v1:fake:" + value.encode().hex()}
        else:
            config[self.namespaced(key)] = value
        self.write_stack_config(config)
        return 0

    def validate_config(self) -> str | None:
        project = self.project()
        config = self.stack_config()
        for key, decl in (project.get("config") or {}).items():
            declared_type = decl.get("type") if isinstance(decl, dict) else None
            value = config.get(self.namespaced(key))
            if declared_type is None or value is None:
                continue
            if isinstance(value, dict) and "secure" in value:
                # The CLI validates the decrypted value.
                value = bytes.fromhex(value["secure"].removeprefix("v1:fake:")).decode()
            ok = {
                "string": isinstance(value, str),
                "integer": isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()),
                "boolean": isinstance(value, bool) or value in ("true", "false"),
                "array": isinstance(value, list),
            }[declared_type]
            if not ok:
                type_name = "array<string>" if declared_type == "array" else declared_type
                return f"Stack '{self.stack}' with configuration key '{key}' must be of type '{type_name}'"
        return None

    def events(self, events: list[dict[str, Any]]) -> None:
        log = self.flag("--event-log")
        if not log:
            return
        with open(log, "a") as f:
            for seq, event in enumerate([*events, {"cancelEvent": {}}], start=1):
                f.write(json.dumps({"sequence": seq, "timestamp": 1_700_000_000, **event}) + "\n")

    def operation(self, op: str) -> int:
        if self.stack not in self.stacks:
            return self.fail(f"no stack named '{self.stack}' found")
        problem = self.validate_config()
        if problem is not None:
            self.events([])
            return self.fail(problem)
        failure = self.scenario.get(f"{op}_fails")
        kind = {"up": "update", "preview": "update", "refresh": "refresh", "destroy": "destroy"}[op]
        if failure:
            urn = f"urn:pulumi:{self.stack}::mysql-platform::aws:rds/instance:Instance::{failure['resource']}"
            diag = {
                "diagnosticEvent": {
                    "urn": urn,
                    "message": failure["message"] + "\n",
                    "color": "never",
                    "severity": "error",
                }
            }
            summary = {
                "summaryEvent": {
                    "maybeCorrupt": False,
                    "durationSeconds": 3,
                    "resourceChanges": {"same": 30},
                    "PolicyPacks": {},
                }
            }
            self.events([diag, summary])
            sys.stdout.write(
                f"Updating ({self.stack})\n\n"
                f" +  aws:rds:Instance {failure['resource']} creating (2s) error: {failure['message']}\n\n"
                "Diagnostics:\n"
                f"  aws:rds:Instance ({failure['resource']}):\n"
                f"    error: {failure['message']}\n\n"
                "Resources:\n    30 unchanged\n\nDuration: 3s\n\n"
            )
            return EXIT_FAILURE  # the engine's diagnostics went to stdout; stderr stays empty
        changes = {"create": 2} if op in ("up", "preview") else {"same": 2}
        self.events(
            [
                {
                    "summaryEvent": {
                        "maybeCorrupt": False,
                        "durationSeconds": 1,
                        "resourceChanges": changes,
                        "PolicyPacks": {},
                    }
                }
            ]
        )
        stack = self.stacks[self.stack]
        if op == "up":
            stack["resources"] = 2
            stack["outputs"] = self.scenario.get("outputs", {})
        elif op == "destroy":
            stack["resources"] = 0
        if op != "preview":
            stack["last"] = {
                "kind": kind,
                "startTime": "2026-11-27T12:00:00.000Z",
                "message": "",
                "environment": {},
                "config": {},
                "result": "succeeded",
                "endTime": "2026-11-27T12:00:03.000Z",
                "version": 1,
                "resourceChanges": changes,
            }
            self.save()
        print(f"{'Previewing update' if op == 'preview' else 'Updating'} ({self.stack})\n\nResources:\n")
        return 0


if __name__ == "__main__":
    sys.exit(_Cli(sys.argv[1:]).run())
