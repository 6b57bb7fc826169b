"""The commands a person runs from a checkout: ``python -m scripts.<name>``.

Each module here is a shim over :mod:`mysql_platform.cli`, where the commands live; installed,
the same commands are ``mysql-platform <command>``. This folder is not shipped in the wheel.
"""
