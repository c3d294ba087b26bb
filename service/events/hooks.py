"""The fact the events domain publishes: an event is going out (webhooks and mail subscribe)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.models import Event
from service.kit.registry import Hook


@dataclass(frozen=True, slots=True)
class Dispatch:
    session: AsyncSession
    event: Event
    now: dt.datetime


# Published once per event by the dispatch actor, in its unit of work: what the subscribers queue
# (deliveries, mail) commits with the record that the event was dispatched.
EVENT_DISPATCHED: Hook[Dispatch] = Hook(
    "event.dispatched", "An event goes out: to the webhooks subscribed to it, and by mail to whom it concerns."
)
