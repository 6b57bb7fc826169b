"""Settings for every test session."""

from __future__ import annotations

import gc
import os

import pytest

from mysql_platform.cli.migrate_settings import KINDS, env_name
from tests.support import properties


def pytest_configure() -> None:
    # The settings `migrate` and `bootstrap` read from the environment: a person's shell must not
    # point the tests at another outputs file or migrations folder.
    for key in KINDS:
        os.environ.pop(env_name(key), None)
    # After one mocked program run the process tracks about 175,000 objects (the Pulumi SDK and
    # the AWS provider's modules), and each run allocates enough to trigger some 57 young-generation
    # collections with the default threshold of 700; the older generations are then walked
    # often too. Collecting less often took the unit suite from 7.7 s to 5.7 s here.
    gc.set_threshold(50_000, 50, 100)
    # Before the test modules are imported: their property settings read the profile's count.
    try:
        properties.load_profile()
    except properties.ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_finish() -> None:
    # What is alive once the tests are collected (the imported SDK above all) lives until the end:
    # moved out of the collector's sight, every later collection, and pytest's own at the end of
    # the session, walks only what the tests made (about 8 % of the unit suite's time here).
    gc.collect()
    gc.freeze()
