"""Stack access: the Pulumi Automation API (operations, workspace, config, errors), the SSH tunnel.

Never imports :mod:`mysql_platform.db` or :mod:`mysql_platform.local`; what combines them
is :mod:`mysql_platform.orchestrate`.
"""
