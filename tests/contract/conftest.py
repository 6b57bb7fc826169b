"""Contract tests: the analytics commands against moto, a maintained emulator of the AWS APIs
(no AWS account, no network), and botocore Stubber responses where moto lacks a behaviour."""
