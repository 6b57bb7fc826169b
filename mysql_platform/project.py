"""Where the project's files are: the one place that knows the checkout's layout.

``Pulumi.yaml``, the stack files, ``requirements.txt`` and ``sql/`` sit at the root of a
checkout, one level above this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

CHECKOUT_ROOT: Final = Path(__file__).resolve().parents[1]
