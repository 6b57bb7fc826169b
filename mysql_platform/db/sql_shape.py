"""A statement's shape: its text with the layout ignored, to tell a reformatted file from an edit.

Two files have the same shape when they split into the same statements once comments are
dropped (the splitter does that) and every run of whitespace outside string literals and
quoted identifiers counts as one space. Whitespace inside a literal is data and counts as
written. The history keeps each applied file's shape, so ``repair`` can re-align the checksum
of a file that was only re-indented or re-commented, and refuse one whose statements changed.

Computed without a Python step per literal (a dump has millions): the statement's skeleton
(every quoted part replaced by a marker, whitespace runs by one space) and then its quoted
parts, in order, are hashed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from mysql_platform.db.sql_split import QUOTED_PATTERN, Statement, encoded

_QUOTED_RE = re.compile(QUOTED_PATTERN)
_SPACE_RE = re.compile(r"\s+")


class ShapeHash:
    """sha256 over the statements' shapes, fed as they stream past."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, statement: Statement) -> None:
        text = statement.text
        skeleton = _SPACE_RE.sub(" ", _QUOTED_RE.sub("\0", text))
        literals = _QUOTED_RE.findall(text)
        self._digest.update(encoded(skeleton) + b"\1" + statement.delimiter.encode() + b"\1")
        self._digest.update(encoded("\0".join(literals)) + b"\2")

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
