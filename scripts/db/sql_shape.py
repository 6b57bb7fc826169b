"""A statement's shape: its text with the layout ignored, to tell a reformatted file from an edit.

Two files have the same shape when they split into the same statements once comments are
dropped (the splitter does that) and every run of whitespace outside string literals and
quoted identifiers counts as one space. Whitespace inside a literal is data and counts as
written. The history keeps each applied file's shape, so ``repair`` can re-align the checksum
of a file that was only re-indented or re-commented, and refuse one whose statements changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from scripts.db.sql_split import Statement, encoded

# A quoted literal or identifier (kept as written), or a run of whitespace (one space).
_TOKEN_RE = re.compile(r"""('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`)|\s+""", re.DOTALL)


def _keep_or_space(match: re.Match[str]) -> str:
    return match.group(1) or " "


def normalized(text: str) -> str:
    """``text`` with each whitespace run outside quotes as one space."""
    return _TOKEN_RE.sub(_keep_or_space, text)


class ShapeHash:
    """sha256 over the normalized statements, fed as they stream past."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, statement: Statement) -> None:
        self._digest.update(encoded(normalized(statement.text)))
        self._digest.update(b"\0" + statement.delimiter.encode() + b"\0")

    def track(self, statements: Iterable[Statement]) -> Iterator[Statement]:
        for statement in statements:
            self.add(statement)
            yield statement

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def shape(statements: Iterable[Statement]) -> str:
    """The shape checksum of a whole file's statements."""
    digest = ShapeHash()
    for statement in statements:
        digest.add(statement)
    return digest.hexdigest()
