"""The local environment's TLS: a throwaway CA and a server certificate, made with openssl.

The servers require TLS and every client verifies the certificate and the host
name, as against RDS; the CA file is the outputs' ``ssl_ca``.
"""

from __future__ import annotations

import os
from pathlib import Path

from scripts.local.procs import run_tool


def make_tls(tls_dir: Path, ca_path: Path) -> None:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_key = tls_dir / "ca.key"
    key, csr, cert = (tls_dir / n for n in ("server.key", "server.csr", "server.pem"))
    ext = tls_dir / "server.ext"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run_tool(
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_path, "-days", "3650",
         "-subj", "/CN=mysql-platform local CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        "generate the local CA",
    )  # fmt: skip
    run_tool(
        ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
        "generate the server key",
    )
    run_tool(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_path, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "825", "-extfile", ext],
        "sign the server certificate",
    )  # fmt: skip
    # Nothing else is ever signed: the CA key has no reason to outlive this.
    for leftover in (ca_key, csr, ext, tls_dir / "ca.srl"):
        leftover.unlink(missing_ok=True)
    os.chmod(key, 0o600)
