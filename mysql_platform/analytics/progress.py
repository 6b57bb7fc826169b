"""Progress as the task reports it: a bar redrawn in place on a terminal, plain lines otherwise
(one per change, so a log or CI output is not flooded)."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._last: tuple[str, int | None, str] | None = None
        self._open_line = False

    def update(self, label: str, percent: int | None, detail: str = "") -> None:
        state = (label, percent, detail)
        if state == self._last:
            return
        self._last = state
        done = "" if percent is None else f" {percent:3d}%"
        if self.tty:
            filled = 0 if percent is None else BAR_WIDTH * max(0, min(percent, 100)) // 100
            bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"
            self.stream.write(f"\r\x1b[2K{bar}{done} {label} {detail}".rstrip())
            self._open_line = True
        else:
            self.stream.write(f"{label}:{done} {detail}".rstrip() + "\n")
        self.stream.flush()

    def finish(self, message: str) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        self.stream.write(message + "\n")
        self.stream.flush()
        self._last = None
