"""How many examples the property tests draw: the quick loop draws a tenth of what CI draws.

``HYPOTHESIS_PROFILE`` picks the profile: ``unit`` (the default, for ``pytest tests/unit`` and
``make unit``) or ``ci`` (``make test``, which ``.ci/run`` calls, sets it). A property asks for
its CI count through :func:`example_count`; the unit profile scales that count down.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
# Hypothesis's own default count, which the counts the properties ask for are relative to.
CI_EXAMPLES = 100
PROFILES = {"ci": CI_EXAMPLES, "unit": CI_EXAMPLES // 10}
DEFAULT_PROFILE = "unit"


class ProfileError(ValueError):
    """HYPOTHESIS_PROFILE names no profile."""


def load_profile() -> str:
    """Register both profiles and load the one ``HYPOTHESIS_PROFILE`` names; return its name."""
    for name, count in PROFILES.items():
        settings.register_profile(name, max_examples=count)
    name = os.environ.get(PROFILE_VARIABLE) or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ProfileError(
            f"{PROFILE_VARIABLE}={name!r} is not a profile of these tests; "
            f"expected one of {', '.join(sorted(PROFILES))} (unset: {DEFAULT_PROFILE})"
        )
    settings.load_profile(name)
    return name


def example_count(ci_count: int) -> int:
    """``ci_count`` under the ci profile, the same share of it under the loaded profile (at least 1)."""
    return max(1, ci_count * settings.default.max_examples // CI_EXAMPLES)
