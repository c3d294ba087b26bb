"""Facts about closures other domains react to, inside the same unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.models import Account
from service.kit.registry import Hook


@dataclass(frozen=True, slots=True)
class StepConfirming:
    session: AsyncSession
    account: Account
    step: str  # the configuration's step, e.g. `delete_posts_and_comments`


STEP_CONFIRMING: Hook[StepConfirming] = Hook(
    "closure.step_confirming",
    "A closure step is about to be confirmed: a domain that can prove it undone refuses (raises a problem).",
)
