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

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from service.audit.models import AuditEvent
from service.kit.actor import current_actor
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
    session.add_all(pending)


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
    session.add(
        _event(
            session.sync_session,
            tenant_id=tenant_id,
            action=action,
            target_kind=target_kind,
            target_id=str(target_id) if target_id is not None else None,
            changes={k: _plain(v) for k, v in (changes or {}).items()},
            occurred_at=_now(session.sync_session),
        )
    )
