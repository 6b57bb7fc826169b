"""Mutation scores per target module, from a finished ``mutmut run`` (run by run.sh).

Run from the scratch copy that holds ``mutants/`` (mutmut reads its configuration from the
working directory). Prints, per target, killed / (total - excluded) and every mutant that
was not killed, with its diff; exits 1 when a score is below ``--min``.

Excluded mutants are listed in exclusions.toml beside this file, each with the reason it
cannot change behaviour. An entry names the mutated function and the mutated line(s) as
``mutmut show`` prints them after "+"; an entry that no longer matches a mutant (the source
changed) is reported as stale and excludes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Target name -> source files (globs) scored together; the settings are split across modules.
# Keep in step with only_mutate in setup.cfg.
TARGETS: dict[str, tuple[str, ...]] = {
    "splitter": ("mysql_platform/db/sql_split.py",),
    "settings": (
        "mysql_platform/components/settings.py",
        "mysql_platform/components/config_schema.py",
        "mysql_platform/components/*_rules.py",
    ),
    "renderer": ("mysql_platform/core/haproxy_config.py",),
    "outputs": ("mysql_platform/core/outputs.py", "mysql_platform/core/contract.py"),
    "router": ("mysql_platform/router/statements.py",),
    "predict": ("mysql_platform/planning/replace_rules.py", "mysql_platform/planning/predict.py"),
}

# mutmut's exit-code meanings (mutmut.stats.status_by_exit_code). A timeout counts as killed:
# the mutant made the tests hang (e.g. the splitter's position no longer advances), which a
# test run detects. The tests run here start no Pulumi engine, so no timeout is a grpc artefact.
KILLED = {1, 3}
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUT = {36, 24, -24, 152, 255}


def status(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in TIMEOUT:
        return "timeout"
    if code is None:
        return "not checked"
    return f"other (exit {code})"


def function_of(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def changed_lines(diff: str) -> tuple[str, ...]:
    return tuple(
        line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    )


def load_exclusions(path: Path) -> list[dict[str, str]]:
    entries = tomllib.loads(path.read_text("utf-8")).get("exclude", [])
    for entry in entries:
        missing = {"mutant", "plus", "reason"} - entry.keys()
        if missing:
            raise SystemExit(f"{path}: entry {entry} lacks {sorted(missing)}")
    return entries


def selected(names: str) -> dict[str, tuple[str, ...]]:
    """The targets named (comma- or space-separated), all of them for an empty string."""
    wanted = names.replace(",", " ").split()
    unknown = [n for n in wanted if n not in TARGETS]
    if unknown:
        raise ValueError(f"unknown target(s) {', '.join(unknown)}; expected some of {', '.join(TARGETS)}")
    return {name: files for name, files in TARGETS.items() if not wanted or name in wanted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable score in %% (default 90)")
    parser.add_argument("--exclusions", type=Path, default=HERE / "exclusions.toml")
    parser.add_argument("--quiet", action="store_true", help="do not print the diffs of surviving mutants")
    parser.add_argument(
        "--targets", default="", help="score only these targets (comma-separated; default: all)"
    )
    parser.add_argument(
        "--only-mutate",
        action="store_true",
        help="print the targets' source globs, one a line (run.sh writes them into only_mutate), and exit",
    )
    args = parser.parse_args(argv)
    try:
        targets = selected(args.targets)
    except ValueError as exc:
        parser.error(str(exc))
    if args.only_mutate:
        print("\n".join(glob for files in targets.values() for glob in files))
        return 0

    from mutmut.mutation.diff_apply import get_diff_for_mutant  # reads ./setup.cfg: after cwd is set

    exclusions = load_exclusions(args.exclusions)
    used: set[int] = set()
    failed = False
    rows = []
    for target, files in targets.items():
        counts: dict[str, int] = defaultdict(int)
        lost: list[tuple[str, str, str]] = []
        excluded: list[tuple[str, str]] = []
        sources = sorted(
            {
                str(p.relative_to("mutants"))[: -len(".meta")]
                for g in files
                for p in Path("mutants").glob(g + ".meta")
            }
        )
        for source in sources:
            meta = Path("mutants") / (source + ".meta")
            codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
            for mutant, code in sorted(codes.items()):
                state = status(code)
                counts["total"] += 1
                if state in ("killed", "timeout"):
                    counts["killed"] += 1
                    counts["timeout" if state == "timeout" else "killed only"] += 1
                    continue
                diff = get_diff_for_mutant(mutant, path=source)
                plus = changed_lines(diff)
                match = next(
                    (
                        i
                        for i, e in enumerate(exclusions)
                        if function_of(e["mutant"]) == function_of(mutant)
                        and tuple(line.strip() for line in e["plus"].splitlines()) == plus
                    ),
                    None,
                )
                if match is not None:
                    used.add(match)
                    counts["excluded"] += 1
                    excluded.append((mutant, exclusions[match]["reason"]))
                else:
                    counts[state] += 1
                    lost.append((mutant, state, diff))
        scored = counts["total"] - counts["excluded"]
        score = 100.0 * counts["killed"] / scored if scored else 100.0
        failed |= score < args.min
        rows.append((target, score, counts))
        print(f"\n== {target} ({', '.join(sources)})")
        for mutant, reason in excluded:
            print(f"   excluded {mutant}: {reason}")
        for mutant, state, diff in lost:
            print(f"   {state}: {mutant}")
            if not args.quiet:
                print("      " + "\n      ".join(diff.splitlines()[2:]))

    scored_functions = {
        str(meta.relative_to("mutants"))[: -len(".py.meta")].replace("/", ".")
        for files in targets.values()
        for g in files
        for meta in Path("mutants").glob(g + ".meta")
    }
    # An entry of a target not run this time is not stale.
    stale = [
        e
        for i, e in enumerate(exclusions)
        if i not in used and function_of(e["mutant"]).rsplit(".x", 1)[0] in scored_functions
    ]
    if stale:
        print("\nStale exclusions (no such mutant left alive; update exclusions.toml):")
        for entry in stale:
            print(f"   {entry['mutant']}: {entry['plus'].strip()}")

    print("\nkilled includes timeouts; not killed = survived + no tests")
    print("target     score    killed / (total - excluded)   timeouts  survived  no-tests")
    for target, score, c in rows:
        print(
            f"{target:<10} {score:5.1f} %  {c['killed']:>6} / ({c['total']:>4} - {c['excluded']:>3})"
            f"           {c['timeout']:>8}  {c['survived']:>8}  {c['no tests']:>8}"
        )
    if failed:
        print(f"\nA score is below {args.min:g} %.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
