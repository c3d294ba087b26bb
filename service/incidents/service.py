"""Incidents: reported, a timeline of what was done and who was told, resolved.

The tenant's configuration names the kinds it handles and who must be told (愛媛県: the unit head,
the PR division, information security, the police for crimes, the press); an incident shows who
is still to be told until a "notified" entry names them. An impersonation can publish a warning in
the register naming the fake account (by default where the tenant announces impersonation on its
site). A takeover suspends the account at once and asks for its password to be changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import AttentionReason
from service.accounts.schemas import WarningCreate
from service.events.service import emit
from service.guidelines import service as guidelines
from service.incidents.models import Incident, IncidentEntry, IncidentState
from service.incidents.repository import IncidentsRepository
from service.incidents.schemas import EntryCreate, IncidentCreate
from service.kit.context import Ctx
from service.kit.errors import FieldError, Msg, ProblemError, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Permission

TAKEOVER = "takeover"


async def get_incident(ctx: Ctx, incident_id: uuid.UUID, *, lock: bool = False) -> Incident:
    return await IncidentsRepository(ctx.session, ctx.tenant_id).get_or_404(incident_id, lock=lock)


async def list_incidents(ctx: Ctx, before: uuid.UUID | None, limit: int, **filters: Any) -> tuple[list[Incident], bool]:
    return await IncidentsRepository(ctx.session, ctx.tenant_id).newest_first(before, limit, **filters)


async def entries_of(session: AsyncSession, incident: Incident) -> list[IncidentEntry]:
    return await IncidentsRepository(session, incident.tenant_id).entries(incident)


def procedure(config: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The tenant's procedure for a kind of incident (`/incidents/procedures`), if it has one."""
    for rule in config.get("incidents", {}).get("procedures", []):
        if rule.get("kind") == kind:
            found: dict[str, Any] = rule
            return found
    return None


def must_tell(incident: Incident, config: dict[str, Any]) -> list[str]:
    """Who must be told, in the order the rules give (the unit head first where they say so): the
    kind's procedure, and those to tell of a crime when one is suspected. A tenant that names
    procedures but none for this kind asks its general administrators; a configuration of the older
    shape (one list for every kind) is read as it is."""
    rules = config.get("incidents", {})
    rule = procedure(config, incident.kind)
    if rule is not None:
        required = list(rule.get("report_to", []))
        if incident.crime:
            required += [p for p in rule.get("report_if_crime", []) if p not in required]
    elif "procedures" in rules:
        required = ["unit_head", "general_administrator"] if incident.account_id else ["general_administrator"]
    else:
        required = list(rules.get("report_to", []))
    if incident.crime and rules.get("police_for_crimes") and "police" not in required:
        required.append("police")
    return required


def to_notify(incident: Incident, config: dict[str, Any], entries: list[IncidentEntry]) -> list[str]:
    """Who must be told and has not been yet (a "notified" entry names them)."""
    told = {e.notified for e in entries if e.kind == "notified"}
    return [party for party in must_tell(incident, config) if party not in told]


def advisable(incident: Incident, config: dict[str, Any], entries: list[IncidentEntry]) -> list[str]:
    """Who to tell where the situation calls for it (the press, for an impersonation that spreads)."""
    rule = procedure(config, incident.kind) or {}
    told = {e.notified for e in entries if e.kind == "notified"}
    return [party for party in rule.get("report_if_needed", []) if party not in told]


