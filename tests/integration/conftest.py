"""Fixtures shared by every integration test: real MariaDB primary/replica + HAProxy + TLS.

- ``local_env``: one running :class:`scripts.local_env.LocalEnv` for the whole
  session (read-mostly tests; do not kill its servers).
- ``local_env_factory``: ``local_env_factory(semi_sync=False)`` returns a fresh
  running environment of your own, for destructive tests; every environment it
  made is torn down when the test ends.

Each environment has its own state dir and free ports, so tests never collide
with each other or with a ``make demo`` environment. Tests are skipped (with
the reason) only when the server binaries are absent; CI installs them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.local.env import LocalEnv, missing_binaries, start_fresh

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
