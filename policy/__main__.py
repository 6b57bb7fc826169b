"""Serves the pack to the Pulumi CLI (`pulumi preview --policy-pack policy`)."""

from pack import NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(name=NAME, policies=policies())
