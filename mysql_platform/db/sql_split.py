"""Split a SQL script into statements, the way the ``mariadb``/``mysql`` client does.

mysql-connector-python 9.2 removed ``execute(..., multi=True)``, so migrations are
split here, and the server runs exactly these statements, as with the client: the
runner batches only statements that cannot swallow the next one and sends the rest
alone (:func:`mysql_platform.db.migrations.batchable`), so a compound statement written without
DELIMITER fails as it does in the client, and an error names the exact statement and
line. Handled:

- ``DELIMITER <token>`` lines (procedures, triggers), recognised at the start of a
  line between statements, as the client does;
- ``'..'``, ``".."`` and backquoted strings, with backslash and doubled-quote
  escapes (backquotes only know the doubled form), so a delimiter inside them is text;
- ``-- `` (dash dash + whitespace), ``#`` and ``/* */`` comments, which are dropped;
- executable comments ``/*! .. */`` and ``/*M! .. */`` are code to the client: its markers
  are kept, and inside them strings are strings (a ``*/`` in one does not end the comment),
  comments are dropped and the delimiter ends the statement, as in the client (which
  ``mysqldump`` relies on for the trigger bodies it wraps in them);
- optimizer hints ``/*+ .. */`` are kept verbatim;
- a last statement without a delimiter.

Not handled (documented limits): the ``NO_BACKSLASH_ESCAPES`` SQL mode and client
commands other than ``DELIMITER`` (``\\g``, ``source`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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
# The rest of a quoted string after its opening quote (loops unrolled: runs of plain characters
# are consumed at once, which matters for the megabytes of string data in a dump).
# Possessive (*+, ++): nothing here ever needs to backtrack, and without it the engine keeps
# backtracking state for every repetition: twice the time, and memory in step with the text.
_SQ_BODY = r"[^'\\]*+(?:(?:\\[\s\S]|'')[^'\\]*+)*+'"
_DQ_BODY = r'[^"\\]*+(?:(?:\\[\s\S]|"")[^"\\]*+)*+"'
_BQ_BODY = r"[^`]*+(?:``[^`]*+)*+`"
_STRING_END = {"'": re.compile(_SQ_BODY), '"': re.compile(_DQ_BODY), "`": re.compile(_BQ_BODY)}
# A string or a backquoted identifier, whole (no capturing group).
QUOTED_PATTERN = f"'{_SQ_BODY}|\"{_DQ_BODY}|`{_BQ_BODY}"
# Inside a statement's code runs: strings hold any bytes, identifiers and bare code none that are
# undecodable (a run stops before one, and the step-by-step path reports it with its line).
_CLEAN_BQ = "`[^`\udc80-\udcff]*+(?:``[^`\udc80-\udcff]*+)*+`"
_LINE_END = re.compile(r"[^\n]*")
_COMMENT_END = re.compile(r".*?\*/", re.DOTALL)
_EXECUTABLE_COMMENT_RE = re.compile(r"/\*M?!")
_HINT_PREFIX = "/*+"


@lru_cache(maxsize=16)
def _special_re(delimiter: str) -> re.Pattern[str]:
    # `--` opens a comment only when followed by whitespace (or the end): `1--1` is arithmetic.
    return re.compile(r"""['"`\n#]|--(?=\s|\Z)|/\*|""" + re.escape(delimiter))


@lru_cache(maxsize=16)
def _run_re(delimiter: str) -> re.Pattern[str]:
    """Inside a statement: the longest stretch of plain code, whole quoted strings and line ends,
    up to the next comment or delimiter (which :func:`_special_re` then finds).

    One match consumes what would otherwise be a Python step per string literal.
    """
    # What each character that can start something special must not be followed by.
    guards = {"-": ["-(?:\\s|\\Z)"], "/": ["\\*"]}
    first, rest = delimiter[0], delimiter[1:]
    if rest:
        guards.setdefault(first, []).append(re.escape(rest))
    plain = "[^'\"`#\udc80-\udcff" + re.escape("".join(sorted({"-", "/", first}))) + "]++"
    guarded = [f"{re.escape(c)}(?!{'|'.join(g)})" for c, g in guards.items() if not (c == first and not rest)]
    quoted = f"'{_SQ_BODY}|\"{_DQ_BODY}|{_CLEAN_BQ}"
    return re.compile("(?:" + "|".join([plain, quoted, *guarded]) + ")*+")


# Bytes that are not UTF-8 are read as lone surrogates (the "surrogateescape" error handler), so a
# statement encodes back to exactly the bytes of the file (see :func:`encoded`).
_UNDECODED_RE = re.compile("[\udc80-\udcff]")
_UNDECODED_MESSAGE = (
    "bytes that are not UTF-8 outside a string literal (only string literals may hold binary data)"
)


def encoded(text: str) -> bytes:
    """A statement's bytes as the file holds them (undecodable bytes included, as read)."""
    return text.encode("utf-8", "surrogateescape")


def printable(text: str) -> str:
    """``text`` for a message or a terminal: bytes that are not UTF-8 become U+FFFD."""
    return encoded(text).decode("utf-8", "replace")


class _Splitter:
    """Splits a stream of text chunks; each chunk but the last must end with a newline.

    Only the current chunk and the statement being built are held, so memory follows the
    longest statement, not the script. A string or comment that spans chunks pulls in the next.
    """

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks
        self.text = ""
        self.pos = 0
        self.window_line = 1  # line number of self.text[0]
        self.delimiter = ";"
        self.buf: list[str] = []
        self.start_line: int | None = None  # line of the current statement's first significant char
        # A dropped /* comment separates tokens: the next character that is not whitespace gets a
        # space before it, as the mariadb client does (`a/**/b` is `a b`, `a /**/ b` stays `a  b`).
        self.need_space = False
        self._line_at = (0, 1)  # (offset, line) cache so line numbers cost O(n) overall

    def more(self) -> bool:
        """Append the next chunk, dropping what was consumed; False at the end of the input."""
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        self.window_line += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        self._line_at = (0, self.window_line)
        return True

    def line_of(self, offset: int) -> int:
        base, line = self._line_at
        if offset < base:
            base, line = 0, self.window_line
        line += self.text.count("\n", base, offset)
        self._line_at = (offset, line)
        return line

    def run(self) -> Iterator[Statement]:
        self.more()
        self.try_delimiter()
        while True:
            if self.pos >= len(self.text):
                if not self.more():
                    break
                self.try_delimiter()
                continue
            if self.start_line is not None:  # inside a statement: take what needs no decision at once
                run = _run_re(self.delimiter).match(self.text, self.pos)
                assert run is not None  # a starred group matches, if only the empty string
                end = run.end()
                if end > self.pos:
                    self.add_run(self.text[self.pos : end])
                    self.pos = end
                    continue
            match = _special_re(self.delimiter).search(self.text, self.pos)
            if match is None:
                self.add_text(self.text[self.pos :], self.pos)
                self.pos = len(self.text)
                continue
            self.add_text(self.text[self.pos : match.start()], self.pos)
            self.pos = match.start()
            done = self.handle(match.group())
            if done is not None:
                yield done
        last = self.flush()
        if last is not None:
            yield last

    def add_text(self, chunk: str, offset: int, *, code: bool = True) -> None:
        if not chunk:
            return
        if self.start_line is None:
            stripped = chunk.lstrip()
            if not stripped:
                return  # whitespace between statements
            offset += len(chunk) - len(stripped)
            chunk = stripped
            self.start_line = self.line_of(offset)
        if code and _UNDECODED_RE.search(chunk):
            column = _UNDECODED_RE.search(chunk)
            assert column is not None
            raise SplitError(_UNDECODED_MESSAGE, self.line_of(offset + column.start()))
        if self.need_space:
            self.need_space = False
            if not chunk[0].isspace():
                self.buf.append(" ")
        self.buf.append(chunk)

    def add_run(self, run: str) -> None:
        """Code, whole literals and line ends inside a statement (see :func:`_run_re`)."""
        if self.need_space:
            self.need_space = False
            if not run[0].isspace():
                self.buf.append(" ")
        self.buf.append(run)

    def handle(self, lexeme: str) -> Statement | None:
        if lexeme == "\n":
            self.pos += 1
            if self.start_line is not None:
                self.need_space = False
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
            return self.flush()
        return None

    def _closing(self, pattern: re.Pattern[str], skip: int, what: str) -> int:
        """End offset of the string or comment opening at ``self.pos``, reading chunks as needed."""
        while True:
            match = pattern.match(self.text, self.pos + skip)
            if match is not None:
                return match.end()
            begin = self.line_of(self.pos)
            if not self.more():
                raise SplitError(what, begin)

    def string(self, quote: str) -> None:
        end = self._closing(_STRING_END[quote], 1, f"unterminated string starting with {quote}")
        self.add_text(self.text[self.pos : end], self.pos, code=quote == "`")
        self.pos = end

    def block_comment(self) -> None:
        opener = _EXECUTABLE_COMMENT_RE.match(self.text, self.pos)
        if opener is not None:  # its markers and content are code; its `*/` is code too
            self.add_text(opener.group(), self.pos)
            self.pos = opener.end()
            return
        end = self._closing(_COMMENT_END, 2, "unterminated /* comment")
        begin, self.pos = self.pos, end
        if self.text.startswith(_HINT_PREFIX, begin):
            self.add_text(self.text[begin:end], begin)
        elif self.start_line is not None:
            self.need_space = True

    def try_delimiter(self) -> None:
        """At a line start between statements, consume a DELIMITER directive if there is one."""
        if self.start_line is not None:
            return
        if self.pos >= len(self.text) and not self.more():
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

    def flush(self) -> Statement | None:
        done = None
        if self.start_line is not None:
            text = "".join(self.buf).strip()
            if text:
                done = Statement(text, self.start_line, self.delimiter)
        self.buf = []
        self.start_line = None
        self.need_space = False
        return done


def split_sql(text: str) -> list[Statement]:
    """Split ``text`` into statements with their starting line numbers.

    Empty statements (``;;``, comment-only scripts) are dropped. Raises
    :class:`SplitError` naming the line of an unterminated string or comment.
    """
    return list(iter_statements([text]))


def iter_statements(chunks: Iterable[str], *, crlf: bool = True) -> Iterator[Statement]:
    """The statements of a script given as chunks of text, as each is complete.

    Every chunk but the last must end with a newline (so no token is cut in two); a CRLF line
    end counts as LF (``crlf=False``: the chunks have none). Raises :class:`SplitError` when it
    reaches a malformed part.
    """
    if crlf:
        chunks = (chunk.replace("\r\n", "\n") for chunk in chunks)
    return _Splitter(iter(chunks)).run()
