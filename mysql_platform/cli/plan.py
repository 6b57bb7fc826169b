"""``mysql-platform plan STACK``: the stack without credentials.

Runs the program (the function ``pulumi up`` runs) under the mock engine: no Pulumi CLI, no AWS
account, no network. Prints the resource tree and the exports (secrets masked).

    --set KEY=VALUE      a config override (repeatable): ``--set dbReplicaCount=1``
    --json               the plan as JSON (resources, inputs with secrets masked, options, exports);
                         with --compare its "compare", with --before its "changes" and "cost_change"
    --compare OTHER      this stack against another, same resources by logical name
    --before PLAN.json   what `pulumi up` would do against a saved --json plan, and the monthly
                         cost change per resource and in total
    --detailed-exitcode  with --before: exit 5 when anything would change
    --diagram FILE       the architecture from the resource graph: .mmd (Mermaid), .svg, .dot
    --view VIEW          --diagram's view: architecture (the default) or resources (every resource)

Exit codes, the first that applies: 2 bad input (the settings' message for a bad config, an
unknown project key, a stack file the bounded loader refuses), 3 a protected or stateful resource
would be replaced or deleted, or gtid-mode would skip a step (with --before), 4 a mandatory policy
rule is violated (mysql_platform/planning/policy_rules.py; advisory ones are listed only), 5 with
--detailed-exitcode: something would change against --before, 0 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mysql_platform.components.settings import ConfigError
from mysql_platform.core.command_names import prog
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_OK
from mysql_platform.planning import (
    change_set,
    compare,
    cost,
    cost_diff,
    diagram,
    policy_rules,
    predict,
    render,
    saved_plan,
    stack_file,
)
from mysql_platform.planning.mock_engine import PlanError
from mysql_platform.planning.plan import Plan, make_plan

EXIT_REFUSED = 3
EXIT_POLICY = 4
# Only with --detailed-exitcode, as `terraform plan -detailed-exitcode` exits 2 (2 is bad input here).
EXIT_CHANGES = 5
PROG = prog("plan")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="What a stack would create, offline: no Pulumi CLI, no AWS account, no network.",
        epilog="exit codes, the first that applies: 2 bad input or configuration, 3 a protected or "
        "stateful resource would be replaced or deleted, or gtid-mode would skip a step (--before), "
        "4 a mandatory policy rule is violated, 5 something would change (--before with "
        "--detailed-exitcode), 0 otherwise",
    )
    p.add_argument("stack", metavar="STACK", help="a stack with a Pulumi.<STACK>.yaml (dev, prod)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="the plan as JSON; with --compare or --before, also the comparison or the change set",
    )
    p.add_argument("--compare", metavar="OTHER", help="show this stack against OTHER by logical name")
    p.add_argument(
        "--before",
        type=Path,
        metavar="PLAN.json",
        help="what `pulumi up` would do against a saved --json plan, and the monthly cost change",
    )
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="with --before: exit 5 when anything would change (3 and 4 still come first)",
    )
    p.add_argument(
        "--diagram",
        type=Path,
        metavar="FILE",
        help="draw the stack: FILE.mmd (Mermaid), .svg (Graphviz) or .dot",
    )
    p.add_argument(
        "--view",
        choices=diagram.VIEWS,
        default=diagram.ARCHITECTURE,
        help="what --diagram draws: zones, clients, ports and replication (architecture, the default) "
        "or every resource (resources)",
    )
    return p


def overrides(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set takes KEY=VALUE (e.g. --set dbReplicaCount=1), got {pair!r}")
        out[key.strip()] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    if args.detailed_exitcode and args.before is None:
        print(
            "plan: --detailed-exitcode needs --before PLAN.json: changes are counted against it",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        values = overrides(args.set)
        stack_file.check(args.stack, values)
        if args.compare:
            stack_file.check(args.compare, {})
        plan = make_plan(args.stack, values)
        other = make_plan(args.compare) if args.compare else None
        before = saved_plan.load(args.before) if args.before else None
        if args.diagram:
            diagram.write(plan, args.diagram, args.view)
    except ConfigError as exc:
        print(f"plan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanError, ValueError, OSError, KeyError, TypeError) as exc:
        print(f"plan: bad input error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    violations = plan.policy_violations()
    prediction = predict.predict(before, plan) if before is not None else None
    costs = cost_diff.diff(before, plan) if before is not None else None
    if args.json:
        print(json.dumps(_json(plan, violations, other, before, prediction, costs), indent=2, sort_keys=True))
    else:
        print(
            "\n\n".join("\n".join(section) for section in _text(plan, violations, other, prediction, costs))
        )
    return exit_code(violations, prediction, detailed=args.detailed_exitcode)


def _text(
    plan: Plan,
    violations: list[policy_rules.Violation],
    other: Plan | None,
    prediction: predict.Prediction | None,
    costs: cost_diff.CostDiff | None,
) -> list[list[str]]:
    if other is not None:
        sections = [compare.compare(plan, other)]
    else:
        est = cost.estimate(plan)
        sections = [render.tree(plan), render.exports(plan), render.cost(est), render.policy(violations)]
    if prediction is not None and costs is not None:
        sections += [prediction.lines(), costs.lines()]
    return sections


def _json(
    plan: Plan,
    violations: list[policy_rules.Violation],
    other: Plan | None,
    before: Plan | None,
    prediction: predict.Prediction | None,
    costs: cost_diff.CostDiff | None,
) -> dict[str, Any]:
    data = {
        **plan.to_json(),
        "policy": [dataclasses.asdict(v) for v in violations],
        "cost": cost.estimate(plan).to_json(),
    }
    if other is not None:
        data["compare"] = change_set.comparison(plan, other)
    if before is not None and prediction is not None and costs is not None:
        data["changes"] = change_set.change_set(prediction, before, plan)
        data["cost_change"] = costs.to_json()
    return data


def exit_code(
    violations: list[policy_rules.Violation], prediction: predict.Prediction | None, *, detailed: bool
) -> int:
    """The first that applies: 3 refused, 4 a mandatory policy rule, 5 changes (--detailed-exitcode), 0."""
    if prediction is not None and prediction.refused:
        return EXIT_REFUSED
    if any(v.enforcement == policy_rules.MANDATORY for v in violations):
        return EXIT_POLICY
    if detailed and prediction is not None and any(c.action != "same" for c in prediction.changes):
        return EXIT_CHANGES
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
