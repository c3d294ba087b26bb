"""Facts about accounts that other domains react to, inside the same unit of work.

The accounts domain publishes them; the domains that act on accounts subscribe in their
`tasks.register()`. A subscriber that fails fails the whole unit of work: the fact and every
reaction commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.models import Account
from service.kit.clock import Clock
from service.kit.registry import Hook


@dataclass(frozen=True, slots=True)
class AccountOpened:
    session: AsyncSession
    account: Account
    config: dict[str, Any]  # the guideline configuration it opened under
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class PostRecorded:
    session: AsyncSession
    account: Account
    clock: Clock


@dataclass(frozen=True, slots=True)
class PeoplePurged:
    session: AsyncSession
    account: Account
    marker: str  # what now stands where a person's name stood
    now: dt.datetime


ACCOUNT_OPENED: Hook[AccountOpened] = Hook(
    "account.opened", "An account was approved and is active: its rounds, rotations and reminders begin."
)
POST_RECORDED: Hook[PostRecorded] = Hook("account.post_recorded", "A post newer than any before it was recorded.")
PEOPLE_PURGED: Hook[PeoplePurged] = Hook(
    "account.people_purged", "The retention of a closed account ran out: every record naming its people forgets them."
)
