"""The public register and verification, read without a login.

Both read across the tenant boundary on purpose, and only through SECURITY DEFINER functions
that return published columns (migration 0005): the application role itself still cannot see
another tenant's rows. A register is read inside one transaction that sets its tenant, so
row-level security holds for it as for any request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from service.accounts.urls import AccountRef, account_keys
from service.kit.db import Database
from service.kit.i18n import text as message
from service.register.schemas import (
    Agency,
    FakeAccountWarning,
    ImpersonationNotice,
    Query,
    Register,
    RegisteredAccount,
    Verification,
    VerifiedAccount,
)

PUBLIC_STATUS = {"active": "official", "suspended": "suspended", "closing": "closing", "closed": "formerly_official"}
# Which record answers when several share a key: the live one, else the most recently closed.
_PRECEDENCE = {"active": 0, "suspended": 1, "closing": 2, "closed": 3}

_REGISTER = text(
    """
    SELECT a.platform, a.display_name, a.canonical_url AS url, a.handle, u.name_ja AS unit_ja,
           u.name_en AS unit_en, a.purpose, a.status, a.opened_on, a.closing_on, a.closed_on,
           d.public_url AS account_policy_url
      FROM accounts a
      JOIN units u ON u.tenant_id = a.tenant_id AND u.id = a.unit_id
      LEFT JOIN account_documents d ON d.account_id = a.id AND d.kind = 'account_policy'
     WHERE a.tenant_id = :tenant AND a.status IN ('active', 'suspended', 'closing', 'closed')
     ORDER BY u.code, a.platform, a.display_name, a.id
    """
)
_WARNINGS = text(
    """
    SELECT platform, url, handle, note_ja, note_en, reported_at FROM impersonation_warnings
     WHERE tenant_id = :tenant AND active ORDER BY reported_at DESC, id
    """
)


def agency(row: Any, base_url: str) -> Agency:
    path = f"{base_url}/v1/public/tenants/{row.slug}/register"
    return Agency(
        slug=row.slug, name_ja=row.name_ja, name_en=row.name_en, register_url=path, register_page_url=f"{path}.html"
    )


async def register_of(db: Database, slug: str, base_url: str) -> Register | None:
    """The tenant's published accounts and warnings, or None for no such tenant."""
    async with db.engine.begin() as conn:
        tenant = (await conn.execute(text("SELECT * FROM koshiki_public_tenant(:slug)"), {"slug": slug})).first()
        if tenant is None:
            return None
        # Transaction-local, like every request's tenant context.
        await conn.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant.id)})
        rows = (await conn.execute(_REGISTER, {"tenant": tenant.id})).all()
        warnings = (await conn.execute(_WARNINGS, {"tenant": tenant.id})).all()
    accounts = [_registered(row) for row in rows]
    return Register(
        agency=agency(tenant, base_url),
        accounts=[a for a in accounts if a.status != "formerly_official"],
        closed=sorted(
            (a for a in accounts if a.status == "formerly_official"),
            key=lambda a: a.closed_on or dt.date.min,
            reverse=True,
        ),
        warnings=[
            FakeAccountWarning(
                platform=w.platform,
                url=w.url,
                handle=w.handle,
                note_ja=w.note_ja,
                note_en=w.note_en,
                reported_on=w.reported_at.date(),
            )
            for w in warnings
        ],
    )


def _registered(row: Any) -> RegisteredAccount:
    return RegisteredAccount(
        platform=row.platform,
        display_name=row.display_name,
        url=row.url,
        handle=row.handle,
        unit_ja=row.unit_ja,
        unit_en=row.unit_en,
        purpose=row.purpose,
        status=PUBLIC_STATUS[row.status],  # type: ignore[arg-type]
        opened_on=row.opened_on,
        closing_on=row.closing_on,
        closed_on=row.closed_on,
        account_policy_url=row.account_policy_url,
    )


async def verify(db: Database, ref: AccountRef, base_url: str) -> Verification:
    """What the register says about one platform account, across every tenant: one statement."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        rows = (
            await conn.execute(text("SELECT * FROM koshiki_verify_accounts(:keys)"), {"keys": list(account_keys(ref))})
        ).all()
    return answer(ref, rows, base_url)


def answer(ref: AccountRef, rows: Sequence[Any], base_url: str) -> Verification:
    query = Query(platform=ref.platform, handle=ref.handle, canonical_url=ref.canonical_url)
    notices = [
        ImpersonationNotice(
            agency=agency(w, base_url),
            note_ja=w.note_ja,
            note_en=w.note_en,
            message_ja=message("verify.impersonation", "ja", agency=w.name_ja),
            message_en=message("verify.impersonation", "en", agency=w.name_en),
        )
        for w in rows
        if w.kind == "warning"
    ]
    accounts = sorted(
        (r for r in rows if r.kind == "account"),
        key=lambda r: (_PRECEDENCE[r.status], -(r.closed_on or dt.date.min).toordinal()),
    )
    if not accounts:
        return Verification(
            verdict="unknown",
            query=query,
            message_ja=message("verify.unknown", "ja"),
            message_en=message("verify.unknown", "en"),
            impersonation_warnings=notices,
        )
    best = accounts[0]
    verdict = PUBLIC_STATUS[best.status]
    when = best.closing_on if verdict == "closing" else best.closed_on
    return Verification(
        verdict=verdict,  # type: ignore[arg-type]
        query=query,
        message_ja=message(f"verify.{verdict}", "ja", agency=best.name_ja, date=_date_ja(when)),
        message_en=message(f"verify.{verdict}", "en", agency=best.name_en, date=_date_en(when)),
        account=VerifiedAccount(
            platform=best.platform,
            display_name=best.display_name,
            url=best.canonical_url,
            closing_on=best.closing_on,
            closed_on=best.closed_on,
        ),
        agency=agency(best, base_url),
        impersonation_warnings=notices,
    )


def _date_ja(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _date_en(day: dt.date | None) -> str:
    return f"{day.day} {day:%B} {day.year}" if day else ""
