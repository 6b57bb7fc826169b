"""Shared pure code: the outputs contract and its parser, Secret, the HAProxy renderer.

Used by the Pulumi program (components/) and the operational scripts (scripts/); imports neither.
"""
