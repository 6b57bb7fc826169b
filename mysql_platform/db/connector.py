"""mysql-connector-python, imported without its OpenTelemetry instrumentation.

The connector decides once, when ``mysql.connector.opentelemetry.constants`` is first
imported, whether to trace: ``OTEL_ENABLED`` is true when ``import opentelemetry.trace``,
``opentelemetry.sdk.trace`` and ``opentelemetry.semconv.trace`` succeed. It has no option or
environment variable for this. Pulumi depends on OpenTelemetry, so in this project's
environment those imports succeed and every command that connects paid for loading the SDK
(about a third of ``import mysql.connector``, 60-180 ms here) for tracing nothing uses.

:func:`import_connector` imports the connector while ``sys.modules["opentelemetry"]`` is
``None``, which the import system documents as "the import raises ModuleNotFoundError" (the
Python Language Reference, 5.3.1 "The module cache"); the connector then takes its own
"not installed" branch. The ``None`` entry is removed right after, so anything imported
later (Pulumi, the ``stack`` commands) loads OpenTelemetry as usual. Effect in this process:
the connector's ``MySQLInstrumentor`` and ``otel_context_propagation`` do nothing, which is
what happens wherever OpenTelemetry is not installed. A process that imported OpenTelemetry
first, or sets ``MYSQL_PLATFORM_CONNECTOR_OTEL=1``, gets the connector's default behaviour.

Every module of the project that imports ``mysql.connector`` lives in :mod:`mysql_platform.db`, whose
``__init__`` imports this module first.
"""

from __future__ import annotations

import os
import sys
from typing import Final

BLOCKED: Final = "opentelemetry"
OPT_IN_ENV: Final = "MYSQL_PLATFORM_CONNECTOR_OTEL"


def import_connector() -> bool:
    """Import ``mysql.connector`` (once) without OpenTelemetry; True when it was kept out."""
    if "mysql.connector" in sys.modules or BLOCKED in sys.modules or os.environ.get(OPT_IN_ENV) == "1":
        import mysql.connector  # already decided, or tracing asked for

        return False
    sys.modules[BLOCKED] = None  # type: ignore[assignment]  # documented: import raises
    try:
        import mysql.connector  # noqa: F401
    finally:
        if sys.modules.get(BLOCKED, BLOCKED) is None:
            del sys.modules[BLOCKED]
    return True


import_connector()
