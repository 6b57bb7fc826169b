"""Database operations: connection, statement splitter, migrations, app user, replication check, bootstrap.

Never imports :mod:`mysql_platform.stack` or :mod:`mysql_platform.local`; what combines them
is :mod:`mysql_platform.orchestrate`.
"""

# Before any module of this package imports mysql.connector: it is imported without OpenTelemetry
# here (see mysql_platform.db.connector), whichever of them a caller imports first.
from mysql_platform.db import connector as _connector  # noqa: F401
