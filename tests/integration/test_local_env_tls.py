"""The local environment's TLS on loopback: plain connections refused, the certificate names
localhost and 127.0.0.1 and chains to the environment's CA, another CA is refused.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import mysql.connector
import pytest
from mysql.connector import errors

from mysql_platform.local.env import LocalEnv
from tests.support.probes import unrelated_ca

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("_no_env_var_leaks")]

ER_ACCESS_DENIED = 1045


# --- TLS ----------------------------------------------------------------------------


def test_plain_connections_are_refused_tls_ones_verify(local_env: LocalEnv) -> None:
    user, password = "tls_probe", "probe-password-123456"
    with contextlib.closing(local_env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        # No REQUIRE SSL on this user: only the server's require_secure_transport stands in the way.
        cur.execute(f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY %s", (password,))
    for target in ("primary", "writer"):
        with pytest.raises(errors.Error) as refused:
            mysql.connector.connect(
                host="127.0.0.1",
                port=local_env.port(target),
                user=user,
                password=password,
                ssl_disabled=True,
                use_pure=True,
            )
        assert refused.value.errno == ER_ACCESS_DENIED
        tls = local_env.connect(target, user=user, password=password)
        with contextlib.closing(tls) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
            assert cur.fetchone()[1].startswith("TLSv1.")


def test_certificate_names_localhost_and_loopback_and_chains_to_the_ca(local_env: LocalEnv) -> None:
    server_pem = local_env.ca_path.parent / "server.pem"
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(local_env.ca_path), str(server_pem)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(server_pem), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text
    assert not (local_env.ca_path.parent / "ca.key").exists()


def test_rejects_a_server_signed_by_another_ca(local_env: LocalEnv, tmp_path: Path) -> None:
    other_ca = unrelated_ca(tmp_path)
    with pytest.raises(errors.Error, match=r"(?i)certificate"):
        local_env.connect("writer", ssl_ca=str(other_ca))
