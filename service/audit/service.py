"""The audit trail: every change, written in the same transaction as the change itself.

Changes to mapped rows are recorded automatically when the session flushes (the bootstrap
installs `record_row_changes` as the sessions' flush hook, in every process kind): the action
(`unit.created`, `user.updated`, …), the target, and a before/after diff of the columns that
changed, minus any a model marks secret (`__audit_exclude__`). Events that are not row changes
(a login, a refused refresh token) are recorded with `record()`. The actor, request id and
client address come from the current context (`service.kit.actor`, `service.kit.requestid`).
The application role may only insert and read audit rows, never update or delete them.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from service.audit.models import AuditEvent
from service.audit.repository import AuditRepository, add_events
from service.audit.schemas import AuditFilter
from service.kit.actor import current_actor
from service.kit.context import Ctx
from service.kit.db import Database, set_platform, set_tenant
from service.kit.ids import uuid7
from service.kit.requestid import current_request_id

# Bookkeeping columns: they change with every update and say nothing an auditor needs.
_NOISE = frozenset({"version", "updated_at", "created_at"})


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return None
    return value


def _target_kind(obj: Any) -> str:
    table: str = obj.__tablename__
    return getattr(obj, "__audit_name__", table[:-1] if table.endswith("s") else table)


def _tenant_of(session: Session, obj: Any) -> uuid.UUID | None:
    tenant = getattr(obj, "tenant_id", None)
    if tenant is not None:
        return tenant if isinstance(tenant, uuid.UUID) else uuid.UUID(str(tenant))
    # A tenant row itself: its events belong to it when acted on inside it, else to the platform.
    current = session.info.get("tenant_id")
    if obj.__tablename__ == "tenants" and current == obj.id:
        return obj.id  # type: ignore[no-any-return]
    return None


def _event(
    session: Session,
    *,
    tenant_id: uuid.UUID | None,
    action: str,
    target_kind: str,
    target_id: str | None,
    changes: dict[str, Any],
    occurred_at: dt.datetime,
) -> AuditEvent:
    actor = current_actor()
    return AuditEvent(
        id=uuid7(),
        tenant_id=tenant_id,
        occurred_at=occurred_at,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        changes=changes,
        request_id=current_request_id(),
        client_ip=actor.client_ip,
    )


def _audited(obj: Any) -> bool:
    return hasattr(obj, "__tablename__") and getattr(obj, "__audited__", True)


def _now(session: Session) -> dt.datetime:
    clock = session.info.get("clock")
    return clock.now() if clock is not None else dt.datetime.now(dt.UTC)


def record_row_changes(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    now = _now(session)
    pending: list[AuditEvent] = []
    for obj in list(session.new):
        if not _audited(obj):
            continue
        mapper = inspect(obj).mapper
        excluded = getattr(obj, "__audit_exclude__", frozenset()) | _NOISE
        changes = {
            col.key: [None, _plain(getattr(obj, col.key))]
            for col in mapper.column_attrs
            if col.key not in excluded and getattr(obj, col.key) is not None
        }
        pending.append(_change_event(session, obj, "created", changes, now))
    for obj in list(session.dirty):
        if not _audited(obj) or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        excluded = getattr(obj, "__audit_exclude__", frozenset()) | _NOISE
        changes = {}
        for attr in state.mapper.column_attrs:
            if attr.key in excluded:
                continue
            history = state.attrs[attr.key].history
            if history.has_changes():
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if before != after:
                    changes[attr.key] = [_plain(before), _plain(after)]
        if changes:
            pending.append(_change_event(session, obj, "updated", changes, now))
    for obj in list(session.deleted):
        if not _audited(obj):
            continue
        excluded = getattr(obj, "__audit_exclude__", frozenset()) | _NOISE
        changes = {
            col.key: [_plain(getattr(obj, col.key)), None]
            for col in inspect(obj).mapper.column_attrs
            if col.key not in excluded
        }
        pending.append(_change_event(session, obj, "deleted", changes, now))
    add_events(session, pending)


def _change_event(session: Session, obj: Any, verb: str, changes: dict[str, Any], now: dt.datetime) -> AuditEvent:
    kind = _target_kind(obj)
    return _event(
        session,
        tenant_id=_tenant_of(session, obj),
        action=f"{kind}.{verb}",
        target_kind=kind,
        target_id=str(obj.id),
        changes=changes,
        occurred_at=now,
    )


def record(
    session: AsyncSession,
    action: str,
    *,
    target_kind: str,
    target_id: uuid.UUID | str | None,
    tenant_id: uuid.UUID | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """An event that is not a row change (a login, a refused refresh token, an export)."""
    sync = session.sync_session
    event = _event(
        sync,
        tenant_id=tenant_id,
        action=action,
        target_kind=target_kind,
        target_id=str(target_id) if target_id is not None else None,
        changes={k: _plain(v) for k, v in (changes or {}).items()},
        occurred_at=_now(sync),
    )
    add_events(sync, [event])


# ---- reading the trail -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "occurred_at", "action", "actor_kind", "actor_id", "actor_label",
    "target_kind", "target_id", "changes", "request_id", "client_ip", "id",
]  # fmt: skip
EXPORT_BATCH = 1000


async def list_events(
    ctx: Ctx, filters: AuditFilter, before: uuid.UUID | None, limit: int
) -> tuple[list[AuditEvent], bool]:
    """The tenant's trail, newest first."""
    return await AuditRepository(ctx.session, ctx.tenant_id).page(filters, before, limit)


async def list_platform_events(
    session: AsyncSession, filters: AuditFilter, before: uuid.UUID | None, limit: int
) -> tuple[list[AuditEvent], bool]:
    """The platform's own trail (a platform session), newest first."""
    return await AuditRepository(session, None).page(filters, before, limit)


def record_export(ctx: Ctx, filters: AuditFilter) -> None:
    """An export of the tenant's trail is itself in the trail, with the filters it used."""
    record(
        ctx.session,
        "audit.exported",
        target_kind="audit_trail",
        target_id=None,
        tenant_id=ctx.tenant_id,
        changes={"filters": msgspec.to_builtins(filters)},
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; an auditor's export must not.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


async def export_rows(db: Database, tenant_id: uuid.UUID | None, filters: AuditFilter) -> AsyncIterator[bytes]:
    """Every event matching the filters as CSV (UTF-8 with a BOM), read in batches, each in a
    transaction of its own, so a long export holds no transaction open while it is sent."""
    yield "\ufeff".encode()  # a BOM, so spreadsheet software reads the Japanese correctly
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    before: uuid.UUID | None = None
    while True:
        async with db.unit_of_work() as session:
            if tenant_id is None:
                await set_platform(session)
            else:
                await set_tenant(session, tenant_id)
            rows, more = await AuditRepository(session, tenant_id).page(filters, before, EXPORT_BATCH)
        for row in rows:
            writer.writerow(
                [
                    _cell(row.occurred_at.isoformat()),
                    _cell(row.action),
                    _cell(row.actor_kind),
                    _cell(row.actor_id),
                    _cell(row.actor_label),
                    _cell(row.target_kind),
                    _cell(row.target_id),
                    _cell(json.dumps(row.changes, ensure_ascii=False, sort_keys=True)),
                    _cell(row.request_id),
                    _cell(row.client_ip),
                    _cell(row.id),
                ]
            )
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if not more or not rows:
            return
        before = rows[-1].id
