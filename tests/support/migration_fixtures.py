"""The migrations the tests apply: a copy of the project's shipped ``sql/`` files, kept here.

Tests never read the checkout's ``sql/``: a file a person is writing there (``migrate new``
creates one with no statements yet) must not break the test suite. ``test_migration_fixtures``
checks that the copies still equal the shipped files.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT_SQL = REPO / "sql"
FIXTURE_SQL = REPO / "tests" / "fixtures" / "migrations"
