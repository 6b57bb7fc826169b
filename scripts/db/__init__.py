"""Database operations: connection, statement splitter, migrations, app user, replication check, bootstrap.

Never imports :mod:`scripts.stack` or :mod:`scripts.local`; what combines them is :mod:`scripts.orchestrate`.
"""

# Before any module of this package imports mysql.connector: it is imported without OpenTelemetry
# here (see scripts.db.connector), whichever of them a caller imports first.
from scripts.db import connector as _connector  # noqa: F401
