"""Shared pure code: the outputs contract and its parser, Secret, the HAProxy renderer, and the
console script's name (``command_names``, which every parser's usage line takes).

Used by the Pulumi program (components/) and the operational scripts (scripts/); imports neither.
"""
