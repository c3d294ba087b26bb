"""Fiscal years, Japanese public holidays, business days and yearly deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from service.kit import calendar as cal


@pytest.mark.parametrize(
    ("day", "year"),
    [("2025-04-01", 2025), ("2026-03-31", 2025), ("2026-01-15", 2025), ("2026-04-01", 2026), ("2025-03-31", 2024)],
)
def test_fiscal_year_runs_april_to_march(day: str, year: int) -> None:
    assert cal.fiscal_year(dt.date.fromisoformat(day)) == year


def test_fiscal_year_bounds() -> None:
    assert cal.fiscal_year_start(2025) == dt.date(2025, 4, 1)
    assert cal.fiscal_year_end(2025) == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        ("2026-01-01", True),  # 元日
        ("2026-01-12", True),  # 成人の日 (second Monday of January)
        ("2025-05-06", True),  # 振替休日 for 5/4 falling on a Sunday
        ("2026-09-22", True),  # 国民の休日 between 敬老の日 and 秋分の日
        ("2026-01-13", False),
        ("2026-12-29", False),  # the year-end break is not a public holiday
    ],
)
def test_japanese_public_holidays(day: str, holiday: bool) -> None:
    assert cal.is_public_holiday(dt.date.fromisoformat(day)) is holiday


def test_business_days() -> None:
    assert cal.is_business_day(dt.date(2026, 4, 1))  # a Wednesday
    assert not cal.is_business_day(dt.date(2026, 4, 4))  # a Saturday
    assert not cal.is_business_day(dt.date(2026, 4, 29))  # 昭和の日
    assert not cal.is_business_day(dt.date(2026, 12, 29))
    assert cal.is_business_day(dt.date(2026, 12, 29), exclude_year_end=False)


def test_next_yearly_deadline() -> None:
    assert cal.next_yearly(3, 31, dt.date(2026, 4, 1)) == dt.date(2027, 3, 31)
    assert cal.next_yearly(3, 31, dt.date(2026, 3, 30)) == dt.date(2026, 3, 31)
    assert cal.next_yearly(3, 31, dt.date(2026, 3, 31)) == dt.date(2027, 3, 31)
    with pytest.raises(ValueError, match="every year"):
        cal.next_yearly(2, 29, dt.date(2026, 1, 1))


def test_end_of_day_is_midnight_in_tokyo() -> None:
    assert cal.end_of_day(dt.date(2027, 3, 31), "Asia/Tokyo") == dt.datetime(
        2027, 3, 31, 14, 59, 59, 999999, tzinfo=dt.UTC
    )
    assert cal.start_of_day(dt.date(2027, 4, 1), "Asia/Tokyo") == dt.datetime(2027, 3, 31, 15, 0, tzinfo=dt.UTC)


def test_clock_offset_only_for_the_embedded_server() -> None:
    from service.config import ConfigError, Settings
    from service.kit.clock import OffsetClock, SystemClock, clock_for

    shifted = Settings(database_url=None, migration_database_url=None, clock_offset=dt.timedelta(days=130))
    assert isinstance(clock_for(shifted, embedded=True), OffsetClock)
    with pytest.raises(ConfigError, match="embedded"):
        clock_for(shifted, embedded=False)
    with pytest.raises(ConfigError, match="embedded"):
        clock_for(
            Settings(
                database_url=None,
                migration_database_url=None,
                environment="production",
                clock_offset=dt.timedelta(days=1),
            ),
            embedded=True,
        )
    assert isinstance(clock_for(Settings(database_url=None, migration_database_url=None), embedded=False), SystemClock)


def test_clock_offset_syntax(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.config import ConfigError, Settings

    monkeypatch.setenv("CLOCK_OFFSET", "+130d")
    assert Settings.from_env().clock_offset == dt.timedelta(days=130)
    monkeypatch.setenv("CLOCK_OFFSET", "-2h")
    assert Settings.from_env().clock_offset == dt.timedelta(hours=-2)
    monkeypatch.setenv("CLOCK_OFFSET", "next year")
    with pytest.raises(ConfigError):
        Settings.from_env()
