"""The property tests' profiles: the quick loop draws a tenth of CI's examples, CI all of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.support import properties


@pytest.fixture
def restore_profile() -> Iterator[None]:
    loaded = settings.default
    yield
    # Load the profile the session started with again (the tests below load others).
    settings.register_profile("session-start", loaded)
    settings.load_profile("session-start")


def test_unit_is_the_default_and_draws_a_tenth(
    monkeypatch: pytest.MonkeyPatch, restore_profile: None
) -> None:
    monkeypatch.delenv(properties.PROFILE_VARIABLE, raising=False)
    assert properties.load_profile() == "unit"
    assert [properties.example_count(n) for n in (100, 60, 40, 5)] == [10, 6, 4, 1]


def test_ci_draws_every_example_a_property_asks_for(
    monkeypatch: pytest.MonkeyPatch, restore_profile: None
) -> None:
    monkeypatch.setenv(properties.PROFILE_VARIABLE, "ci")
    assert properties.load_profile() == "ci"
    assert [properties.example_count(n) for n in (100, 60, 40)] == [100, 60, 40]


def test_rejects_an_unknown_profile_naming_the_variable_and_the_choices(
    monkeypatch: pytest.MonkeyPatch, restore_profile: None
) -> None:
    monkeypatch.setenv(properties.PROFILE_VARIABLE, "thorough")
    with pytest.raises(properties.ProfileError) as raised:
        properties.load_profile()
    assert str(raised.value) == (
        "HYPOTHESIS_PROFILE='thorough' is not a profile of these tests; "
        "expected one of ci, unit (unset: unit)"
    )
