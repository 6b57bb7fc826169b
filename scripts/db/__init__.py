"""Database operations: connection, statement splitter, migrations, app user, replication check, bootstrap.

Never imports :mod:`scripts.stack` or :mod:`scripts.local`; what combines them is :mod:`scripts.orchestrate`.
"""
