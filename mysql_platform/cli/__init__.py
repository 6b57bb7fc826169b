"""The command lines: thin ``main(argv) -> int`` functions over the libraries.

``python -m scripts.bootstrap`` is :mod:`mysql_platform.cli.bootstrap`, ``python -m scripts.automation``
is :mod:`mysql_platform.cli.stack`; ``mysql-platform init`` is :mod:`mysql_platform.cli.init`.
Only these modules print; the libraries log or take streams.
"""
