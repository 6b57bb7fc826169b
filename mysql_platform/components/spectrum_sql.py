"""The statement that shows the stack's Glue database to Redshift Spectrum, as one line of SQL.

Redshift Database Developer Guide, "CREATE EXTERNAL SCHEMA"
(docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html), synopsis for an external
data catalog::

    CREATE EXTERNAL SCHEMA [IF NOT EXISTS] local_schema_name
    FROM [ [ DATA CATALOG ] | HIVE METASTORE | POSTGRES | MYSQL | KINESIS | MSK | REDSHIFT | KAFKA ]
    [ DATABASE 'database_name' ]
    [ REGION 'aws-region' ]
    [ IAM_ROLE [ default | 'SESSION' | 'arn:aws:iam::<AWS account-id>:role/<role-name>' ] ]

REGION is "the region in which the database is located"; IAM_ROLE takes one role ARN, or a
comma-separated chain of them that "must not contain spaces" (Redshift Management Guide,
"Authorizing Amazon Redshift to access other AWS services on your behalf", chaining roles), so a
comma in the value would read as a chain. ``IF NOT EXISTS`` makes the statement safe to run again.

The schema name is a delimited identifier (Developer Guide, "Names and identifiers"): double
quotes around any UTF-8 printable characters, a double quote inside written twice, 1 to 127 bytes
without the quotes, and ASCII letters folded to lowercase as in a standard identifier. Always
quoting needs no list of reserved words, and ``"mysql_platform_prod"`` names the same schema as
``mysql_platform_prod``.

Pure Python (no Pulumi import): the component applies it to its outputs, the tests call it.
"""

from __future__ import annotations

import re
from typing import Final

IDENTIFIER_MAX_BYTES: Final = 127
# An AWS Region code: us-east-1, eu-central-2, us-gov-west-1, cn-north-1 (no fixed length for
# the first part: only the shape is checked, a quote can never pass).
_REGION: Final = re.compile(r"[a-z]+(?:-[a-z]+)+-\d+")
# An IAM role ARN (IAM User Guide, "IAM identifiers": role names are letters, digits and
# +=,.@_- with optional /path/); commas are refused here, see the module docstring.
_ROLE_ARN: Final = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=.@_/-]+")
# A Glue database name as glue_database_name makes it, and the mocked and real ARNs carry it.
_CATALOG_NAME: Final = re.compile(r"[a-z0-9_]{1,255}")


def delimited_identifier(name: str) -> str:
    """``name`` as a Redshift delimited identifier, or ValueError naming what is wrong with it."""
    size = len(name.encode("utf-8"))
    if not 1 <= size <= IDENTIFIER_MAX_BYTES:
        raise ValueError(
            f"Redshift schema name: got {name!r} ({size} bytes); expected 1 to "
            f"{IDENTIFIER_MAX_BYTES} bytes (Redshift, 'Names and identifiers')"
        )
    if not name.isprintable():
        raise ValueError(
            f"Redshift schema name: got {name!r}; expected printable characters only "
            "(Redshift, 'Names and identifiers')"
        )
    return '"' + name.replace('"', '""') + '"'


def _checked(what: str, value: str, pattern: re.Pattern[str], expected: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"CREATE EXTERNAL SCHEMA {what}: got {value!r}; expected {expected}")
    return value


def region_of(arn: str) -> str:
    """The Region field of an ARN (``arn:partition:service:region:account:resource``)."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        raise ValueError(f"ARN: got {arn!r}; expected arn:partition:service:region:account:resource")
    return parts[3]


def external_schema_sql(schema: str, database: str, region: str, role_arn: str) -> str:
    """``CREATE EXTERNAL SCHEMA IF NOT EXISTS`` for one Glue database, read through one role.

    Each quoted value is checked instead of escaped: none of them may hold a quote, and the role
    ARN no comma (a role chain).
    """
    db = _checked("DATABASE", database, _CATALOG_NAME, "a Glue database name (a-z, 0-9, _)")
    where = _checked("REGION", region, _REGION, "an AWS Region code such as us-east-1")
    role = _checked("IAM_ROLE", role_arn, _ROLE_ARN, "one IAM role ARN, arn:aws:iam::<account>:role/<name>")
    return (
        f"CREATE EXTERNAL SCHEMA IF NOT EXISTS {delimited_identifier(schema)} "
        f"FROM DATA CATALOG DATABASE '{db}' REGION '{where}' IAM_ROLE '{role}';"
    )