async def report(ctx: Ctx, data: IncidentCreate) -> Incident:
    session, tenant_id = ctx.session, ctx.tenant_id
    _, config = await guidelines.in_force_today(session, tenant_id, ctx.clock)
    # Every kind can be recorded; the configuration says which have a procedure (`procedure`).
    rules = (config or {}).get("incidents", {})
    account = None
    if data.account_id is not None:
        account = await accounts.get(ctx, data.account_id, lock=True, permission=Permission.ACCOUNTS_WRITE)
    if data.kind == TAKEOVER and account is None:
        raise validation_failed([FieldError(Msg("incident.takeover-needs-account"), "required", "/account_id")])
    now = ctx.now()
    incident = Incident(
        id=uuid7(),
        tenant_id=tenant_id,
        account_id=data.account_id,
        kind=data.kind,
        severity=data.severity,
        title=data.title,
        description=data.description,
        crime=data.crime,
        fake_url=data.fake_url,
        state=IncidentState.OPEN,
        reported_by=ctx.access.label,
        reported_at=now,
        created_at=now,
        updated_at=now,
    )
    publish = data.publish_warning
    if publish is None:
        announced = "site_announcement" in (procedure(config or {}, data.kind) or {}).get("actions", [])
        publish = data.kind == "impersonation" and (announced or bool(rules.get("impersonation_announced_on_site")))
    if publish:
        if data.kind != "impersonation" or not data.fake_url:
            raise validation_failed([FieldError(Msg("incident.warning-needs-fake"), "required", "/fake_url")])
        warning = await accounts.publish_warning(
            ctx, WarningCreate(url=data.fake_url, note_ja=data.title), pointer="/fake_url"
        )
        incident.warning_id = warning.id
    session.add(incident)
    await session.flush()
    if data.kind == TAKEOVER and account is not None:
        await _contain_takeover(session, account, incident, now)
    await _event(session, incident, "incident.reported", now, must_tell=must_tell(incident, config or {}))
    return incident


async def _contain_takeover(session: AsyncSession, account: Any, incident: Incident, now: dt.datetime) -> None:
    """A taken-over account is suspended at once (verification says so) and needs a new password."""
    if account.status == "active":
        await accounts.transition(session, account, "suspend", now, reason=f"incident:{incident.id}")
    accounts.set_attention(account, AttentionReason.PASSWORD_CHANGE_NEEDED, on=True)
    account.updated_at = now
    session.add(
        IncidentEntry(
            id=uuid7(), tenant_id=incident.tenant_id, incident_id=incident.id, happened_at=now, kind="action",
            note="アカウントを一時停止し、パスワードの変更を求めた / suspended the account and asked for a password change",
            recorded_by="system", created_at=now,
        )
    )  # fmt: skip
    await session.flush()


async def add_entry(ctx: Ctx, incident: Incident, data: EntryCreate) -> IncidentEntry:
    if data.kind == "notified" and data.notified is None:
        raise validation_failed([FieldError(Msg("incident.notified-whom"), "required", "/notified")])
    now = ctx.now()
    entry = IncidentEntry(
        id=uuid7(),
        tenant_id=incident.tenant_id,
        incident_id=incident.id,
        happened_at=data.happened_at or now,
        kind=data.kind,
        notified=data.notified if data.kind == "notified" else None,
        note=data.note,
        recorded_by=ctx.access.label,
        created_at=now,
    )
    ctx.session.add(entry)
    incident.updated_at = now
    await ctx.session.flush()
    return entry


async def resolve(ctx: Ctx, incident: Incident, resolution: str) -> None:
    if incident.state != IncidentState.OPEN:
        raise ProblemError(
            "conflict",
            Msg("conflict.incident-resolved"),
            extensions={"reason": "illegal-transition", "current_state": incident.state},
        )
    now = ctx.now()
    incident.state, incident.resolved_at, incident.resolution, incident.updated_at = (
        IncidentState.RESOLVED,
        now,
        resolution,
        now,
    )
    await ctx.session.flush()
    await _event(ctx.session, incident, "incident.resolved", now)


async def _event(
    session: AsyncSession, incident: Incident, kind: str, now: dt.datetime, must_tell: list[str] | None = None
) -> None:
    label = incident.title
    if incident.account_id is not None:
        account = await accounts.get_account(session, incident.tenant_id, incident.account_id)
        label = f"{account.display_name}：{incident.title}"
    await emit(
        session,
        tenant_id=incident.tenant_id,
        type=kind,
        subject_kind="incident",
        subject_id=str(incident.id),
        data={
            "incident_kind": incident.kind,
            "severity": incident.severity,
            "account_id": str(incident.account_id) if incident.account_id else "",
            "subject_label": label,
            "must_tell": must_tell or [],
        },
        now=now,
    )
