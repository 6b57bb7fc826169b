"""Pulumi ComponentResources of mysql-platform and the pure helpers they need.

Nothing in this package imports ``scripts``.
"""
