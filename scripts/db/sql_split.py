"""Split a SQL script into statements, the way the ``mariadb``/``mysql`` client does.

mysql-connector-python 9.2 removed ``execute(..., multi=True)``, so migrations are
split here, and the server runs exactly these statements, as with the client: the
runner batches only statements that cannot swallow the next one and sends the rest
alone (:func:`scripts.db.migrations.batchable`), so a compound statement written without
DELIMITER fails as it does in the client, and an error names the exact statement and
line. Handled:

- ``DELIMITER <token>`` lines (procedures, triggers), recognised at the start of a
  line between statements, as the client does;
- ``'..'``, ``".."`` and backquoted strings, with backslash and doubled-quote
  escapes (backquotes only know the doubled form), so a delimiter inside them is text;
- ``-- `` (dash dash + whitespace), ``#`` and ``/* */`` comments, which are dropped;
- executable comments ``/*! .. */``, ``/*M! .. */`` and optimizer hints ``/*+ .. */``,
  which are kept verbatim because the server acts on them;
- a last statement without a delimiter.

Not handled (documented limits): the ``NO_BACKSLASH_ESCAPES`` SQL mode and client
commands other than ``DELIMITER`` (``\\g``, ``source`` ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Statement:
    """One statement: its text without delimiter or ordinary comments, and where it starts."""

    text: str
    line: int  # 1-based line of the statement's first significant character
    # The delimiter in force: anything but ";" means a DELIMITER block (a compound statement).
    delimiter: str = field(default=";", compare=False)


class SplitError(ValueError):
    """The script cannot be split (unterminated string/comment, bad DELIMITER)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


# A DELIMITER directive occupies a whole line: keyword, one token, nothing else.
_DELIMITER_RE = re.compile(r"[ \t]*delimiter[ \t]+(\S*)([^\n]*)(?:\n|\Z)", re.IGNORECASE)
_STRING_END = {
    "'": re.compile(r"(?:[^'\\]|\\.|'')*'", re.DOTALL),
    '"': re.compile(r'(?:[^"\\]|\\.|"")*"', re.DOTALL),
    "`": re.compile(r"(?:[^`]|``)*`", re.DOTALL),
}
_LINE_END = re.compile(r"[^\n]*")
_COMMENT_END = re.compile(r".*?\*/", re.DOTALL)
_KEPT_COMMENT_PREFIXES = ("/*!", "/*M!", "/*+")


@lru_cache(maxsize=16)
def _special_re(delimiter: str) -> re.Pattern[str]:
    # `--` opens a comment only when followed by whitespace (or the end): `1--1` is arithmetic.
    return re.compile(r"""['"`\n#]|--(?=\s|\Z)|/\*|""" + re.escape(delimiter))


class _Splitter:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.delimiter = ";"
        self.buf: list[str] = []
        self.start: int | None = None  # offset of the current statement's first significant char
        self.out: list[Statement] = []
        self._line_at = (0, 1)  # (offset, line) cache so line numbers cost O(n) overall

    def line_of(self, offset: int) -> int:
        base, line = self._line_at
        if offset < base:
            base, line = 0, 1
        line += self.text.count("\n", base, offset)
        self._line_at = (offset, line)
        return line

    def run(self) -> list[Statement]:
        self.try_delimiter()
        while self.pos < len(self.text):
            match = _special_re(self.delimiter).search(self.text, self.pos)
            if match is None:
                self.add_text(self.text[self.pos :], self.pos)
                self.pos = len(self.text)
                break
            self.add_text(self.text[self.pos : match.start()], self.pos)
            self.pos = match.start()
            self.handle(match.group())
        self.flush()
        return self.out

    def add_text(self, chunk: str, offset: int) -> None:
        if not chunk:
            return
        if self.start is None:
            stripped = chunk.lstrip()
            if not stripped:
                return  # whitespace between statements
            offset += len(chunk) - len(stripped)
            chunk = stripped
            self.start = offset
        self.buf.append(chunk)

    def handle(self, lexeme: str) -> None:
        if lexeme == "\n":
            self.pos += 1
            if self.start is not None:
                self.buf.append("\n")
            self.try_delimiter()
        elif lexeme in _STRING_END:
            self.string(lexeme)
        elif lexeme in ("#", "--"):
            end = _LINE_END.match(self.text, self.pos)
            self.pos = end.end() if end else len(self.text)
        elif lexeme == "/*":
            self.block_comment()
        else:  # the delimiter
            self.pos += len(lexeme)
            self.flush()

    def string(self, quote: str) -> None:
        begin = self.pos
        match = _STRING_END[quote].match(self.text, begin + 1)
        if match is None:
            raise SplitError(f"unterminated string starting with {quote}", self.line_of(begin))
        self.add_text(self.text[begin : match.end()], begin)
        self.pos = match.end()

    def block_comment(self) -> None:
        begin = self.pos
        match = _COMMENT_END.match(self.text, begin + 2)
        if match is None:
            raise SplitError("unterminated /* comment", self.line_of(begin))
        self.pos = match.end()
        if self.text.startswith(_KEPT_COMMENT_PREFIXES, begin):
            self.add_text(self.text[begin : self.pos], begin)
        elif self.start is not None:
            self.buf.append(" ")  # keep `a/**/b` two tokens

    def try_delimiter(self) -> None:
        """At a line start between statements, consume a DELIMITER directive if there is one."""
        if self.start is not None:
            return
        match = _DELIMITER_RE.match(self.text, self.pos)
        if match is None:
            return
        token, rest = match.group(1), match.group(2).strip()
        line = self.line_of(self.pos)
        if not token or rest:
            raise SplitError(f"DELIMITER takes exactly one token, got {match.group().strip()!r}", line)
        if "\\" in token:
            raise SplitError(f"DELIMITER token may not contain a backslash, got {token!r}", line)
        self.delimiter = token
        self.pos = match.end()
        self.try_delimiter()

    def flush(self) -> None:
        if self.start is not None:
            text = "".join(self.buf).strip()
            if text:
                self.out.append(Statement(text, self.line_of(self.start), self.delimiter))
        self.buf = []
        self.start = None


def split_sql(text: str) -> list[Statement]:
    """Split ``text`` into statements with their starting line numbers.

    Empty statements (``;;``, comment-only scripts) are dropped. Raises
    :class:`SplitError` naming the line of an unterminated string or comment.
    """
    return _Splitter(text.replace("\r\n", "\n")).run()
