"""``mysql-platform plan STACK`` (also ``python -m scripts.plan STACK``): the stack without credentials.

Runs the program (the function ``pulumi up`` runs) under the mock engine: no Pulumi CLI, no AWS
account, no network. Prints the resource tree and the exports (secrets masked).

    --set KEY=VALUE      a config override (repeatable): ``--set dbReplicaCount=1``
    --json               the plan as JSON (resources, inputs with secrets masked, options, exports)
    --compare OTHER      this stack against another, same resources by logical name
    --before PLAN.json   what `pulumi up` would do against a saved --json plan
    --diagram FILE       the architecture from the resource graph: .mmd (Mermaid), .svg, .dot

Exit codes: 0 ok, 2 bad input (the settings' message for a bad config), 3 a protected or
stateful resource would be replaced or deleted, or gtid-mode would skip a step (with --before),
4 a mandatory policy rule is violated (scripts/planning/policy_rules.py; advisory ones are listed only).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from components.settings import ConfigError
from scripts.errors import EXIT_BAD_INPUT, EXIT_OK
from scripts.planning import compare, cost, diagram, policy_rules, predict, render, stack_file
from scripts.planning.mock_engine import PlanError
from scripts.planning.plan import Plan, make_plan

EXIT_REFUSED = 3
EXIT_POLICY = 4
PROG = "python -m scripts.plan"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="What a stack would create, offline: no Pulumi CLI, no AWS account, no network.",
        epilog="exit codes: 0 ok, 2 bad input or configuration, 3 a protected or stateful resource "
        "would be replaced or deleted, or gtid-mode would skip a step (--before), "
        "4 a mandatory policy rule is violated",
    )
    p.add_argument("stack", metavar="STACK", help="a stack with a Pulumi.<STACK>.yaml (dev, prod)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="the plan as JSON")
    p.add_argument("--compare", metavar="OTHER", help="show this stack against OTHER by logical name")
    p.add_argument("--before", type=Path, metavar="PLAN.json", help="predict against a saved --json plan")
    p.add_argument(
        "--diagram",
        type=Path,
        metavar="FILE",
        help="draw the stack: FILE.mmd (Mermaid), .svg (Graphviz) or .dot",
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
    try:
        values = overrides(args.set)
        stack_file.check(args.stack, values)
        if args.compare:
            stack_file.check(args.compare, {})
        plan = make_plan(args.stack, values)
        other = make_plan(args.compare) if args.compare else None
        before = Plan.from_json(json.loads(args.before.read_text())) if args.before else None
        if args.diagram:
            diagram.write(plan, args.diagram)
    except ConfigError as exc:
        print(f"plan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanError, ValueError, OSError, KeyError, TypeError) as exc:
        print(f"plan: bad input error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    violations = plan.policy_violations()
    est = cost.estimate(plan)
    if args.json:
        data = {
            **plan.to_json(),
            "policy": [dataclasses.asdict(v) for v in violations],
            "cost": est.to_json(),
        }
        print(json.dumps(data, indent=2, sort_keys=True))
    elif other is not None:
        print("\n".join(compare.compare(plan, other)))
    else:
        sections = [render.tree(plan), render.exports(plan), render.cost(est), render.policy(violations)]
        print("\n\n".join("\n".join(section) for section in sections))
    code = EXIT_OK
    if before is not None:
        prediction = predict.predict(before, plan)
        print("\n".join(prediction.lines()), file=sys.stderr if args.json else sys.stdout)
        code = EXIT_REFUSED if prediction.refused else code
    if code == EXIT_OK and any(v.enforcement == policy_rules.MANDATORY for v in violations):
        code = EXIT_POLICY
    return code


if __name__ == "__main__":
    sys.exit(main())
