"""Operational Python: outputs parser, bootstrap, local environment, Automation API."""
