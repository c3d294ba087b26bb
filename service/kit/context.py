"""The context a service works in: one unit of work, in one tenant, at one clock, for one caller.

Routes get it from the `ctx` dependency; actors make it with `Ctx.for_system`. Services take it
first and pass it on, instead of five to eight positional arguments in varying order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import Access
from service.kit.auth import Principal
from service.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class Ctx:
    session: AsyncSession
    tenant_id: uuid.UUID
    clock: Clock
    access: Access

    @property
    def principal(self) -> Principal:
        return self.access.principal

    def now(self) -> dt.datetime:
        return self.clock.now()

    @classmethod
    def for_system(cls, session: AsyncSession, tenant_id: uuid.UUID, clock: Clock, label: str) -> Ctx:
        """A worker's or a command's context: the system acts, with every permission."""
        return cls(session, tenant_id, clock, Access.of_system(label, tenant_id))
