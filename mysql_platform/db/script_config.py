"""Per-file settings beside a migration, as Flyway's script configuration files have them.

``V001__dump.sql.conf`` next to ``V001__dump.sql`` holds ``key=value`` lines (``#`` starts a
comment); Flyway's names and meanings:

- ``placeholderReplacement=false``: the file is applied as written, with no ``${...}``
  substitution. For dumps: their data may hold ``${`` (text, or BLOB bytes), which is not a
  placeholder.
- ``executeInTransaction=false``: each statement commits on its own, as with the ``mariadb``
  client, instead of the whole file committing once with its history row. For large dumps,
  whose one transaction would otherwise hold every row in the undo log and the binlog cache.
  A failure part-way then leaves the statements before it applied (and no history row), so
  the file must converge when rerun: a dump's ``DROP TABLE IF EXISTS`` before each table does.
  Such a file is also not read through before its first statement runs (the client does not
  do that either): a malformed line stops it where it is.

Unknown keys and values are errors that name the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".conf"
_BOOLEANS = {"true": True, "false": False}


class ScriptConfigError(ValueError):
    """A script configuration file is malformed."""


@dataclass(frozen=True)
class ScriptConfig:
    placeholder_replacement: bool = True
    execute_in_transaction: bool = True


_KEYS = {
    "placeholderReplacement": "placeholder_replacement",
    "executeInTransaction": "execute_in_transaction",
}


def path_for(script: Path) -> Path:
    return script.with_name(script.name + SUFFIX)


def load(script: Path) -> ScriptConfig:
    """The settings for ``script`` (the defaults when it has no ``.conf`` file)."""
    path = path_for(script)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ScriptConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptConfigError(f"script configuration '{path}': cannot read: {exc}") from None
    values: dict[str, bool] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if not sep or key not in _KEYS or value.lower() not in _BOOLEANS:
            raise ScriptConfigError(
                f"script configuration '{path}': line {number}: expected one of "
                f"{', '.join(f'{k}=true|false' for k in _KEYS)}, got {line!r}"
            )
        values[_KEYS[key]] = _BOOLEANS[value.lower()]
    return ScriptConfig(**values)
