"""Acknowledgements of the guideline, and training sessions (表5; 004 第3の3(2)).

Staff acknowledge a version of the tenant's guideline: the one in force today, or one they name.
Each user acknowledges a version once; asking again returns the same record. When a new version
is recorded, the operations managers and operators of the live accounts are asked to acknowledge
it (`guideline.acknowledgement_requested`), and a reminder deadline ACKNOWLEDGEMENT_PERIOD later
asks again those who still have not (`guideline.acknowledgement_overdue`, the general
administrators told too) — unless a newer version has been recorded since, which asks afresh.

Training sessions are records of what the tenant held: the day, a title, a kind, and who attended.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.deadlines.models import Deadline
from service.deadlines.service import schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.guidelines.hooks import GuidelineChanged
from service.identity.models import User
from service.kit.calendar import end_of_day
from service.kit.clock import local_today
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, ProblemError, not_found, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Role
from service.tenants.service import tenant_of
from service.training.models import Acknowledgement, AcknowledgementDeadline, TrainingKind, TrainingSession
from service.training.repository import AcknowledgementsRepository, TrainingSessionsRepository
from service.training.schemas import AcknowledgementCreate, TrainingSessionCreate
from service.users import service as users

# How long the people asked have to acknowledge a new version before they are asked again (and the
# general administrators told): two weeks, counted in the tenant's days, to the end of the 14th.
ACKNOWLEDGEMENT_PERIOD = dt.timedelta(days=14)
# Roles that acknowledge: staff of the tenant. A contractor follows its agreement, not the staff's
# acknowledgement; an agency system or a platform operator is nobody who could have read it.
ACKNOWLEDGING_ROLES = frozenset({Role.GENERAL_ADMINISTRATOR, Role.OPERATIONS_MANAGER, Role.UNIT_HEAD,
                                 Role.OPERATOR, Role.AUDITOR})  # fmt: skip


class _Raced(Exception):
    """Someone recorded the same acknowledgement between our look and our insert."""


# ---- acknowledgements -----------------------------------------------------------------------------


async def _version(ctx: Ctx, number: int | None) -> int:
    if number is None:
        return (await guidelines.version_in_force(ctx)).version
    try:
        return (await guidelines.get_version(ctx, number)).version
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        raise not_found("guideline-version", "/version") from exc


async def acknowledge(ctx: Ctx, data: AcknowledgementCreate) -> tuple[Acknowledgement, bool]:
    """The caller's acknowledgement of the version, and whether it is new (False: it was there)."""
    version = await _version(ctx, data.version)
    user_id = ctx.principal.id
    repo = AcknowledgementsRepository(ctx.session, ctx.tenant_id)
    if (found := await repo.of(version, user_id)) is not None:
        return found, False
    user = await users.get_user(ctx, user_id)
    now = ctx.now()
    row = repo.add(
        Acknowledgement(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            version=version,
            user_id=user_id,
            unit_id=user.unit_id,
            acknowledged_at=now,
            created_at=now,
        )
    )
    try:
        await flush_or_conflict(ctx.session, _Raced())
    except _Raced:  # the same request twice at once: the other one's row is the answer
        if (found := await repo.of(version, user_id)) is None:
            raise
        return found, False
    return row, True


async def list_acknowledgements(
    ctx: Ctx, before: uuid.UUID | None, limit: int, **filters: Any
) -> tuple[list[Acknowledgement], bool]:
    return await AcknowledgementsRepository(ctx.session, ctx.tenant_id).newest_first(before, limit, **filters)


async def acknowledging_units(session: AsyncSession, tenant_id: uuid.UUID, version: int) -> set[uuid.UUID]:
    """The units of the users who acknowledged `version` (each user's unit when they acknowledged)."""
    return await AcknowledgementsRepository(session, tenant_id).units_of(version)


async def not_yet_acknowledged(session: AsyncSession, tenant_id: uuid.UUID, version: int) -> list[User]:
    """The active operations managers and operators of live accounts who have not acknowledged `version`."""
    asked = await accounts.people_of_live_accounts(session, tenant_id)
    done = await AcknowledgementsRepository(session, tenant_id).users_of(version)
    return await users.active_users(session, tenant_id, asked - done)


