"""Fixtures shared by every integration test: real MariaDB primary/replica + HAProxy + TLS.

- ``local_env``: one running :class:`scripts.local_env.LocalEnv` for the whole
  session (read-mostly tests; do not kill its servers).
- ``local_env_factory``: ``local_env_factory(semi_sync=False)`` returns a fresh
  running environment of your own, for destructive tests; every environment it
  made is torn down when the test ends.
- ``env``: a running environment of the requesting module's own (not the
  session's), for tests whose counts of applied migrations or accounts must be
  that module's alone; torn down after the module.
- ``_no_password_variable`` and ``_no_env_var_leaks``: environment guards that a
  module applies to all of its tests with ``pytest.mark.usefixtures``.

Each environment has its own state dir and free ports, so tests never collide
with each other or with a ``make demo`` environment. Tests are skipped (with
the reason) only when the server binaries are absent; CI installs them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mysql_platform.db import app_user
from mysql_platform.local.env import LocalEnv, missing_binaries, start_fresh

LocalEnvFactory = Callable[..., LocalEnv]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration is an integration test."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _fast_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Stop mysql-connector from loading the system CA bundle on every connection.

    It loads the default CAs (twice) before our ``ssl_ca``: 60-95 ms per TLS
    connect instead of about 5 ms. Pointing SSL_CERT_FILE at a file with no CAs
    also proves every test verifies against the environment's own CA.
    """
    previous = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(tmp_path_factory.mktemp("tls") / "no-system-cas.pem")
    yield
    if previous is None:
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        os.environ["SSL_CERT_FILE"] = previous


def _require_binaries() -> None:
    missing = missing_binaries()
    if missing:
        pytest.skip(f"local environment needs {', '.join(missing)} (install: make system-deps)")


def _start(state_dir: Path, semi_sync: bool) -> LocalEnv:
    return start_fresh(state_dir, semi_sync=semi_sync)


@pytest.fixture(scope="session")
def local_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    """A running async environment shared by the session. Do not kill or stop its servers."""
    _require_binaries()
    env = _start(tmp_path_factory.mktemp("env"), semi_sync=False)
    try:
        yield env
    finally:
        env.down(purge=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    """This module's own environment (not the session's): its migration history and accounts are ours alone.

    Composes LocalEnv like the fixtures above do; skipped the same way without binaries.
    """
    missing = missing_binaries()
    if missing:
        pytest.skip(f"local environment needs {', '.join(missing)} (install: make system-deps)")
    e = LocalEnv(tmp_path_factory.mktemp("modenv"))
    try:
        e.up()
        yield e
    finally:
        e.down(purge=True)


@pytest.fixture
def local_env_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvFactory]:
    """Make fresh running environments for destructive tests; all are torn down afterwards."""
    _require_binaries()
    made: list[LocalEnv] = []

    def make(*, semi_sync: bool = False) -> LocalEnv:
        env = _start(tmp_path_factory.mktemp("env"), semi_sync=semi_sync)
        made.append(env)
        return env

    try:
        yield make
    finally:
        errors = []
        for env in made:
            try:
                env.down(purge=True)
            except Exception as exc:  # tear the others down anyway
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def _no_password_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bootstrap finds no app password in its environment variable unless a test sets one."""
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)


@pytest.fixture
def _no_env_var_leaks() -> None:
    # The fixtures keep SSL_CERT_FILE pointing at an empty trust store (see _fast_tls).
    assert os.environ.get("SSL_CERT_FILE", "").endswith("no-system-cas.pem")
