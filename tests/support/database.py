"""The database a test run creates, bootstraps, migrates and drops."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatabaseUnderTest:
    admin_url: str
    name: str
    app_url: str
    owner_url: str
