"""What bench/bench_dump.py prints about a dump and its rounds: the dump's shape, the medians,
the ratio runner/native and the fingerprint comparisons; one table row per dump size."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench import dump_corpus as corpus

if TYPE_CHECKING:
    from bench.bench_dump import Applied

MAX_SHOWN_DIFFERENCES = 6  # the first difference of each differing object, up to this many


@dataclass(frozen=True)
class Row:
    """One dump size: median wall seconds of each variant, the sorted per-round ratios."""

    size_mb: float
    runner_s: float | None
    native_s: float | None
    ratios: list[float]
    identical: int  # rounds whose runner database is the native one
    rounds: int


def describe_dump(path: Path) -> str:
    """Size, lines, INSERTs, DELIMITER lines, and the first line that is not UTF-8 (streaming)."""
    size = path.stat().st_size
    lines = inserts = delimiters = 0
    bad_lines = dollar_brace = 0
    first_bad: str | None = None
    offset = 0
    with open(path, "rb") as f:
        for line in f:
            lines += 1
            if line.startswith(b"INSERT INTO "):
                inserts += 1
            elif line.startswith(b"DELIMITER "):
                delimiters += 1
            if b"${" in line:
                dollar_brace += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_lines += 1
                if first_bad is None:
                    around = line[max(0, exc.start - 24) : exc.start + 8]
                    first_bad = f"line {lines}, byte {offset + exc.start}: ...{around!r}..."
            offset += len(line)
    utf8 = "valid UTF-8" if first_bad is None else f"NOT UTF-8 on {bad_lines} lines (first: {first_bad})"
    return (
        f"{size / 1e6:.1f} MB, {lines} lines, {inserts} extended INSERTs, "
        f"{delimiters} DELIMITER lines, {dollar_brace} lines with '${{'; {utf8}"
    )


def first_lines(text: str, n: int = 6) -> str:
    """The start of an error message, or the end of a traceback (where the exception is)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) <= n:
        return "\n".join(f"    {line[:400]}" for line in lines)
    if lines[0].startswith("Traceback"):
        return f"    ... ({len(lines) - n} lines)\n" + "\n".join(f"    {line[:400]}" for line in lines[-n:])
    return "\n".join(f"    {line[:400]}" for line in lines[:n]) + f"\n    ... ({len(lines) - n} more lines)"


def compare(label: str, a: Applied | dict[str, str], b: Applied, names: tuple[str, str]) -> bool:
    fa = a.fingerprint if not isinstance(a, dict) else a
    if corpus.first_difference(fa, b.fingerprint, names) is None:
        print(f"  {label}: identical ({len(fa)} objects)")
        return True
    keys = corpus.differing_keys(fa, b.fingerprint)
    print(f"  {label}: DIFFERENT in {len(keys)} of {len(fa)} objects: {', '.join(keys)}")
    for key in keys[:MAX_SHOWN_DIFFERENCES]:
        one = corpus.first_difference({key: fa.get(key, "")}, {key: b.fingerprint.get(key, "")}, names)
        print("    " + str(one).replace("\n", "\n    "))
    return False


def summarize(rounds: list[dict[str, Applied]], source: dict[str, str], repeat: int, size_mb: float) -> Row:
    """Print the medians, the ratio and the fingerprint comparisons of one dump; its table row."""
    print(f"\nmedian of {repeat} rounds (wall time of the process; peak RSS):")
    for v in ("runner", "native"):
        ok = [r[v] for r in rounds if r[v].ok]
        if not ok:
            print(f"  {v:<7} failed in every round")
            continue
        secs = statistics.median(a.seconds for a in ok)
        rss = statistics.median(a.peak_rss_kb for a in ok) / 1024
        print(f"  {v:<7} {secs:8.2f} s, peak RSS {rss:.0f} MB ({len(ok)}/{len(rounds)} ok)")
    both = [r for r in rounds if r["runner"].ok and r["native"].ok]
    ratios = sorted(r["runner"].seconds / r["native"].seconds for r in both)
    if ratios:
        print(f"  ratio runner/native (median of per-round ratios): {statistics.median(ratios):.2f}")
    else:
        print("  ratio runner/native: n/a (the runner did not apply the dump)")
    print("fingerprints:")
    natives = [r["native"] for r in rounds if r["native"].ok]
    identical = 0
    for i, r in enumerate(rounds):
        if r["runner"].ok and r["native"].ok:
            pair = ("native", "runner")
            identical += compare(f"round {i + 1} runner vs native", r["native"], r["runner"], pair)
    if len(natives) > 1:
        same = all(n.fingerprint == natives[0].fingerprint for n in natives[1:])
        print(f"  native rounds among themselves: {'identical' if same else 'DIFFERENT'}")
    if natives:
        compare("source (populated) vs native restore", source, natives[0], ("source", "native"))
    runners = [r["runner"] for r in rounds if r["runner"].ok]
    if runners:
        compare("source (populated) vs runner restore", source, runners[0], ("source", "runner"))
    return Row(
        size_mb,
        _median([r["runner"] for r in rounds if r["runner"].ok]),
        _median([r["native"] for r in rounds if r["native"].ok]),
        ratios,
        identical,
        len(rounds),
    )


def _median(applied: list[Applied]) -> float | None:
    return statistics.median(a.seconds for a in applied) if applied else None


def print_table(rows: list[Row]) -> None:
    """One line per dump size: the medians, the ratio (median and range), identical rounds."""
    print("\nper dump size (wall time of the process, median of the rounds; ratio: per-round runner/native):")
    print(
        f"  {'dump MB':>8} {'runner s':>9} {'native s':>9} {'ratio':>6} {'ratio range':>12} {'identical':>10}"
    )
    for r in rows:
        runner = f"{r.runner_s:.3f}" if r.runner_s is not None else "failed"
        native = f"{r.native_s:.3f}" if r.native_s is not None else "failed"
        ratio = f"{statistics.median(r.ratios):.2f}" if r.ratios else "-"
        spread = f"{r.ratios[0]:.2f}-{r.ratios[-1]:.2f}" if r.ratios else "-"
        same = f"{r.identical}/{r.rounds}"
        print(f"  {r.size_mb:>8.2f} {runner:>9} {native:>9} {ratio:>6} {spread:>12} {same:>10}")
