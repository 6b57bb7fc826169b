"""Stack access: the Pulumi Automation API, Pulumi CLI discovery, the SSH tunnel."""
