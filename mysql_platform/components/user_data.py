"""The EC2 host's cloud-init user data, rendered as a plain shell script."""

from __future__ import annotations

# AL2023 ships the MariaDB 10.5 client as `mariadb105`: it speaks the MySQL protocol
# and provides the `mysql` command.
MYSQL_CLIENT_PACKAGE = "mariadb105"
HAPROXY_CONFIG_PATH = "/etc/haproxy/haproxy.cfg"
# A quoted heredoc delimiter: the shell expands nothing inside the configuration.
_HEREDOC = "MYSQL_PLATFORM_HAPROXY_CFG"


def render_user_data(haproxy_config: str | None = None) -> str:
    """Shell script run once at first boot: the MySQL client, and HAProxy when a config is given.

    The configuration comes from ``mysql_platform.core.haproxy_config.render_haproxy_config``,
    the same renderer the local environment runs and tests against real HAProxy.
    """
    lines = ["#!/bin/bash", "set -euo pipefail", f"dnf install -y {MYSQL_CLIENT_PACKAGE}"]
    if haproxy_config is not None:
        if _HEREDOC in haproxy_config:
            raise ValueError(f"haproxy config must not contain the heredoc delimiter {_HEREDOC}")
        lines += [
            "dnf install -y haproxy",
            # The runtime API socket lives here; the package normally creates it.
            "install -d -o haproxy -g haproxy -m 0750 /var/lib/haproxy",
            f"cat > {HAPROXY_CONFIG_PATH} <<'{_HEREDOC}'",
            haproxy_config.rstrip("\n"),
            _HEREDOC,
            f"haproxy -c -f {HAPROXY_CONFIG_PATH}",
            "systemctl enable --now haproxy",
        ]
    return "\n".join(lines) + "\n"
