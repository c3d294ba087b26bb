"""Events: what happened, emitted in the transaction that made it happen.

`emit()` stores the event and queues its dispatch in the same transaction, so an event exists,
and is delivered, exactly when its cause committed. Dispatch fans it out to the tenant's webhook
endpoints and to the people it concerns (by mail, in their language).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.models import Event
from service.kit.ids import uuid7
from service.kit.queue import enqueue

# type -> (Japanese description, English description). Later capabilities emit them.
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "deadline.due": ("期限が近づいた、または到来した", "A deadline is approaching or has arrived"),
    "deadline.overdue": ("期限を過ぎても対応がない", "A deadline passed without the action it asked for"),
    "account.status_changed": ("公式アカウントの状態が変わった", "An official account's status changed"),
    "closure.announced": ("アカウントの廃止が周知された", "An account's closure was announced"),
    "closure.withdrawn": ("アカウントの廃止が取り下げられた", "An account's closure was withdrawn"),
    "closure.completed": ("アカウントの廃止が完了した", "An account's closure was completed"),
    "closure.announcement_due": ("廃止の周知日が来た", "An announcement of an account's closure is due"),
    "closure.steps_outstanding": (
        "終了日を過ぎても廃止の手続きが確認されていない",
        "An account's last day passed with closure steps unconfirmed",
    ),
    "renewal.reminder": (
        "継続希望の申し出がまだない（期限前の催促）",
        "A continuation declaration is still to be made",
    ),
    "renewal.overdue": (
        "継続希望の申し出が期限を過ぎてもない",
        "A continuation declaration was not made by its deadline",
    ),
    "renewal.declared": ("継続希望の申し出があった", "A continuation declaration was made"),
    "password.rotation_due": ("SNSアカウントのパスワード変更の時期が来た", "An account's password is due for a change"),
    "account.staff_moved": (
        "アカウントの管理者・担当者が異動した（管理者とパスワードの変更が必要）",
        "A manager or operator of an account left (a new manager and password are needed)",
    ),
    "monitoring.due": ("モニタリングの時期が来た", "An account is due to be monitored"),
    "review.due": (
        "アカウントの定期的な見直し（目標の検証・セキュリティ設定の確認）の時期が来た",
        "An account is due for its periodic review (targets, or security settings)",
    ),
    "account.inactive": ("アカウントの更新が長く止まっている", "An account has not posted for longer than allowed"),
    "incident.reported": ("トラブルが報告された", "An incident was reported"),
    "incident.resolved": ("トラブルが解決した", "An incident was resolved"),
    "contract.ending": ("委託契約の終了が近づいた", "A contractor agreement is about to end"),
    "contract.ended": ("委託契約が終了した", "A contractor agreement ended"),
    "contract.password_change_overdue": (
        "委託契約の終了後、対象アカウントのパスワード変更が記録されていない",
        "A covered account's password change was not recorded after the agreement ended",
    ),
    "application.submitted": ("申請が提出された", "An application was submitted"),
    "application.approved": ("申請が承認された", "An application was approved"),
    "application.rejected": ("申請が却下された", "An application was rejected"),
    "application.withdrawn": ("申請が取り下げられた", "An application was withdrawn"),
}


async def emit(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    type: str,
    subject_kind: str,
    subject_id: str | None,
    data: dict[str, Any],
    now: dt.datetime,
) -> Event:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type}")
    event = Event(
        id=uuid7(),
        tenant_id=tenant_id,
        type=type,
        subject_kind=subject_kind,
        subject_id=subject_id,
        data=data,
        occurred_at=now,
    )
    session.add(event)
    await session.flush()
    await enqueue(session, "dispatch_event", tenant_id=tenant_id, now=now, event_id=str(event.id))
    return event
