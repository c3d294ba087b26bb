"""The periods monitoring counts (`monitoring.service.next_look`, `review_months`) on their own,
with the presets' real configurations (tenants/*.json). No database, no server."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from service.monitoring.service import REVIEWS, next_look, review_months
from tests.support import preset_path

PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]


@pytest.fixture(autouse=True)
def _fresh_login_throttle() -> None:
    """Nothing here logs in or touches the database (this replaces the suite's own fixture)."""


def preset(slug: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(preset_path(slug).read_text(encoding="utf-8"))["guideline"]["document"]
    return document


# ---- next_look ------------------------------------------------------------------------------------------


def test_daily_weekly_monthly() -> None:
    since = dt.date(2026, 4, 1)
    assert next_look("daily", since) == dt.date(2026, 4, 2)
    assert next_look("weekly", since) == dt.date(2026, 4, 8)
    assert next_look("monthly", since) == dt.date(2026, 5, 1)


def test_across_month_and_year_ends() -> None:
    assert next_look("daily", dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)
    assert next_look("weekly", dt.date(2026, 12, 28)) == dt.date(2027, 1, 4)
    assert next_look("monthly", dt.date(2026, 12, 15)) == dt.date(2027, 1, 15)


def test_a_month_after_a_day_the_next_month_lacks_is_its_last_day() -> None:
    assert next_look("monthly", dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert next_look("monthly", dt.date(2028, 1, 31)) == dt.date(2028, 2, 29)  # a leap year
    assert next_look("monthly", dt.date(2026, 3, 31)) == dt.date(2026, 4, 30)
    assert next_look("daily", dt.date(2028, 2, 28)) == dt.date(2028, 2, 29)


@pytest.mark.parametrize("frequency", ["irregular", "none"])
def test_no_reminder_without_a_regular_frequency(frequency: str) -> None:
    assert next_look(frequency, dt.date(2026, 4, 1)) is None


@pytest.mark.parametrize("slug", PRESETS)
def test_the_presets_frequencies(slug: str) -> None:
    frequency = preset(slug)["monitoring"]["frequency"]
    expected = None if slug == "oyama-kosen" else dt.date(2026, 4, 8)  # 小山高専 looks when it sees fit
    assert frequency == ("irregular" if slug == "oyama-kosen" else "weekly")
    assert next_look(frequency, dt.date(2026, 4, 1)) == expected


# ---- review_months --------------------------------------------------------------------------------------


def test_the_review_kinds() -> None:
    assert REVIEWS == {
        "periodic_review": ("renewal", "periodic_review", "required"),
        "settings_review": ("security", "settings_review", "periodic"),
    }


@pytest.mark.parametrize("slug", PRESETS)
def test_the_presets_intervals(slug: str) -> None:
    config = preset(slug)
    expected = {"periodic_review": 12, "settings_review": 6} if slug == "ehime-pref" else {}
    assert {kind: review_months(config, kind) for kind in REVIEWS} == {kind: expected.get(kind) for kind in REVIEWS}


def test_an_interval_counts_only_when_the_review_is_switched_on() -> None:
    config = preset("ehime-pref")
    config["renewal"]["periodic_review"]["required"] = False
    config["security"]["settings_review"]["periodic"] = False
    assert review_months(config, "periodic_review") is None
    assert review_months(config, "settings_review") is None


def test_a_review_switched_on_without_an_interval_asks_for_none() -> None:
    config = preset("ageo-hoikuka")
    config["renewal"]["periodic_review"] = {"required": True, "interval_months": None}
    config["security"]["settings_review"] = {"periodic": True, "interval_months": 0}
    assert review_months(config, "periodic_review") is None
    assert review_months(config, "settings_review") is None


def test_a_configuration_without_the_section_asks_for_none() -> None:
    assert review_months({}, "periodic_review") is None
    assert review_months({"security": {}}, "settings_review") is None
    assert review_months({"renewal": {"periodic_review": None}}, "periodic_review") is None


def test_an_interval_is_a_whole_number_of_months() -> None:
    config = {"renewal": {"periodic_review": {"required": True, "interval_months": 3}}}
    months = review_months(config, "periodic_review")
    assert months == 3
    assert isinstance(months, int)
