"""The settings through their public API, from plain Python values: the test_mut_settings* helpers.

Uses only ``mysql_platform.components.settings.parse_settings``, ``ConfigError`` and ``Settings``, so it holds
however the rules are split across ``components`` modules. Pure: no Pulumi runtime.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mysql_platform.components.settings import ConfigError, Settings, parse_settings

EXTENDED = {"dbEngineLifecycleSupport": "open-source-rds-extended-support"}


def _raw(values: dict[str, Any]) -> dict[str, str]:
    """Pulumi's string form: strings as they are, everything else as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def settings(stack: str = "dev", **values: Any) -> Settings:
    return parse_settings(stack, _raw(values).get)


def problems(stack: str = "dev", **values: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        settings(stack, **values)
    return info.value.problems


def attribute(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
