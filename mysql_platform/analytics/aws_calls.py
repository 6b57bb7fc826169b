"""boto3 clients for one region, and AWS's errors turned into the commands' errors.

Codes are the services' own (botocore's service models: RDS StartExportTask lists
IamRoleNotFound, IamRoleMissingPermissions, KMSKeyNotAccessibleFault, InvalidS3BucketFault,
DBSnapshotNotFound, InvalidExportSourceState; Glue EntityNotFoundException; Athena
InvalidRequestException).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from mysql_platform.analytics.errors import AnalyticsError, BadInput, Denied, NotFound, TaskFailed

DENIED_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "IamRoleNotFound",
        "IamRoleMissingPermissions",
        "KMSKeyNotAccessibleFault",
        "InvalidS3BucketFault",
    }
)
NOT_FOUND_CODES: Final = frozenset(
    {"DBSnapshotNotFound", "DBInstanceNotFound", "ExportTaskNotFound", "EntityNotFoundException"}
)
BAD_INPUT_CODES: Final = frozenset(
    {"InvalidExportOnly", "InvalidParameterValue", "InvalidParameterCombination"}
)
# Standard retry mode: throttling and transient errors are retried with backoff (botocore).
_CONFIG: Final = Config(retries={"mode": "standard", "max_attempts": 5})


def region_of(arn: str) -> str:
    """``arn:aws:kms:eu-west-1:123:key/...`` -> ``eu-west-1``: the stack's region, from its outputs."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        raise BadInput(f"outputs: '{arn}' is not an ARN with a region (analytics.key_arn)")
    return parts[3]


def client(service: str, region: str) -> Any:
    """A client with the default credential chain (environment, profile, instance role)."""
    return boto3.session.Session(region_name=region).client(service, config=_CONFIG)


def error_for(exc: ClientError, action: str) -> AnalyticsError:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", "")).strip()
    text = f"{action}: AWS said {code or 'an error'}: {message}".rstrip(": ")
    if code in DENIED_CODES:
        return Denied(text)
    if code in NOT_FOUND_CODES or (code == "InvalidRequestException" and "does not exist" in message):
        return NotFound(text)
    if code in BAD_INPUT_CODES:
        return BadInput(text)
    return TaskFailed(text)


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Inside, botocore's exceptions become the commands' errors, ``action`` naming the call."""
    try:
        yield
    except ClientError as exc:
        raise error_for(exc, action) from None
    except NoCredentialsError:
        raise Denied(
            f"{action}: no AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an instance role applies)"
        ) from None
    except NoRegionError:
        raise BadInput(f"{action}: no AWS region (pass --region)") from None
    except BotoCoreError as exc:
        raise TaskFailed(f"{action}: {exc}") from None
