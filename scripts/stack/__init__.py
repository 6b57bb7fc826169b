"""Stack access: the Pulumi Automation API (operations, workspace, config, errors), the SSH tunnel.

Never imports :mod:`scripts.db` or :mod:`scripts.local`; what combines them is :mod:`scripts.orchestrate`.
"""
