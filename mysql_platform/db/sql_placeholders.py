"""Flyway-style placeholders in migrations: ``${name}`` stands for a value chosen per environment.

Two placeholders are defined:

- ``${database}``, by the bootstrap: the application schema (the outputs' ``db.database``,
  which RDS creates from the stack's ``dbName``), so the same migrations build ``app`` in
  one environment and ``shop`` in another;
- ``${ops_schema}``, by the migration runner itself (:mod:`mysql_platform.db.migrations`): the schema
  its history table is in (``--ops-schema``, default ``ops``), which also holds what the
  operational scripts use (the replication check's heartbeat). The caller cannot set it,
  so the history and the heartbeat can never end up in different schemas.

Rules:

- substitution is textual and happens everywhere in the file, as Flyway does:
  in code, inside string literals and inside comments alike (comments are dropped
  by the splitter afterwards, but a placeholder in them must still be valid);
- every ``${`` in a migration is either a placeholder ``${name}`` with a defined
  value, or the escape ``${{``, which stands for a literal ``${`` (so ``${{database}``
  is the text ``${database}``). Anything else (an undefined name, ``${ database }``,
  a lone ``${``) is an error that names the line, so a typo never reaches the server;
- values must be plain identifiers (a letter, then letters, digits or ``_``, at most
  64 characters: the stack's ``dbName`` rule), so a value can neither inject SQL nor
  change how the file is split into statements, and line numbers stay those of the file;
- checksums are computed on the file as written, before substitution, so a different
  value in another environment is not an "edited migration".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

# The stack's dbName rule: a value is pasted unquoted into SQL (`CREATE DATABASE ${database}`),
# so it must be an identifier that needs no quoting, and not a number (`123.t` is a decimal).
VALUE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ESCAPE = "${{"
# `${{` (escape), `${name}`, or a `${` that is neither: "bad" keeps what follows for the message.
_TOKEN_RE = re.compile(r"\$\{(?:(?P<escape>\{)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bad>[^\n]{0,30}))")


class PlaceholderError(ValueError):
    """A placeholder in a script is unknown or malformed, or a value is not a safe identifier."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line


def validate_values(values: Mapping[str, str]) -> None:
    """Every name is a placeholder name and every value a plain identifier."""
    for name, value in values.items():
        if not NAME_RE.fullmatch(name):
            raise PlaceholderError(f"placeholder name must match {NAME_RE.pattern}, got {name!r}")
        if not VALUE_RE.fullmatch(value):
            raise PlaceholderError(
                f"value of placeholder ${{{name}}} must be 1-64 letters, digits or _ starting with a "
                f"letter ({VALUE_RE.pattern}), got {value!r}"
            )


def _defined(values: Mapping[str, str]) -> str:
    return ", ".join(f"${{{n}}}" for n in sorted(values)) or "none"


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every ``${name}`` replaced by ``values[name]`` and every ``${{`` by ``${``.

    Raises :class:`PlaceholderError` naming the 1-based line of the first unknown or
    malformed placeholder; no text is returned unless every placeholder in it is valid.
    """
    validate_values(values)
    if "${" not in text:
        return text  # the common case costs one scan

    def replace(match: re.Match[str]) -> str:
        if match["escape"] is not None:
            return "${"
        name = match["name"]
        if name is not None and name in values:
            return values[name]
        line = text.count("\n", 0, match.start()) + 1
        if name is not None:
            raise PlaceholderError(
                f"unknown placeholder ${{{name}}} (defined: {_defined(values)}; "
                f"write {ESCAPE} for a literal ${{)",
                line,
            )
        raise PlaceholderError(
            f"malformed placeholder {match.group()!r}: expected ${{name}} with letters, digits "
            f"or _ (defined: {_defined(values)}), or {ESCAPE} for a literal ${{",
            line,
        )

    return _TOKEN_RE.sub(replace, text)


def substitute_chunks(chunks: Iterable[str], values: Mapping[str, str]) -> Iterator[str]:
    """:func:`substitute` over a script read in chunks that end at line ends.

    A placeholder never spans a line, so each chunk is substituted alone; an error names the
    line in the whole script.
    """
    line = 1
    for chunk in chunks:
        try:
            yield substitute(chunk, values)
        except PlaceholderError as exc:
            raise PlaceholderError(exc.message, line + (exc.line or 1) - 1) from None
        line += chunk.count("\n")
