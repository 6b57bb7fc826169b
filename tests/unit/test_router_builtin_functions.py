"""The vendored built-in function names: well-formed lists that hold what they claim to."""

from __future__ import annotations

import re

import pytest

from mysql_platform.router import builtin_functions
from mysql_platform.router.builtin_functions import BUILTIN_FUNCTIONS, SPACE_SENSITIVE_FUNCTIONS

LISTS = ["MARIADB_SQL_FUNCTIONS", "MARIADB_OTHER_FUNCTIONS", "MARIADB_11_FUNCTIONS", "MYSQL_84_FUNCTIONS"]
SPACE_SENSITIVE = ["MARIADB_SPACE_SENSITIVE_FUNCTIONS", "MYSQL_84_SPACE_SENSITIVE_FUNCTIONS"]


@pytest.mark.parametrize("name", LISTS + SPACE_SENSITIVE)
def test_each_list_is_sorted_unique_upper_case_names(name: str) -> None:
    names = getattr(builtin_functions, name)
    assert list(names) == sorted(set(names))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", n) for n in names)


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("MARIADB_SQL_FUNCTIONS", {"ABS", "CONCAT", "JSON_EXTRACT", "NVL", "SFORMAT", "ROW_COUNT"}),
        ("MARIADB_OTHER_FUNCTIONS", {"IF", "CHAR", "ST_BOUNDARY", "COLUMN_GET", "NEXTVAL", "ROW_NUMBER"}),
        ("MARIADB_11_FUNCTIONS", {"UUID_V7", "KDF", "VEC_DISTANCE_EUCLIDEAN", "JSON_SCHEMA_VALID"}),
        ("MYSQL_84_FUNCTIONS", {"REGEXP_LIKE", "ANY_VALUE", "JSON_TABLE", "ST_ASTEXT", "UUID_TO_BIN"}),
    ],
)
def test_each_list_holds_names_known_to_be_there(name: str, known: set[str]) -> None:
    assert known <= set(getattr(builtin_functions, name))


def test_the_union_holds_every_list_and_no_operator_or_clause() -> None:
    for name in LISTS:
        assert set(getattr(builtin_functions, name)) <= BUILTIN_FUNCTIONS
    assert not {"AND", "OR", "XOR", "LIKE", "IS", "NOT", "SELECT", "FROM", "AS", "OVER"} & BUILTIN_FUNCTIONS


def test_space_sensitive_names_are_built_ins_counting_now_and_not_abs() -> None:
    assert SPACE_SENSITIVE_FUNCTIONS <= BUILTIN_FUNCTIONS
    assert {"NOW", "COUNT", "SUBSTRING", "SYSDATE"} <= SPACE_SENSITIVE_FUNCTIONS
    assert not {"ABS", "CONCAT", "IF"} & SPACE_SENSITIVE_FUNCTIONS
