"""Database operations: connection, statement splitter, migrations, app user, replication check, bootstrap."""
