"""Monitoring at the tenant's frequency, and inactive accounts, with the clock moved.

愛媛県: weekly, by the unit head; 180 days without a post is inactive. 小山高専: irregular
monitoring (no reminders); 180 days. 美祢市社協: weekly; no inactivity rule.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import agency_from_preset, assert_problem, events, get, long_lived_admin, open_account, staff
from tests.support.posts import published_post


def pending_of(items: list[dict[str, Any]], account_id: str, kind: str) -> list[str]:
    return [d["due_at"] for d in items if d["kind"] == kind and d["subject_id"] == account_id]


async def test_monitoring_falls_due_at_the_tenants_frequency(
    client: httpx.AsyncClient, platform: dict[str, str], time: Any
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    head = await staff(client, platform, ehime.id, ["unit_head"], unit_id=ehime.unit()["id"])
    account = await open_account(client, ehime)
    deadlines = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "monitoring.due") == ["2026-04-08T00:00:00Z"]  # a week on, 09:00

    looks = ehime.url(f"/accounts/{account['id']}/monitoring")
    looked = await client.post(
        looks, json={"issues_found": False, "monitored_on": "2026-04-01"}, headers=ehime.admin.headers
    )
    assert looked.status_code == 201, looked.text
    ahead = await client.post(looks, json={"issues_found": False, "monitored_on": "2026-04-02"}, headers=head.headers)
    assert [e["pointer"] for e in assert_problem(ahead, 422, "validation-error")["errors"]] == ["/monitored_on"]

    await time.to("2026-04-08T03:00:00+00:00")
    [due] = [e for e in await events(client, ehime, platform, "monitoring.due") if e["subject_id"] == account["id"]]
    assert due["data"]["frequency"] == "weekly"
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    assert [m["to_address"] for m in mail if "モニタリング" in m["subject"]] == [head.user["email"]]
    assert (await get(client, ehime, f"/accounts/{account['id']}", platform))["attention_reasons"] == [
        "monitoring_overdue"
    ]
    await time.to("2026-04-08T05:00:00+00:00")  # no second reminder for the same period
    assert (
        len([e for e in await events(client, ehime, platform, "monitoring.due") if e["subject_id"] == account["id"]])
        == 1
    )

    found = await client.post(
        looks, json={"issues_found": True, "findings": "なりすましの疑いがあるアカウント1件を確認"}, headers=platform
    )
    assert found.status_code == 201, found.text
    after = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert (after["needs_attention"], after["last_monitored_at"]) == (False, "2026-04-08T05:00:00Z")
    deadlines = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "monitoring.due") == ["2026-04-15T00:00:00Z"]
    history = await get(client, ehime, f"/accounts/{account['id']}/monitoring", platform)
    assert [(r["monitored_on"], r["issues_found"]) for r in history] == [("2026-04-08", True), ("2026-04-01", False)]


async def test_no_monitoring_reminders_where_it_is_irregular(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    account = await open_account(client, oyama)
    deadlines = (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "monitoring.due") == []


async def test_an_account_silent_past_the_threshold_is_flagged_for_review(
    client: httpx.AsyncClient, platform: dict[str, str], time: Any, db: Any, clock: Any
) -> None:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    account = await open_account(client, oyama)
    deadlines = (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "inactivity.check") == ["2026-09-28T00:00:00Z"]  # 180 days
    await long_lived_admin(oyama, db, clock)
    await time.to("2026-05-01T04:00:00+00:00")
    await published_post(
        client, oyama, account["id"], author=oyama.admin.headers, approver=platform,
        published_at="2026-05-01T12:00:00+09:00",
    )  # fmt: skip
    deadlines = (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "inactivity.check") == ["2026-10-28T00:00:00Z"]

    await time.to("2026-09-29T00:00:00+00:00")  # the first count was replaced: nothing yet
    assert await events(client, oyama, platform, "account.inactive") == []
    await time.to("2026-10-28T01:00:00+00:00")
    [inactive] = await events(client, oyama, platform, "account.inactive")
    assert (inactive["subject_id"], inactive["data"]["since"]) == (account["id"], "2026-05-01")
    mail = (await get(client, oyama, "/mail?limit=200", platform))["items"]
    assert [m["to_address"] for m in mail if "更新が止まっている" in m["subject"]] == [oyama.admin.user["email"]]
    assert (await get(client, oyama, f"/accounts/{account['id']}", platform))["attention_reasons"] == ["inactive"]
    flagged = await get(client, oyama, "/accounts?needs_attention=true", platform)
    assert [a["id"] for a in flagged["items"]] == [account["id"]]

    await published_post(client, oyama, account["id"], author=oyama.admin.headers, approver=platform)
    assert (await get(client, oyama, f"/accounts/{account['id']}", platform))["needs_attention"] is False

    mine = await agency_from_preset(client, platform, "mine-shakyo")  # no inactivity rule
    theirs = await open_account(client, mine)
    deadlines = (await get(client, mine, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, theirs["id"], "inactivity.check") == []


async def test_periodic_reviews_fall_due_at_the_tenants_intervals(
    client: httpx.AsyncClient, platform: dict[str, str], time: Any
) -> None:
    """愛媛県: the account against its targets every 12 months, its security settings every 6;
    小山高専 asks for neither."""
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    head = await staff(client, platform, ehime.id, ["unit_head"], unit_id=ehime.unit()["id"])
    account = await open_account(client, ehime)
    deadlines = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "settings_review.due") == ["2026-10-01T00:00:00Z"]
    assert pending_of(deadlines, account["id"], "periodic_review.due") == ["2027-04-01T00:00:00Z"]
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    theirs = await open_account(client, oyama)
    theirs_pending = (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
    assert [d for d in theirs_pending if d["subject_id"] == theirs["id"] and d["kind"].endswith("review.due")] == []

    await time.to("2026-10-01T01:00:00+00:00")
    await time.to("2026-10-01T03:00:00+00:00")  # once
    [due] = [e for e in await events(client, ehime, platform, "review.due") if e["subject_id"] == account["id"]]
    assert (due["data"]["review"], due["data"]["interval_months"]) == ("settings_review", 6)
    flagged = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert "settings_review_due" in flagged["attention_reasons"]
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    told = [m for m in mail if "定期的な見直し" in m["subject"]]
    assert {m["to_address"] for m in told} == {ehime.admin.user["email"], head.user["email"]}
    assert "セキュリティ設定の見直しの時期です（6か月ごと、前回：2026-04-01）" in told[0]["body"]

    reviews = ehime.url(f"/accounts/{account['id']}/reviews")
    wrong = await client.post(reviews, json={"kind": "yearly", "action_needed": False}, headers=platform)
    assert [e["pointer"] for e in assert_problem(wrong, 422, "validation-error")["errors"]] == ["/kind"]
    done = await client.post(reviews, headers=platform, json={
        "kind": "settings_review", "action_needed": True, "findings": "二段階認証を有効にした",
    })  # fmt: skip
    assert done.status_code == 201, done.text
    after = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert "settings_review_due" not in after["attention_reasons"]
    deadlines = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert pending_of(deadlines, account["id"], "settings_review.due") == ["2027-04-01T00:00:00Z"]
    listed = await get(client, ehime, f"/accounts/{account['id']}/reviews?kind=settings_review", platform)
    assert [(r["kind"], r["action_needed"]) for r in listed] == [("settings_review", True)]
