"""The EC2 host's cloud-init user data, rendered as a plain shell script."""

from __future__ import annotations

# AL2023 ships the MariaDB 10.5 client as `mariadb105`: it speaks the MySQL protocol
# and provides the `mysql` command.
MYSQL_CLIENT_PACKAGE = "mariadb105"


def render_user_data() -> str:
    """Shell script run once at first boot: installs the MySQL client."""
    return "\n".join(
        [
            "#!/bin/bash",
            "set -euo pipefail",
            f"dnf install -y {MYSQL_CLIENT_PACKAGE}",
            "",
        ]
    )
