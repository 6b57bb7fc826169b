"""The resource counts the docs show are the ones `mysql-platform plan` prints."""

from __future__ import annotations

import re

from mysql_platform.planning import render
from tests.support import docs
from tests.support.plans import plan

HEAD = re.compile(r"^stack (\w+) \(([\w-]+)\): (\d+) resources in (\d+) components$", re.MULTILINE)
ROW = re.compile(
    r"^\| resources \(`mysql-platform plan`\) \| (\d+) in (\d+) components \| (\d+) in (\d+) components \|$",
    re.M,
)


def counts(stack: str) -> tuple[str, str]:
    """Resources and components, read from the head line the plan prints."""
    found = HEAD.match(render.tree(plan(stack))[0])
    assert found is not None
    return found[3], found[4]


def test_the_dev_and_prod_table_shows_the_plans_counts() -> None:
    rows = ROW.findall(docs.section("aws", "Stacks"))
    assert len(rows) == 1, "the dev/prod table's resources row is missing or changed its form"
    dev_resources, dev_components, prod_resources, prod_components = rows[0]
    assert (dev_resources, dev_components) == counts("dev")
    assert (prod_resources, prod_components) == counts("prod")


def test_every_quoted_plan_head_line_is_what_the_plan_prints() -> None:
    quoted = [line for name in docs.page_names() for line in HEAD.finditer(docs.page(name))]
    assert quoted, "no page quotes a plan head line"
    for line in quoted:
        assert line[0] == render.tree(plan(line[1]))[0]