async def guideline_changed(fact: GuidelineChanged) -> None:
    """A version was recorded (or a preset applied again): unless its people were asked already, the
    latest version's acknowledgement is asked for, with its reminder. Idempotent: the reminder's
    dedupe key says whether they were. Nobody to ask (no live accounts yet): nothing happens."""
    session, tenant_id, now = fact.session, fact.tenant_id, fact.now
    latest = await guidelines.latest_of(session, tenant_id)
    if latest is None or not await not_yet_acknowledged(session, tenant_id, latest.version):
        return
    zone = (await tenant_of(session, tenant_id)).time_zone
    due_on = now.astimezone(ZoneInfo(zone)).date() + ACKNOWLEDGEMENT_PERIOD
    payload = {"version": latest.version, "due_on": due_on.isoformat()}
    new = await schedule(
        session,
        tenant_id=tenant_id,
        kind=AcknowledgementDeadline.REMINDER,
        subject_kind="guideline_version",
        subject_id=str(latest.version),
        due_at=end_of_day(due_on, zone),
        dedupe_key=f"acknowledgement:{latest.version}",
        now=now,
        payload=payload,
    )
    if new:
        await _event(session, tenant_id, "guideline.acknowledgement_requested", latest.version, due_on, now)


async def reminder_due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    """Ask again those who have not acknowledged, and tell the general administrators; nothing when
    everyone has, or when a newer version has been recorded since (it has its own request)."""
    version = int(deadline.payload["version"])
    latest = await guidelines.latest_of(session, deadline.tenant_id)
    if latest is None or latest.version != version:
        return
    pending = await not_yet_acknowledged(session, deadline.tenant_id, version)
    if not pending:
        return
    due_on = dt.date.fromisoformat(str(deadline.payload["due_on"]))
    await _event(
        session, deadline.tenant_id, "guideline.acknowledgement_overdue", version, due_on, now, pending=len(pending)
    )


async def _event(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    version: int,
    due_on: dt.date,
    now: dt.datetime,
    **extra: int,
) -> None:
    await emit(
        session,
        tenant_id=tenant_id,
        type=kind,
        subject_kind="guideline_version",
        subject_id=str(version),
        data={"version": version, "due_on": due_on.isoformat(), **extra},
        now=now,
    )


# ---- training sessions -----------------------------------------------------------------------------


async def record_session(ctx: Ctx, data: TrainingSessionCreate) -> TrainingSession:
    zone = (await tenant_of(ctx.session, ctx.tenant_id)).time_zone
    if data.held_on > local_today(ctx.clock, zone):
        raise validation_failed([FieldError(Msg("training.held-in-future"), "in_future", "/held_on")])
    attendees = list(dict.fromkeys(data.attendee_ids))
    known = await users.tenant_user_ids(ctx.session, ctx.tenant_id, attendees)
    strangers = [i for i, user in enumerate(data.attendee_ids) if user not in known]
    if strangers:
        message = Msg("detail.not-found", {"resource": Msg("resource.user")})
        raise ProblemError(
            "not-found",
            message,
            errors=[FieldError(message, "not_found", f"/attendee_ids/{i}") for i in strangers],
        )
    now = ctx.now()
    row = TrainingSessionsRepository(ctx.session, ctx.tenant_id).add(
        TrainingSession(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            held_on=data.held_on,
            title=data.title,
            kind=data.kind,
            note=data.note,
            attendee_ids=attendees,
            recorded_by=ctx.access.label,
            created_at=now,
        )
    )
    await ctx.session.flush()
    return row


async def get_session(ctx: Ctx, session_id: uuid.UUID) -> TrainingSession:
    return await TrainingSessionsRepository(ctx.session, ctx.tenant_id).get_or_404(session_id)


async def list_sessions(
    ctx: Ctx,
    after: tuple[dt.date, uuid.UUID] | None,
    limit: int,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kind: TrainingKind | None = None,
) -> tuple[list[TrainingSession], bool]:
    if since is not None and until is not None and since > until:
        message = Msg("training.until-before-since")
        raise validation_failed([FieldError(message, "out_of_order", parameter="until", location="query")])
    return await TrainingSessionsRepository(ctx.session, ctx.tenant_id).newest_first(
        after, limit, since=since, until=until, kind=kind
    )


async def sessions_between(
    session: AsyncSession, tenant_id: uuid.UUID, since: dt.date, until: dt.date
) -> list[TrainingSession]:
    """The sessions held from `since` to `until` (both included), by day, each with its attendee ids."""
    return await TrainingSessionsRepository(session, tenant_id).between(since, until)
