"""The analytics settings' rules at their boundaries, each with the whole text it reports.

Written against the survivors of a mutation run (tests/mutation/). Uses only the settings' public
API (through tests/support/settings_api.py). Pure: no Pulumi runtime.
"""

from __future__ import annotations

import pytest

from tests.support.settings_api import problems, settings

SPECTRUM_WITHOUT_ANALYTICS = (
    "analyticsSpectrumEnabled: got True; needs analyticsEnabled: true "
    "(the Spectrum role reads the analytics bucket and Glue database)"
)


@pytest.mark.parametrize("days", [1, 2])
def test_one_day_of_export_retention_is_the_least_accepted(days: int) -> None:
    assert (
        settings(
            "prod", analyticsEnabled=True, analyticsExportRetentionDays=days
        ).analytics_export_retention_days
        == days
    )


@pytest.mark.parametrize("days", [0, -1])
def test_rejects_less_than_one_day_of_export_retention(days: int) -> None:
    assert problems("prod", analyticsEnabled=True, analyticsExportRetentionDays=days) == [
        f"analyticsExportRetentionDays: got {days}; expected 1 or more days"
    ]


def test_rejects_spectrum_without_analytics() -> None:
    assert problems("prod", analyticsSpectrumEnabled=True) == [SPECTRUM_WITHOUT_ANALYTICS]
    assert problems("prod", analyticsEnabled=False, analyticsSpectrumEnabled=True) == [
        SPECTRUM_WITHOUT_ANALYTICS
    ]


@pytest.mark.parametrize(("analytics", "spectrum"), [(True, True), (True, False), (False, False)])
def test_spectrum_with_analytics_or_neither_is_accepted(analytics: bool, spectrum: bool) -> None:
    parsed = settings("prod", analyticsEnabled=analytics, analyticsSpectrumEnabled=spectrum)
    assert (parsed.analytics_enabled, parsed.analytics_spectrum_enabled) == (analytics, spectrum)


def test_spectrum_is_reported_with_the_other_analytics_problems() -> None:
    assert problems("prod", analyticsSpectrumEnabled=True, analyticsExportRetentionDays=0) == [
        "analyticsExportRetentionDays: got 0; expected 1 or more days",
        SPECTRUM_WITHOUT_ANALYTICS,
    ]
