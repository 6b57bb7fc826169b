"""The command lines: thin ``main(argv) -> int`` functions over the libraries.

``python -m scripts.bootstrap`` is :mod:`scripts.cli.bootstrap`, ``python -m scripts.automation``
is :mod:`scripts.cli.stack`. Only these modules print; the libraries log or take streams.
"""
