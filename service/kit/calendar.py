"""Dates the agencies work by: the fiscal year (年度, April to March), Japanese public holidays and
business days, and recurring yearly deadlines, all in the tenant's time zone (Asia/Tokyo by default).

Holidays come from the `holidays` package (Japan's Cabinet Office calendar, substitute holidays
included); the year-end break (29 December to 3 January) is not a public holiday, so rules that
exclude it say so themselves.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays

FISCAL_YEAR_START_MONTH = 4


def fiscal_year(day: dt.date) -> int:
    """The fiscal year a date falls in, named by the calendar year it starts in (2025 = 2025-04-01 to 2026-03-31)."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year, FISCAL_YEAR_START_MONTH, 1)


def fiscal_year_end(year: int) -> dt.date:
    return dt.date(year + 1, FISCAL_YEAR_START_MONTH, 1) - dt.timedelta(days=1)


@functools.lru_cache(maxsize=64)
def _japan(year: int) -> holidays.HolidayBase:
    calendar_of_japan: holidays.HolidayBase = holidays.country_holidays("JP", years=year)
    return calendar_of_japan


def is_public_holiday(day: dt.date) -> bool:
    return day in _japan(day.year)


def holiday_name(day: dt.date) -> str | None:
    name = _japan(day.year).get(day)
    return str(name) if name else None


def is_year_end_break(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: dt.date, *, exclude_year_end: bool = True) -> bool:
    """Monday to Friday, not a public holiday, and (by default) not in the year-end break."""
    if day.weekday() >= 5 or is_public_holiday(day):
        return False
    return not (exclude_year_end and is_year_end_break(day))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day where it has no such day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def next_yearly(month: int, day: int, after: dt.date) -> dt.date:
    """The first month/day strictly after `after` (a deadline that recurs every year)."""
    if day > calendar.monthrange(2001, month)[1]:
        raise ValueError(f"{month}/{day} does not occur every year")
    candidate = dt.date(after.year, month, day)
    return candidate if candidate > after else dt.date(after.year + 1, month, day)


def end_of_day(day: dt.date, time_zone: str) -> dt.datetime:
    """The last moment of a local day, as an aware UTC datetime (a deadline "by 31 March" means until midnight)."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=ZoneInfo(time_zone))
    return (local - dt.timedelta(microseconds=1)).astimezone(dt.UTC)


def start_of_day(day: dt.date, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ZoneInfo(time_zone)).astimezone(dt.UTC)
