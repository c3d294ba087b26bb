"""The public register and verification, read without a login.

Both read across the tenant boundary on purpose, and only through the `published_*` views
(migration 0006): published columns of published rows, owned by the definer role. The
application role itself still cannot read another tenant's tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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

_TENANT = "SELECT id, slug, name_ja, name_en FROM published_tenants WHERE slug = $1"
_REGISTER = """
    SELECT platform, display_name, canonical_url AS url, handle, unit_ja, unit_en, purpose, status,
           opened_on, closing_on, closed_on, account_policy_url
      FROM published_accounts WHERE tenant_id = $1
     ORDER BY unit_code, platform, display_name, canonical_url
"""
_WARNINGS = """
    SELECT platform, url, handle, note_ja, note_en, reported_at FROM published_warnings
     WHERE tenant_id = $1 ORDER BY reported_at DESC, url
"""
# One round trip for every record under any of the keys, and every warning about them.
_VERIFY = "SELECT * FROM koshiki_verify($1)"


def agency(row: Any, base_url: str) -> Agency:
    path = f"{base_url}/v1/public/tenants/{row['slug']}/register"
    return Agency(
        slug=row["slug"],
        name_ja=row["name_ja"],
        name_en=row["name_en"],
        register_url=path,
        register_page_url=f"{path}.html",
    )


async def register_of(db: Database, slug: str, base_url: str) -> Register | None:
    """The tenant's published accounts and warnings, or None for no such tenant."""
    tenants = await db.fetch(_TENANT, slug)
    if not tenants:
        return None
    tenant = tenants[0]
    accounts = [_registered(row) for row in await db.fetch(_REGISTER, tenant["id"])]
    warnings = await db.fetch(_WARNINGS, tenant["id"])
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
                platform=w["platform"],
                url=w["url"],
                handle=w["handle"],
                note_ja=w["note_ja"],
                note_en=w["note_en"],
                reported_on=w["reported_at"].date(),
            )
            for w in warnings
        ],
    )


def _registered(row: Any) -> RegisteredAccount:
    return RegisteredAccount(**{**row, "status": PUBLIC_STATUS[row["status"]]})


async def verify(db: Database, ref: AccountRef, base_url: str) -> Verification:
    """What the register says about one platform account, across every tenant: one statement."""
    return answer(ref, await db.fetch(_VERIFY, list(account_keys(ref))), base_url)


def answer(ref: AccountRef, rows: Sequence[Any], base_url: str) -> Verification:
    query = Query(platform=ref.platform, handle=ref.handle, canonical_url=ref.canonical_url)
    notices = [
        ImpersonationNotice(
            agency=agency(w, base_url),
            note_ja=w["note_ja"],
            note_en=w["note_en"],
            message_ja=message("verify.impersonation", "ja", agency=w["name_ja"]),
            message_en=message("verify.impersonation", "en", agency=w["name_en"]),
        )
        for w in rows
        if w["kind"] == "warning"
    ]
    accounts = sorted(
        (r for r in rows if r["kind"] == "account"),
        key=lambda r: (_PRECEDENCE[r["status"]], -(r["closed_on"] or dt.date.min).toordinal()),
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
    verdict = PUBLIC_STATUS[best["status"]]
    when = best["closing_on"] if verdict == "closing" else best["closed_on"]
    return Verification(
        verdict=verdict,  # type: ignore[arg-type]
        query=query,
        message_ja=message(f"verify.{verdict}", "ja", agency=best["name_ja"], date=_date_ja(when)),
        message_en=message(f"verify.{verdict}", "en", agency=best["name_en"], date=_date_en(when)),
        account=VerifiedAccount(
            platform=best["platform"],
            display_name=best["display_name"],
            url=best["canonical_url"],
            closing_on=best["closing_on"],
            closed_on=best["closed_on"],
        ),
        agency=agency(best, base_url),
        impersonation_warnings=notices,
    )


def _date_ja(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _date_en(day: dt.date | None) -> str:
    return f"{day.day} {day:%B} {day.year}" if day else ""
