"""etcd as the local environment's consensus store: one member, or three to show quorum.

Each member is a plain ``etcd`` process (Debian's etcd-server) on loopback ports of its own, its
data under ``<state dir>/etcd/<name>``. Raft timing is tightened for loopback (heartbeat 50 ms,
election 500 ms): etcd grants no lease shorter than 1.5 election timeouts, so leases of about a
second become possible (etcd's defaults, 100 ms and 1 s, floor them at about 2 s).

Loopback is shared with every local user, so both of etcd's ports speak TLS and admit only a
peer or client that shows a certificate signed by the environment's own etcd CA
(``--client-cert-auth``, ``--peer-client-cert-auth``). The keys live in ``<state dir>/etcd/tls``
(directory 0700, keys 0600): a local user without them can neither read nor write a key, revoke
a lease or join as a member. That is etcd's certificate authentication; its user/role RBAC would
add nothing here, since every holder of the client certificate is an agent or the CLI of the
environment's owner.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mysql_platform.local.procs import LOOPBACK, Children, LocalEnvError, ProcessMarker, binary, runs, tail
from mysql_platform.local.tls import make_etcd_tls

if TYPE_CHECKING:  # `down` and `status` run on the standard library alone
    from etcd3gw.client import Etcd3Client

PROGRAM: Final = "etcd"
HEARTBEAT_MS: Final = 50
ELECTION_MS: Final = 500
READY_TIMEOUT_S: Final = 15.0


@dataclass(frozen=True)
class Member:
    name: str
    client_port: int
    peer_port: int

    @property
    def client_url(self) -> str:
        return f"https://{LOOPBACK}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"https://{LOOPBACK}:{self.peer_port}"


def tls_dir(state_dir: Path) -> Path:
    return state_dir / "etcd" / "tls"


def ensure_tls(state_dir: Path) -> None:
    """etcd's CA and certificates, made once per environment."""
    tls = tls_dir(state_dir)
    (state_dir / "etcd").mkdir(mode=0o700, parents=True, exist_ok=True)
    (state_dir / "etcd").chmod(0o700)
    if not all(
        (tls / name).is_file() for name in ("ca.pem", "member.pem", "member.key", "client.pem", "client.key")
    ):
        make_etcd_tls(tls)


def client(state_dir: Path, member: Member, timeout: float) -> Etcd3Client:
    """A client of ``member`` that verifies it and shows the client certificate."""
    import requests
    from etcd3gw.client import Etcd3Client

    tls = tls_dir(state_dir)
    session = requests.Session()
    # Not the environment's: REQUESTS_CA_BUNDLE would replace our CA for every request (requests
    # lets it override a session's verify), and an HTTPS_PROXY must never see loopback traffic.
    session.trust_env = False
    session.verify = str(tls / "ca.pem")
    session.cert = (str(tls / "client.pem"), str(tls / "client.key"))
    return Etcd3Client(
        host=LOOPBACK,
        port=member.client_port,
        protocol="https",
        timeout=timeout,
        api_path="/v3/",
        session=session,
    )


def data_dir(state_dir: Path, name: str) -> Path:
    return state_dir / "etcd" / name


def marker(state_dir: Path, name: str) -> ProcessMarker:
    return ProcessMarker(PROGRAM, f"--data-dir={data_dir(state_dir, name)}")


def argv(state_dir: Path, member: Member, cluster: list[Member]) -> list[str]:
    initial = ",".join(f"{m.name}={m.peer_url}" for m in cluster)
    tls = tls_dir(state_dir)
    return [
        binary(PROGRAM),
        f"--name={member.name}",
        f"--data-dir={data_dir(state_dir, member.name)}",
        f"--listen-client-urls={member.client_url}",
        f"--advertise-client-urls={member.client_url}",
        f"--listen-peer-urls={member.peer_url}",
        f"--initial-advertise-peer-urls={member.peer_url}",
        f"--initial-cluster={initial}",
        "--initial-cluster-state=new",
        f"--initial-cluster-token=mysql-platform-{abs(hash(str(state_dir))) % 10**8}",
        f"--heartbeat-interval={HEARTBEAT_MS}",
        f"--election-timeout={ELECTION_MS}",
        f"--trusted-ca-file={tls / 'ca.pem'}",
        f"--cert-file={tls / 'member.pem'}",
        f"--key-file={tls / 'member.key'}",
        "--client-cert-auth",
        f"--peer-trusted-ca-file={tls / 'ca.pem'}",
        f"--peer-cert-file={tls / 'member.pem'}",
        f"--peer-key-file={tls / 'member.key'}",
        "--peer-client-cert-auth",
        "--log-level=warn",
    ]


def pid_file(state_dir: Path, name: str) -> Path:
    return data_dir(state_dir, name).parent / f"{name}.pid"


def start(state_dir: Path, member: Member, cluster: list[Member], children: Children) -> int:
    """Start one member unless it runs already; its pid."""
    pids = pid_file(state_dir, member.name)
    if pids.is_file():
        pid = int(pids.read_text() or 0)
        if runs(pid, marker(state_dir, member.name)):
            return pid
    ensure_tls(state_dir)
    pid = children.spawn(member.name, argv(state_dir, member, cluster), log_path(state_dir, member.name))
    pids.write_text(str(pid))
    return pid


def log_path(state_dir: Path, name: str) -> Path:
    return state_dir / "etcd" / f"{name}.log"


def wait_healthy(state_dir: Path, cluster: list[Member], timeout: float = READY_TIMEOUT_S) -> None:
    """Until every member answers a linearizable read (so the cluster has a Raft leader)."""
    from etcd3gw import exceptions as etcd_errors

    deadline = time.monotonic() + timeout
    for member in cluster:
        probe = client(state_dir, member, timeout=1)
        while True:
            try:
                probe.get("/mysql-platform/ready")
                break
            except etcd_errors.Etcd3Exception:
                if time.monotonic() > deadline:
                    raise LocalEnvError(
                        f"etcd member {member.name} did not answer within {timeout:.0f} s:\n"
                        + tail(log_path(state_dir, member.name))
                    ) from None
                time.sleep(0.05)


def save_members(path: Path, members: list[Member]) -> None:
    path.write_text(json.dumps([asdict(m) for m in members], indent=2))


def load_members(path: Path) -> list[Member]:
    try:
        return [Member(**m) for m in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []
