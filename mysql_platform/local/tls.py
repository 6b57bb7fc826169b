"""The local environment's TLS: throwaway CAs and their certificates, made with openssl.

The servers require TLS and every client verifies the certificate and the host
name, as against RDS; the CA file is the outputs' ``ssl_ca``. etcd gets a CA of its own
(:func:`make_etcd_tls`): it admits only clients that show a certificate that CA signed.
"""

from __future__ import annotations

import os
from pathlib import Path

from mysql_platform.local.procs import run_tool

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
_SERVER_EXT = (
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage={usage}\n"
    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
)
_CLIENT_EXT = (
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
)


def _make_ca(tls_dir: Path, ca_path: Path, name: str) -> Path:
    ca_key = tls_dir / "ca.key"
    run_tool(
        ["openssl", "req", "-x509", *_EC, "-keyout", ca_key, "-out", ca_path, "-days", "3650",
         "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        f"generate the {name}",
    )  # fmt: skip
    return ca_key


def _issue(tls_dir: Path, ca_path: Path, ca_key: Path, stem: str, cn: str, ext_text: str) -> None:
    """``<stem>.pem`` and ``<stem>.key`` (mode 0600), signed by the CA."""
    key, csr, cert = (tls_dir / f"{stem}{suffix}" for suffix in (".key", ".csr", ".pem"))
    ext = tls_dir / f"{stem}.ext"
    ext.write_text(ext_text)
    run_tool(
        ["openssl", "req", *_EC, "-keyout", key, "-out", csr, "-subj", f"/CN={cn}"],
        f"generate the {stem} key",
    )
    run_tool(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_path, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "825", "-extfile", ext],
        f"sign the {stem} certificate",
    )  # fmt: skip
    os.chmod(key, 0o600)
    for leftover in (csr, ext):
        leftover.unlink(missing_ok=True)


def _forget_ca(tls_dir: Path, ca_key: Path) -> None:
    # Nothing else is ever signed: the CA key has no reason to outlive this.
    for leftover in (ca_key, tls_dir / "ca.srl"):
        leftover.unlink(missing_ok=True)


def make_tls(tls_dir: Path, ca_path: Path) -> None:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_key = _make_ca(tls_dir, ca_path, "mysql-platform local CA")
    _issue(tls_dir, ca_path, ca_key, "server", "localhost", _SERVER_EXT.format(usage="serverAuth"))
    _forget_ca(tls_dir, ca_key)


def make_etcd_tls(tls_dir: Path) -> None:
    """etcd's CA (``ca.pem``), the members' certificate (``member``: clients and peers, which
    also connect to each other) and the one certificate clients present (``client``)."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(tls_dir, 0o700)
    ca_path = tls_dir / "ca.pem"
    ca_key = _make_ca(tls_dir, ca_path, "mysql-platform local etcd CA")
    _issue(tls_dir, ca_path, ca_key, "member", "etcd", _SERVER_EXT.format(usage="serverAuth,clientAuth"))
    _issue(tls_dir, ca_path, ca_key, "client", "mysql-platform-agent", _CLIENT_EXT)
    _forget_ca(tls_dir, ca_key)
