"""The command lines: thin ``main(argv) -> int`` functions over the libraries.

``mysql-platform bootstrap`` is :mod:`mysql_platform.cli.bootstrap`, ``mysql-platform stack`` is
:mod:`mysql_platform.cli.stack`, ``mysql-platform init`` is :mod:`mysql_platform.cli.init`; every
parser's ``prog`` comes from :mod:`mysql_platform.core.command_names`. Only these modules print;
the libraries log or take streams.
"""
