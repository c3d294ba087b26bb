"""Closure with a grace period, through the API and the workers, with the clock moved through it.

愛媛県 announces a closure for 30 days (points 30, 7 and 1 day before the end) and names four
steps; 北海道教育委員会 has no announcement period but five steps, one for the unit head; 小山高専's
only step is the application itself. The tests prove each announcement is due once, a withdrawn
closure never completes, a redelivered completion does nothing twice, and an unconfirmed closure
escalates instead of completing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from service.kit.db import set_tenant
from service.kit.queue import enqueue
from tests.support import (
    Agency,
    Time,
    agency_from_preset,
    apply,
    assert_problem,
    events,
    get,
    open_account,
    settle,
    staff,
)
from tests.support.posts import published_post

START = dt.date(2026, 4, 1)  # the frozen clock's day in Tokyo


@pytest.fixture
async def ehime(client: httpx.AsyncClient, platform: dict[str, str]) -> Agency:
    return await agency_from_preset(client, platform, "ehime-pref")


async def close(client: httpx.AsyncClient, agency: Agency, account: dict[str, Any]) -> dict[str, Any]:
    await apply(client, agency, account["id"], kind="closure", closure_reason="事業の終了")
    listed = (
        await client.get(agency.url(f"/closures?account_id={account['id']}"), headers=agency.admin.headers)
    ).json()
    [closure] = listed["items"]
    return closure  # type: ignore[no-any-return]


async def test_ehime_announces_for_thirty_days_then_completes_once_every_step_is_confirmed(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency, time: Time, app: Any, worker: Any
) -> None:
    account = await open_account(client, ehime)
    post = await published_post(client, ehime, account["id"], author=ehime.admin.headers, approver=platform)
    assert (post["author"], post["approved_by"]) != ("(purged)", None)
    closure = await close(client, ehime, account)
    end = START + dt.timedelta(days=30)
    assert (closure["state"], closure["end_on"], closure["announcement_days"]) == (
        "announcing",
        end.isoformat(),
        [30, 7, 1],
    )
    steps = {s["step"]: s for s in closure["steps"]}
    assert list(steps) == ["closure_report", "remove_from_register", "announce_stop", "delete_account"]
    assert steps["closure_report"]["confirmed_by"].startswith("application:")  # the report is the application
    register = (await client.get(f"/v1/public/tenants/{ehime.slug}/register")).json()
    assert [(a["status"], a["closing_on"]) for a in register["accounts"]] == [("closing", end.isoformat())]

    # The points fall due once each (30 days before is today); the platform reads from here on,
    # as the administrator's access token does not outlive the month.
    await time.to("2026-04-01T01:00:00+00:00")
    await time.to("2026-04-24T00:30:00+00:00")  # 7 days before, 09:30 in Tokyo
    await time.to("2026-04-24T03:00:00+00:00")  # again: no repeat
    due = await events(client, ehime, platform, "closure.announcement_due")
    assert sorted(e["data"]["days_before"] for e in due) == [7, 30]
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    assert sum("7日前" in m["subject"] for m in mail) == 1
    for days in (30, 7, 1):
        made = await client.post(
            ehime.url(f"/closures/{closure['id']}/announcements"),
            json={"channel": "account", "days_before": days, "url": "https://x.com/a/status/1"},
            headers=platform,
        )
        assert made.status_code == 201, made.text
    announced = made.json()
    assert {s["step"] for s in announced["steps"] if s["confirmed_at"]} == {"closure_report", "announce_stop"}
    await time.to("2026-04-30T01:00:00+00:00")  # the 1-day point: recorded already, so no reminder
    assert sorted(
        e["data"]["days_before"] for e in await events(client, ehime, platform, "closure.announcement_due")
    ) == [7, 30]

    # The end comes with two steps unconfirmed: no completion, an escalation, a flag.
    await time.to("2026-05-01T15:30:00+00:00")
    waiting = await get(client, ehime, f"/closures/{closure['id']}", platform)
    assert (waiting["state"], waiting["escalations"]) == ("awaiting_steps", 1)
    assert waiting["outstanding_steps"] == ["remove_from_register", "delete_account"]
    flagged = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert (flagged["status"], flagged["needs_attention"]) == ("closing", True)
    [escalation] = await events(client, ehime, platform, "closure.steps_outstanding")
    assert escalation["data"]["outstanding"] == "remove_from_register, delete_account"

    # A redelivered end does nothing a second time.
    end_deadline = next(
        d
        for d in (await get(client, ehime, "/deadlines?limit=200", platform))["items"]
        if d["kind"] == "closure.end" and d["subject_id"] == closure["id"]
    )
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(ehime.id))
        await enqueue(session, "run_deadlines", tenant_id=uuid.UUID(ehime.id), now=app.state.clock.now(),
                      deadline_ids=[end_deadline["id"]])  # fmt: skip
    await settle(app, worker)
    assert (await get(client, ehime, f"/closures/{closure['id']}", platform))["escalations"] == 1

    # A week on, still unconfirmed: escalated again, never completed silently.
    await time.to("2026-05-09T01:00:00+00:00")
    assert len(await events(client, ehime, platform, "closure.steps_outstanding")) == 2
    for step in ("remove_from_register", "delete_account"):
        confirmed = await client.post(ehime.url(f"/closures/{closure['id']}/steps/{step}/confirm"), headers=platform)
        assert confirmed.status_code == 200, confirmed.text
    done = confirmed.json()
    assert done["state"] == "completed"
    closed = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert (closed["status"], closed["closed_on"], closed["needs_attention"]) == ("closed", "2026-05-09", False)
    verdict = (await client.get("/v1/public/verify", params={"url": account["canonical_url"]})).json()
    assert verdict["verdict"] == "formerly_official"
    pending = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert [d["kind"] for d in pending if d["subject_id"] == closure["id"]] == ["closure.purge"]

    # A year later (愛媛県 keeps personal data 365 days) the people on the record go.
    await time.to("2027-05-10T01:00:00+00:00")
    purged = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert (purged["operator_ids"], purged["operations_manager_id"], purged["signup_mailbox"]) == ([], None, None)
    assert (await get(client, ehime, f"/closures/{closure['id']}", platform))["started_by"] == "(purged)"
    forgotten = await get(client, ehime, f"/posts/{post['id']}", platform)
    assert (forgotten["author"], forgotten["approved_by"], forgotten["published_by"]) == ("(purged)", None, None)
    assert {s["signed_by"] for s in forgotten["signoffs"]} == {"(purged)"}


async def test_a_withdrawn_closure_never_completes(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency, time: Time
) -> None:
    account = await open_account(client, ehime)
    closure = await close(client, ehime, account)
    withdrawn = await client.post(
        ehime.url(f"/closures/{closure['id']}/withdraw"), json={"reason": "継続が決まった"}, headers=ehime.admin.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    pending = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert [d for d in pending if d["subject_id"] == closure["id"]] == []
    await time.to("2026-06-01T01:00:00+00:00")
    after = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert (after["status"], after["closing_on"]) == ("active", None)
    for kind in ("closure.completed", "closure.announcement_due", "closure.steps_outstanding"):
        assert [e for e in await events(client, ehime, platform, kind) if e["subject_id"] == closure["id"]] == [], kind
    again = await client.post(ehime.url(f"/closures/{closure['id']}/withdraw"), json={"reason": "x"}, headers=platform)
    assert assert_problem(again, 409, "conflict")["current_state"] == "withdrawn"


async def test_hokkaido_closes_at_the_end_of_the_day_its_steps_are_confirmed(
    client: httpx.AsyncClient, platform: dict[str, str], time: Time
) -> None:
    hokkaido = await agency_from_preset(client, platform, "hokkaido-boe")
    unit = hokkaido.unit()
    head = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=unit["id"])
    operator = await staff(client, platform, hokkaido.id, ["operator"])
    account = await open_account(client, hokkaido, operator_ids=[operator.user["id"], hokkaido.admin.user["id"]])
    closure = await close(client, hokkaido, account)
    assert (closure["state"], closure["end_on"], closure["announcement_days"]) == ("announcing", START.isoformat(), [])
    assert closure["outstanding_steps"] == [
        "delete_posts_and_comments", "delete_account", "unit_head_confirms_deletion", "remove_from_register",
        "filtering_change_form",
    ]  # fmt: skip
    base = f"/closures/{closure['id']}/steps"
    refused = await client.post(hokkaido.url(f"{base}/unit_head_confirms_deletion/confirm"), headers=operator.headers)
    assert assert_problem(refused, 403, "forbidden")["reason"] == "unit-head-confirms-deletion"
    for step in ("delete_posts_and_comments", "delete_account", "remove_from_register", "filtering_change_form"):
        assert (await client.post(hokkaido.url(f"{base}/{step}/confirm"), headers=operator.headers)).status_code == 200
    confirmed = await client.post(hokkaido.url(f"{base}/unit_head_confirms_deletion/confirm"), headers=head.headers)
    assert confirmed.json()["outstanding_steps"] == []
    assert confirmed.json()["state"] == "announcing"  # the account's last day is today
    assert_problem(
        await client.post(hokkaido.url(f"{base}/no_such_step/confirm"), headers=head.headers), 404, "not-found"
    )
    await time.to("2026-04-01T15:00:01+00:00")  # midnight in Tokyo
    closed = await get(client, hokkaido, f"/accounts/{account['id']}", platform)
    assert (closed["status"], closed["closed_on"]) == ("closed", START.isoformat())
    assert await events(client, hokkaido, platform, "closure.steps_outstanding") == []


async def test_oyama_closes_at_approval_its_one_step_being_the_application(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    account = await open_account(client, oyama)
    application = await apply(client, oyama, account["id"], kind="closure", closure_reason="統合")
    assert application["state"] == "submitted"
    approved = await client.post(oyama.url(f"/applications/{application['id']}/approve"), headers=oyama.admin.headers)
    assert approved.status_code == 200, approved.text
    [closure] = (await get(client, oyama, f"/closures?account_id={account['id']}", oyama.admin.headers))["items"]
    assert (closure["state"], closure["kind"], closure["outstanding_steps"]) == ("completed", "planned", [])


async def test_closing_at_once_on_a_threat(client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency) -> None:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    oyama_account = await open_account(client, oyama)
    head = await staff(client, platform, oyama.id, ["unit_head"], unit_id=oyama.unit()["id"])
    url = oyama.url(f"/accounts/{oyama_account['id']}/close-now")
    refused = await client.post(url, json={"reason": "乗っ取り"}, headers=head.headers)  # 小山高専 allows no one else
    assert assert_problem(refused, 403, "forbidden")["allowed_roles"] == ["general_administrator", "platform_operator"]
    assert_problem(await client.post(url, json={}, headers=oyama.admin.headers), 422, "validation-error")
    closed = await client.post(url, json={"reason": "乗っ取りの被害拡大を防ぐため"}, headers=oyama.admin.headers)
    assert closed.status_code == 201, closed.text
    assert (closed.json()["kind"], closed.json()["state"], closed.json()["reason"]) == (
        "immediate", "completed", "乗っ取りの被害拡大を防ぐため",
    )  # fmt: skip
    assert (await get(client, oyama, f"/accounts/{oyama_account['id']}", oyama.admin.headers))["status"] == "closed"
    assert_problem(await client.post(url, json={"reason": "x"}, headers=oyama.admin.headers), 409, "conflict")

    # 愛媛県 lets the unit head close at once; a closure under way is overtaken by it (one completion).
    ehime_head = await staff(client, platform, ehime.id, ["unit_head"], unit_id=ehime.unit()["id"])
    account = await open_account(client, ehime)
    closure = await close(client, ehime, account)
    now = await client.post(
        ehime.url(f"/accounts/{account['id']}/close-now"), json={"reason": "不正アクセス"}, headers=ehime_head.headers
    )
    assert now.status_code == 201, now.text
    earlier = await get(client, ehime, f"/closures/{closure['id']}", ehime.admin.headers)
    assert earlier["state"] == "superseded"
    completed = await events(client, ehime, platform, "closure.completed")
    assert [e["subject_id"] for e in completed if e["data"]["account_id"] == account["id"]] == [now.json()["id"]]
    pending = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
    assert [d["kind"] for d in pending if d["subject_id"] == closure["id"]] == []


async def test_announcements_name_a_real_point(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    account = await open_account(client, ehime)
    closure = await close(client, ehime, account)
    wrong = await client.post(
        ehime.url(f"/closures/{closure['id']}/announcements"),
        json={"channel": "website", "days_before": 14},
        headers=ehime.admin.headers,
    )
    problem = assert_problem(wrong, 422, "validation-error")
    assert [e["pointer"] for e in problem["errors"]] == ["/days_before"]
    free = await client.post(
        ehime.url(f"/closures/{closure['id']}/announcements"),
        json={"channel": "website", "url": "https://www.pref.example.jp/sns", "note": "県ホームページに掲載"},
        headers=ehime.admin.headers,
    )
    assert free.status_code == 201, free.text
    assert [a["channel"] for a in free.json()["announcements"]] == ["website"]
    other_tenant = await agency_from_preset(client, platform, "mine-shakyo")
    assert_problem(
        await client.get(other_tenant.url(f"/closures/{closure['id']}"), headers=other_tenant.admin.headers),
        404,
        "not-found",
    )


async def test_a_closure_waits_for_the_role_that_decides_it(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    """北海道教育委員会 (3(8)): the 所属長 decides a closure. An operator's closure application waits for
    them (it was carried out at once, recorded as decided by the operator); the head's own is decided
    by its submission. 小山高専 puts closures under the 統括管理者's approval: a unit head's waits."""
    hokkaido = await agency_from_preset(client, platform, "hokkaido-boe")
    unit = hokkaido.unit()
    head = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=unit["id"])
    operator = await staff(client, platform, hokkaido.id, ["operator"])
    account = await open_account(client, hokkaido, operator_ids=[operator.user["id"], hokkaido.admin.user["id"]])
    body = {"kind": "closure", "account_id": account["id"], "applicant_title": "主事", "closure_reason": "統合"}
    drafted = await client.post(hokkaido.url("/applications"), json=body, headers=operator.headers)
    assert drafted.status_code == 201, drafted.text
    base = hokkaido.url(f"/applications/{drafted.json()['id']}")
    submitted = await client.post(f"{base}/submit", headers=operator.headers)
    assert submitted.json()["state"] == "submitted", submitted.text
    assert (await get(client, hokkaido, "/closures", platform))["items"] == []
    assert_problem(await client.post(f"{base}/approve", headers=operator.headers), 403, "forbidden")
    elsewhere = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=hokkaido.unit(0)["id"])
    refused = await client.post(f"{base}/approve", headers=elsewhere.headers)
    assert assert_problem(refused, 403, "forbidden")["approver_role"] == "unit_head"
    approved = await client.post(f"{base}/approve", headers=head.headers)
    assert (approved.json()["state"], approved.json()["decided_by_label"]) == (
        "approved",
        f"user:{head.user['login_id']}",
    ), approved.text
    [closure] = (await get(client, hokkaido, "/closures", platform))["items"]
    assert closure["account_id"] == account["id"]

    other = await open_account(client, hokkaido, operator_ids=[operator.user["id"], hokkaido.admin.user["id"]])
    own = await client.post(
        hokkaido.url("/applications"), json={**body, "account_id": other["id"]}, headers=head.headers
    )
    decided = await client.post(hokkaido.url(f"/applications/{own.json()['id']}/submit"), headers=head.headers)
    assert decided.json()["state"] == "approved", decided.text

    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    oyama_head = await staff(client, platform, oyama.id, ["unit_head"], unit_id=oyama.unit()["id"])
    theirs = await open_account(client, oyama)
    applied = await client.post(
        oyama.url("/applications"), json={**body, "account_id": theirs["id"]}, headers=oyama_head.headers
    )
    assert applied.status_code == 201, applied.text
    waiting = await client.post(oyama.url(f"/applications/{applied.json()['id']}/submit"), headers=oyama_head.headers)
    assert waiting.json()["state"] == "submitted", waiting.text
    assert_problem(
        await client.post(oyama.url(f"/applications/{applied.json()['id']}/approve"), headers=oyama_head.headers),
        403,
        "forbidden",
    )
