"""Which split statements may share a round trip, and the batches they travel in.

The server must run exactly the statements the splitter produced, as the ``mariadb``
client does, never re-parse several of them as one. Consecutive statements whose grammar
cannot contain a ``;`` of their own (INSERT, UPDATE, DELETE, SELECT, SET, DROP,
CREATE/ALTER TABLE, CREATE INDEX ...: see :func:`batchable`) are sent in batches of up to
:data:`BATCH_STATEMENTS` in one ``COM_QUERY``. Everything else goes alone, exactly as split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from mysql_platform.db.sql_split import Statement

BATCH_STATEMENTS = 100
BATCH_BYTES = 256 * 1024  # far below max_allowed_packet (16 MiB on MariaDB 10.11, 64 MiB on MySQL 8)

# Statements whose grammar has no room for a ';' of their own outside strings and comments, so the
# server ends each exactly where the splitter did. Anything else can open a compound statement
# (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT, BEGIN NOT ATOMIC, IF, a label ...) or returns several
# results (CALL): it goes alone, so a body written without DELIMITER fails on its first piece
# instead of being re-joined into one valid block by the batch.
_BATCHABLE_RE = re.compile(
    r"""(?:
        (?:insert|replace|update|delete|select|truncate|rename|drop|grant|revoke)\b
      | set\s+(?!statement\b)
      | create\s+(?:or\s+replace\s+)?(?:temporary\s+)?table\b
      | create\s+(?:database|schema)\b
      | create\s+(?:or\s+replace\s+)?(?:unique\s+|fulltext\s+|spatial\s+)?index\b
      | alter\s+(?:online\s+)?(?:ignore\s+)?table\b
      | alter\s+(?:database|schema)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def batchable(statement: Statement) -> bool:
    """True if ``statement`` may share a round trip: the server cannot read past its end."""
    # Ordinary comments are gone after the split; a `/*` left is an executable comment or hint,
    # whose content the server parses as code (a `;` in it would end the statement there).
    return (
        statement.delimiter == ";"
        and "/*" not in statement.text
        and bool(_BATCHABLE_RE.match(statement.text))
    )


def batches(
    statements: Iterable[Statement], max_statements: int, max_bytes: int
) -> Iterator[list[Statement]]:
    """Group consecutive batchable statements; the others travel alone. Lazy: a batch is
    yielded as soon as it is complete, so a file is never held whole."""
    current: list[Statement] = []
    size = 0
    for statement in statements:
        if not batchable(statement) or max_statements <= 1:
            if current:
                yield current
                current, size = [], 0
            yield [statement]
            continue
        if current and (len(current) >= max_statements or size + len(statement.text) > max_bytes):
            yield current
            current, size = [], 0
        current.append(statement)
        size += len(statement.text) + 2
    if current:
        yield current
