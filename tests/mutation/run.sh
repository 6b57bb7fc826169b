#!/usr/bin/env bash
# Mutation testing of the pure modules (splitter, settings, HAProxy renderer, outputs parser and
# contract, the router's statement classifier, the plan's replace prediction) with mutmut; prints
# each target's score, killed / (total - excluded), and exits 1 when one is below
# MUTATION_MIN_SCORE (default 90). .ci/run runs it (make mutation) after make test.
#
#   make mutation                       # installs requirements-mutation.txt, then runs this
#   bash tests/mutation/run.sh          # from anywhere; uses mutmut from PATH or .venv/bin
#   bash tests/mutation/run.sh --keep   # keep the scratch copy (mutants/, for `mutmut show NAME`)
#
# mutmut reads its configuration only from the working directory's pyproject.toml or setup.cfg
# and writes its mutated copy to ./mutants/. So that neither touches the tree, the run happens
# in a scratch copy of the sources and tests (in $TMPDIR), with tests/mutation/setup.cfg as
# its setup.cfg, and the copy is deleted at the end unless --keep. Environment:
#   MUTATION_MIN_SCORE  lowest acceptable score in %   (default 90)
#   MUTATION_JOBS       parallel mutant workers         (default: the number of CPUs)
#   MUTATION_TARGETS    only these targets, e.g. "router predict" (default: all; score.py's list)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
keep=0
for arg in "$@"; do
    case "$arg" in
        --keep) keep=1 ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

mutmut="$(command -v mutmut || true)"
python="$(command -v python || true)"
if [ -x "$root/.venv/bin/mutmut" ]; then mutmut="$root/.venv/bin/mutmut"; python="$root/.venv/bin/python"; fi
if [ -z "$mutmut" ] || [ -z "$python" ]; then
    echo "run.sh: mutmut not found; run 'make mutation' (installs requirements-mutation.txt)" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mysql-platform-mutation.XXXXXX")"
cleanup() {
    if [ "$keep" = 1 ]; then echo "scratch copy kept: $work (cd there; mutmut show NAME | mutmut browse)"
    else rm -rf "$work"; fi
}
trap cleanup EXIT

# What the tests import and read: the packages, the tests, the project and stack files, the SQL.
(cd "$root" && tar -cf - --exclude=__pycache__ --exclude='*.pyc' --exclude=.pytest_cache \
    mysql_platform tests sql pyproject.toml Pulumi.yaml Pulumi.*.yaml) \
    | (cd "$work" && tar -xf -)
cp "$here/setup.cfg" "$work/setup.cfg"
cd "$work"
targets="${MUTATION_TARGETS:-}"
if [ -n "$targets" ]; then
    # Mutate only those targets' files: score.py's list of them replaces setup.cfg's only_mutate.
    globs="$("$python" "$here/score.py" --targets "$targets" --only-mutate)" || exit 2
    GLOBS="$globs" "$python" - <<'EOF'
import os, re
path = "setup.cfg"
lines = "".join(f"    {g}\n" for g in os.environ["GLOBS"].splitlines())
text = re.sub(r"(?m)^only_mutate =\n(?:    .*\n)+", "only_mutate =\n" + lines, open(path).read())
open(path, "w").write(text)
EOF
fi
"$python" - <<'EOF'
import sys, tomllib
if "mutmut" in tomllib.load(open("pyproject.toml", "rb")).get("tool", {}):
    sys.exit("run.sh: pyproject.toml has a [tool.mutmut] section, which mutmut would read instead of "
             "tests/mutation/setup.cfg; move its settings there")
EOF

start=$SECONDS
echo "mutmut $("$python" -c 'import importlib.metadata as m; print(m.version("mutmut"))') in $work"
# The progress line is redrawn in place: keep the log, show its end.
if ! "$mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" >"$work/mutmut-run.log" 2>&1; then
    tail -c 2000 "$work/mutmut-run.log" >&2
    echo "run.sh: mutmut run failed (log above)" >&2
    exit 2
fi
tail -c 200 "$work/mutmut-run.log" | tr '\r' '\n' | tail -n 2
# CPU time (user, system) of everything the script waited for, mutmut's workers included: the
# run's cost apart from what else the machine was doing.
echo "mutmut run took $((SECONDS - start)) s; CPU user and system: $(times | tail -n 1)"

"$python" "$here/score.py" --min "${MUTATION_MIN_SCORE:-90}" --targets "$targets"
