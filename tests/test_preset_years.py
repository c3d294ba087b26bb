"""A year in the life of each seed preset, through the API and the workers on real PostgreSQL.

For every preset: two accounts open on 1 April 2026. One is closed through the tenant's closure
(announced at its points where it has an announcement period, its steps confirmed, completed by the
worker at the end); the other records a password change, a monitoring look and an incident, and is
carried across the fiscal year end into the next. What each preset's configuration says is checked
where it shows: the announcement period and points, the closure steps, who is told of an incident,
the declaration round (小山高専 only), password rotation (愛媛県, 美祢市社協), the monitoring rhythm
(weekly, or none for 小山高専's irregular looks), and the inactivity threshold (愛媛県, 小山高専: 180 days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from service.kit.calendar import add_months
from tests.support import (
    Agency,
    Time,
    agency_from_preset,
    apply,
    decide,
    events,
    get,
    long_lived_admin,
    open_account,
    x_handle,
)

PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]
OPENED = dt.date(2026, 4, 1)
JST = dt.timezone(dt.timedelta(hours=9))


def at(day: dt.date, hour: int = 9, minute: int = 30) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST).isoformat()


async def pending(client: httpx.AsyncClient, agency: Agency, subject: str, kind: str) -> list[str]:
    items = (await get(client, agency, "/deadlines?state=pending&limit=200", agency.admin.headers))["items"]
    return [d["due_at"] for d in items if d["subject_id"] == subject and d["kind"] == kind]


async def post(client: httpx.AsyncClient, agency: Agency, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(agency.url(path), json=body, headers=agency.admin.headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("preset", PRESETS)
async def test_a_year_of_accounts_under_each_preset(
    preset: str, client: httpx.AsyncClient, platform: dict[str, str], db: Any, clock: Any, time: Time
) -> None:
    agency = await agency_from_preset(client, platform, preset)
    await long_lived_admin(agency, db, clock)
    rules = agency.config
    kept = await open_account(client, agency)
    leaving = await open_account(client, agency)

    # ---- closure through the announcement period ---------------------------------------------------
    await decide(client, agency, await apply(client, agency, leaving["id"], kind="closure", closure_reason="統合"))
    [closure] = (await get(client, agency, f"/closures?account_id={leaving['id']}", agency.admin.headers))["items"]
    announcement = rules["closure"]["announcement"]
    period = announcement["period_days"] if announcement["required"] else 0
    end = OPENED + dt.timedelta(days=period)
    # Nothing to announce and nothing left to confirm (上尾市, 美祢市, 小山高専): it completes on approval.
    at_once = period == 0 and not closure["outstanding_steps"]
    assert (closure["state"], closure["end_on"]) == ("completed" if at_once else "announcing", end.isoformat())
    assert closure["announcement_days"] == (announcement["points_days_before"] if announcement["required"] else [])
    assert [s["step"] for s in closure["steps"]] == [s["step"] for s in rules["closure"]["steps"]]
    register = (await client.get(f"/v1/public/tenants/{agency.slug}/register")).json()
    if not at_once:
        assert {a["url"]: a["closing_on"] for a in register["accounts"]}[leaving["canonical_url"]] == end.isoformat()
    for days in closure["announcement_days"]:
        await time.to(at(end - dt.timedelta(days=days)))
        await post(client, agency, f"/closures/{closure['id']}/announcements",
                   {"channel": "account", "days_before": days, "url": f"{leaving['canonical_url']}/status/1"})  # fmt: skip
    due = [
        e["data"]["days_before"] for e in await events(client, agency, agency.admin.headers, "closure.announcement_due")
    ]
    assert sorted(due, reverse=True) == closure["announcement_days"]  # each point fell due once
    for step in (await get(client, agency, f"/closures/{closure['id']}", agency.admin.headers))["outstanding_steps"]:
        await post(client, agency, f"/closures/{closure['id']}/steps/{step}/confirm", {})
    await time.to(at(end + dt.timedelta(days=1)))
    done = await get(client, agency, f"/closures/{closure['id']}", agency.admin.headers)
    assert (done["state"], done["outstanding_steps"]) == ("completed", [])
    assert (await get(client, agency, f"/accounts/{leaving['id']}", agency.admin.headers))["status"] == "closed"
    register = (await client.get(f"/v1/public/tenants/{agency.slug}/register")).json()
    assert [a["status"] for a in register["closed"]] == ["formerly_official"]
    assert [a["url"] for a in register["accounts"]] == [kept["canonical_url"]]

    # ---- a password change, a monitoring look and an incident for the account that stays ----------
    await post(client, agency, f"/accounts/{kept['id']}/password-changes", {"meets_policy": True, "note": "定期変更"})
    changed_on = (await get(client, agency, f"/accounts/{kept['id']}", agency.admin.headers))["last_password_change_at"]
    rotation = rules["security"]["account_password"]["rotation"]
    rotation_due = await pending(client, agency, kept["id"], "password.rotation")
    if rotation["mode"] == "periodic":
        changed = dt.datetime.fromisoformat(changed_on).astimezone(JST).date()
        assert [d[:10] for d in rotation_due] == [changed.replace(year=changed.year + 1).isoformat()]
    else:
        assert rotation_due == []  # no periodic change asked: no reminder, ever

    today = clock.now().astimezone(JST).date()
    await post(client, agency, f"/accounts/{kept['id']}/monitoring",
               {"issues_found": False, "monitored_on": today.isoformat()})  # fmt: skip
    monitoring_due = await pending(client, agency, kept["id"], "monitoring.due")
    if rules["monitoring"]["frequency"] == "weekly":
        assert [d[:10] for d in monitoring_due] == [(today + dt.timedelta(days=7)).isoformat()]
    else:
        assert monitoring_due == []

    # Periodic reviews where the tenant asks for them (愛媛県: targets yearly, security settings half-yearly).
    for review, rule in (("periodic_review", rules["renewal"]["periodic_review"]),
                         ("settings_review", rules["security"]["settings_review"])):  # fmt: skip
        wanted = rule.get("required", rule.get("periodic")) and rule["interval_months"]
        due = await pending(client, agency, kept["id"], f"{review}.due")
        assert [d[:10] for d in due] == ([add_months(OPENED, wanted).isoformat()] if wanted else [])

    kind = rules["incidents"]["kinds"][0]
    report = {"kind": kind, "severity": "medium", "title": "年次テスト", "account_id": kept["id"]}
    if kind == "impersonation":  # 上尾市: the fake account is named, and warned about in the register
        report["fake_url"] = f"https://x.com/{x_handle()}"
    incident = await post(client, agency, "/incidents", report)
    if kind == "impersonation":
        warned = (await client.get(f"/v1/public/tenants/{agency.slug}/register")).json()
        assert report["fake_url"] in str(warned)
    [procedure] = [p for p in rules["incidents"]["procedures"] if p["kind"] == kind]
    assert (incident["to_notify"], incident["procedure"]) == (procedure["report_to"], True)
    assert incident["to_notify_if_needed"] == procedure.get("report_if_needed", [])
    await post(client, agency, f"/incidents/{incident['id']}/entries", {"kind": "action", "note": "状況を記録した"})
    resolved = await post(client, agency, f"/incidents/{incident['id']}/resolve", {"resolution": "収束した"})
    assert (resolved["state"], [e["kind"] for e in resolved["timeline"]]) == ("resolved", ["action"])
    with_procedure = {p["kind"] for p in rules["incidents"]["procedures"]}
    # Every kind is recorded (a takeover would suspend the account the year goes on with: not here).
    for other_kind in {"flaming", "impersonation", "unauthorised_access", "other"} - with_procedure:
        body = {"kind": other_kind, "severity": "low", "title": "x", "fake_url": f"https://x.com/{x_handle()}"}
        recorded = await client.post(agency.url("/incidents"), json=body, headers=agency.admin.headers)
        assert (recorded.status_code, recorded.json()["procedure"]) == (201, False), recorded.text

    # ---- across the fiscal year end ------------------------------------------------------------------
    declaration = rules["renewal"]["continuation_declaration"]
    rounds = await get(client, agency, f"/continuation-declarations?account_id={kept['id']}", agency.admin.headers)
    if declaration["required"]:
        [this_year] = rounds["items"]
        assert this_year["due_on"] == "2027-03-31"
        await time.to(at(dt.date(2027, 3, 1)))  # the 30-day reminder
        await post(client, agency, f"/continuation-declarations/{this_year['id']}/declare", {"decision": "continue"})
    else:
        assert rounds["items"] == []  # the tenant asks for no yearly declaration
    await time.to(at(dt.date(2027, 4, 1), hour=10))
    carried = await get(client, agency, f"/accounts/{kept['id']}", agency.admin.headers)
    assert carried["status"] == "active"
    assert "renewal_overdue" not in carried["attention_reasons"]
    after = await get(client, agency, f"/continuation-declarations?account_id={kept['id']}", agency.admin.headers)
    assert sorted((d["due_on"], d["state"]) for d in after["items"]) == (
        [("2027-03-31", "declared"), ("2028-03-31", "pending")] if declaration["required"] else []
    )
    # No post recorded all year: flagged for review where the tenant sets a threshold, not elsewhere.
    inactive = "inactive" in carried["attention_reasons"]
    assert inactive == (rules["inactivity"]["threshold_days"] is not None), carried["attention_reasons"]
    register = (await client.get(f"/v1/public/tenants/{agency.slug}/register")).json()
    assert [(a["url"], a["status"]) for a in register["accounts"]] == [(kept["canonical_url"], "official")]

    # A year after the change, the rotation reminder (where the tenant rotates), once.
    if rotation_due:
        await time.to((dt.datetime.fromisoformat(rotation_due[0]) + dt.timedelta(hours=1)).isoformat())
        await time.to((dt.datetime.fromisoformat(rotation_due[0]) + dt.timedelta(hours=5)).isoformat())
    rotation_events = [e for e in await events(client, agency, agency.admin.headers, "password.rotation_due")
                       if e["subject_id"] == kept["id"]]  # fmt: skip
    assert len(rotation_events) == (1 if rotation["mode"] == "periodic" else 0)
