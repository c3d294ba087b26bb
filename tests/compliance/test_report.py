"""The compliance report, from a fixture built by hand whose figures the definitions predict.

Four accounts of 小山高専 in three units, 1–14 April 2026, reported on 14 April over 14 days (two
7-day blocks counted back: 8–14 April and 1–7 April; no whole 30-day block):

| account | unit | posts (days) | monitoring | password | other |
|---|---|---|---|---|---|
| A | U1 | 5 days in each block: exactly 5 of 7 → daily | 1, 8, 14 Apr: gaps 0/7/6/0 → weekly | attested, 10 Apr | agreement |
| B | U1 | 4 days in 8–14, 1 in 1–7 → weekly | 1, 9, 14 Apr: a gap of 8 → monthly | not attested | imported without consultation; a post within the range |
| C | U2 | 8 and 9 Apr only: 1–7 has none → irregular | 9 Apr only: 8 from the window's start → monthly | none | a post with no decision |
| D | U3 | none | none | none | imported from before the guideline; no usage policy (not required here) |
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from service.compliance.service import classify_monitoring, classify_posting, percent
from service.kit.db import Database, set_tenant
from tests.support import (
    Agency,
    agency_from_preset,
    assert_problem,
    long_lived_admin,
    make_unit,
    open_account,
    staff,
    x_handle,
)
from tests.support.posts import published_post

AS_OF = "2026-04-14"
JST = "T12:00:00+09:00"


async def sql(db: Database, agency: Agency, statement: str, **params: Any) -> None:
    """Set what no API sets yet (how an account came in, how a post was decided)."""
    async with db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(agency.id))
        await session.execute(text(statement), params)


async def post_on(client: httpx.AsyncClient, agency: Agency, account: dict[str, Any], days: list[int],
                  platform: dict[str, str]) -> list[dict[str, Any]]:  # fmt: skip
    return [
        await published_post(
            client,
            agency,
            account["id"],
            author=agency.admin.headers,
            approver=platform,
            published_at=f"2026-04-{day:02d}{JST}",
        )
        for day in days
    ]


async def monitor(client: httpx.AsyncClient, agency: Agency, account: dict[str, Any], days: list[int]) -> None:
    for day in days:
        response = await client.post(
            agency.url(f"/accounts/{account['id']}/monitoring"),
            json={"issues_found": False, "monitored_on": f"2026-04-{day:02d}"},
            headers=agency.admin.headers,
        )
        assert response.status_code == 201, response.text


async def password(client: httpx.AsyncClient, agency: Agency, account: dict[str, Any], day: str, meets: bool) -> None:
    response = await client.post(
        agency.url(f"/accounts/{account['id']}/password-changes"),
        json={"meets_policy": meets, "changed_on": day},
        headers=agency.admin.headers,
    )
    assert response.status_code == 201, response.text


@pytest.fixture
async def world(client: httpx.AsyncClient, platform: dict[str, str], db: Database, clock: Any) -> dict[str, Any]:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    await long_lived_admin(oyama, db, clock)
    dept = await make_unit(client, platform, oyama.id, code="c-dept", name_ja="部局", name_en="Department")
    u1 = await make_unit(
        client, platform, oyama.id, code="c-u1", name_ja="第一課", name_en="Div 1", parent_id=dept["id"]
    )
    u2 = await make_unit(
        client, platform, oyama.id, code="c-u2", name_ja="第二課", name_en="Div 2", parent_id=dept["id"]
    )
    u3 = await make_unit(client, platform, oyama.id, code="c-u3", name_ja="独立課", name_en="Div 3")
    a = await open_account(client, oyama, unit=u1)
    b = await open_account(client, oyama, unit=u1, operating_body="outsourced")
    c = await open_account(client, oyama, unit=u2)
    d = await open_account(client, oyama, unit=u3, url=f"https://www.facebook.com/{x_handle()}")
    clock.set(dt.datetime(2026, 4, 14, 6, 0, tzinfo=dt.UTC))  # 15:00 on 14 April in Tokyo
    await post_on(client, oyama, a, [1, 2, 3, 6, 7, 8, 9, 10, 13, 14], platform)
    b_posts = await post_on(client, oyama, b, [2, 8, 9, 10, 13], platform)
    c_posts = await post_on(client, oyama, c, [8, 9], platform)
    for account in (a, b, c):  # 小山高専 requires no usage policy: D has none, and that is no finding
        put = await client.put(oyama.url(f"/accounts/{account['id']}/documents/usage_policy"),
                               json={"items": {"purpose": "学校の広報"}}, headers=oyama.admin.headers)  # fmt: skip
        assert put.status_code == 200, put.text
    await monitor(client, oyama, a, [1, 8, 14])
    await monitor(client, oyama, b, [1, 9, 14])
    await monitor(client, oyama, c, [9])
    await password(client, oyama, a, "2026-04-10", True)
    await password(client, oyama, b, "2026-04-10", False)
    agreement = await client.post(oyama.url("/agreements"), json={
        "unit_id": u1["id"], "contractor_name": "株式会社テスト広告", "kind": "outsourcing", "reference": "第1号",
        "starts_on": "2026-04-01", "ends_on": "2027-03-31", "account_ids": [b["id"]],
        "clauses": {"security_policy_compliance": {"stated": True, "article": "第8条"},
                    "login_ids": {"stated": True, "article": "第11条"}},
    }, headers=oyama.admin.headers)  # fmt: skip
    assert agreement.status_code == 201, agreement.text
    held = await client.post(oyama.url("/training-sessions"), headers=oyama.admin.headers, json={
        "held_on": "2026-04-10", "title": "SNSセキュリティ研修", "kind": "security",
        "attendee_ids": [oyama.admin.user["id"]],
    })  # fmt: skip
    assert held.status_code == 201, held.text
    await sql(db, oyama, "UPDATE accounts SET origin = 'import_without_consultation' WHERE id = :id", id=b["id"])
    await sql(db, oyama, "UPDATE accounts SET origin = 'import_before_guideline' WHERE id = :id", id=d["id"])
    await sql(db, oyama, "UPDATE posts SET decision = 'pre_approved_range' WHERE id = :id", id=b_posts[0]["id"])
    await sql(db, oyama, "UPDATE posts SET decision = 'none' WHERE id = :id", id=c_posts[0]["id"])
    return {"agency": oyama, "units": {"dept": dept, "u1": u1, "u2": u2, "u3": u3},
            "accounts": {"a": a, "b": b, "c": c, "d": d}, "agreement": agreement.json()}  # fmt: skip


def table(report: dict[str, Any], number: int) -> dict[str, dict[str, str]]:
    [found] = [t for t in report["tables"] if t["number"] == number]
    return {row["key"]: {k: cell["text"] for k, cell in row["cells"].items()} for row in found["rows"]}


def classes(report: dict[str, Any], world: dict[str, Any], name: str) -> dict[str, str]:
    ids = {v["id"]: k for k, v in world["accounts"].items()}
    return {ids[a["id"]]: a["classes"][name] for a in report["accounts"] if a["id"] in ids}


def unit_classes(report: dict[str, Any], world: dict[str, Any], name: str) -> dict[str, str]:
    ids = {v["id"]: k for k, v in world["units"].items()}
    return {ids[u["id"]]: u["classes"][name] for u in report["units"] if u["id"] in ids and name in u["classes"]}


async def fetch(
    client: httpx.AsyncClient, world: dict[str, Any], query: str = f"?as_of={AS_OF}&window_days=14"
) -> dict[str, Any]:
    agency: Agency = world["agency"]
    response = await client.get(agency.url(f"/compliance{query}"), headers=agency.admin.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_each_classification_at_its_boundaries(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    report = await fetch(client, world)
    assert (report["accounts_counted"], report["units_counted"]) == (4, 3)
    # Posting: exactly 5 of 7 days in each block is daily; 4 is weekly; a block with none is not weekly.
    assert classes(report, world, "posting") == {"a": "daily", "b": "weekly", "c": "irregular", "d": "none"}
    # Monitoring: a gap of exactly 7 days is weekly, of 8 is not (also from the window's first day).
    assert classes(report, world, "monitoring") == {"a": "weekly", "b": "monthly", "c": "monthly", "d": "none"}
    assert classes(report, world, "decision") == {
        "a": "head_approval", "b": "pre_approved_range", "c": "none", "d": "head_approval",
    }  # fmt: skip
    assert classes(report, world, "composition") == {"a": "met", "b": "not_met", "c": "not_met", "d": "not_met"}
    assert classes(report, world, "yearly_change") == {
        "a": "changed", "b": "changed", "c": "not_changed", "d": "not_changed",
    }  # fmt: skip
    assert classes(report, world, "consultation") == {
        "a": "consulted", "b": "not_consulted", "c": "consulted", "d": "before_guideline",
    }  # fmt: skip
    assert classes(report, world, "usage_policy") == {"a": "complete", "b": "complete", "c": "complete", "d": "none"}
    # Units: the most frequent account for posting and monitoring; every account for the rest.
    assert unit_classes(report, world, "posting") == {"u1": "daily", "u2": "irregular", "u3": "none"}
    assert unit_classes(report, world, "monitoring") == {"u1": "weekly", "u2": "monthly", "u3": "none"}
    assert unit_classes(report, world, "decision") == {"u1": "pre_approved_range", "u2": "none", "u3": "head_approval"}
    assert unit_classes(report, world, "consultation") == {
        "u1": "not_consulted", "u2": "consulted", "u3": "before_guideline",
    }  # fmt: skip

    # A is clean; every other finding names its rule.
    findings = {k: sorted(f["code"] for f in a["findings"]) for k, a in
                zip("abcd", [next(x for x in report["accounts"] if x["id"] == world["accounts"][k]["id"]) for k in "abcd"],
                    strict=True)}  # fmt: skip
    assert findings == {
        "a": [],
        "b": ["consultation.none", "password.composition_not_met"],
        "c": ["decision.none", "password.composition_not_met", "password.not_changed_yearly"],
        "d": ["monitoring.below", "password.composition_not_met", "password.not_changed_yearly", "posting.none"],
    }
    [undecided] = [f for a in report["accounts"] for f in a["findings"] if f["code"] == "decision.none"]
    assert (undecided["path"], undecided["table"], undecided["basis"]) == (
        "/posting/approval",
        13,
        ["第4条第1号", "第4条第10号"],
    )
    assert undecided["message_ja"]
    assert undecided["message_en"].startswith("1 published post")


async def test_tables_count_units_and_accounts_with_the_audits_rounding(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    report = await fetch(client, world)
    assert [t["number"] for t in report["tables"]] == [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]
    t11 = table(report, 11)
    assert t11["daily"] == {"units": "1", "units_pct": "33.3%", "accounts": "1", "accounts_pct": "25.0%"}
    assert t11["weekly"] == {"units": "0", "units_pct": "0.0%", "accounts": "1", "accounts_pct": "25.0%"}
    assert t11["total"] == {"units": "3", "units_pct": "100%", "accounts": "4", "accounts_pct": "100%"}
    t7 = table(report, 7)
    assert (t7["consulted"]["units"], t7["consulted"]["units_pct"], t7["not_consulted"]["units_pct"]) == (
        "1",
        "50.0%",
        "50.0%",
    )
    assert (t7["subtotal"]["units"], t7["before_guideline"]["units"], t7["before_guideline"]["units_pct"]) == (
        "2",
        "1",
        "—",
    )
    t14 = table(report, 14)
    assert (t14["weekly"]["units"], t14["monthly"]["units"], t14["regular"]["units"], t14["none"]["units"]) == (
        "1",
        "1",
        "2",
        "1",
    )
    assert t14["monitored"]["units_pct"] == "66.7%"  # 2 / 3, rounded half up
    t8 = table(report, 8)
    assert (t8["made"]["units"], t8["not_made"]["units"], t8["not_made"]["accounts"]) == ("2", "1", "1")
    t12 = table(report, 12)
    assert t12["not_met"] == {"units": "3", "units_pct": "100%", "accounts": "3", "accounts_pct": "75.0%",
                              "changed": "1", "not_changed": "2"}  # fmt: skip
    t13 = table(report, 13)
    assert [t13[k]["units"] for k in ("head_approval", "pre_approved_range", "decided", "none")] == ["1", "1", "2", "1"]
    t2 = table(report, 2)
    assert (t2["x"]["accounts"], t2["x"]["accounts_pct"], t2["facebook"]["accounts_pct"]) == ("3", "75.0%", "25.0%")
    t3 = table(report, 3)
    assert (t3["x"]["direct"], t3["x"]["outsourced"], t3["share"]["outsourced"]) == ("2", "1", "25.0%")
    t1 = {row["key"]: row for row in next(t for t in report["tables"] if t["number"] == 1)["rows"]}
    dept = t1[world["units"]["dept"]["id"]]["cells"]
    assert (dept["units_total"]["count"], dept["units_using"]["count"], dept["accounts"]["count"]) == (2, 2, 3)
    assert report["training"] == [
        {"held_on": "2026-04-10", "title": "SNSセキュリティ研修", "kind": "security", "attendees": 1}
    ]
    t5 = table(report, 5)
    assert (t5["acknowledged"]["units"], t5["not_acknowledged"]["units"]) == ("0", "3")
    # The agreement in force: security stated, copyright not, login IDs stated without their fate at the end.
    assert [table(report, n)["stated"]["outsourcing"] for n in (16, 17, 18)] == ["1", "0", "0"]
    [u1] = [u for u in report["units"] if u["id"] == world["units"]["u1"]["id"]]
    assert sorted(f["code"] for f in u1["findings"]) == [
        "agreement.clause_missing", "agreement.clause_missing", "guideline.not_acknowledged",
    ]  # fmt: skip
    assert {entry["code"] for entry in report["legend"] if entry["table"] == 11} == {
        "two_or_more_daily", "daily", "weekly", "monthly", "irregular", "none",
    }  # fmt: skip


def test_rounding_and_classifications_by_the_definitions() -> None:
    assert (percent(1, 16).text, percent(5, 63).text, percent(2, 3).text) == ("6.3%", "7.9%", "66.7%")
    assert (percent(63, 63).text, percent(0, 4).text, percent(1, 0).text) == ("100%", "0.0%", "—")
    # 14 days: two weeks, no month. 28 posts average two a day.
    assert classify_posting(28, 2, 0, 2, 0, 0, 14) == "two_or_more_daily"
    assert classify_posting(27, 2, 0, 2, 2, 0, 14) == "daily"
    assert classify_posting(27, 2, 0, 2, 1, 0, 14) == "weekly"
    assert classify_posting(3, 3, 1, 2, 0, 1, 30) == "monthly"
    assert classify_posting(3, 3, 1, 2, 0, 0, 30) == "irregular"
    assert classify_posting(0, 3, 1, 0, 0, 0, 30) == "none"
    assert [classify_monitoring(5, gap) for gap in (1, 2, 7, 8, 31, 32)] == [
        "daily", "weekly", "weekly", "monthly", "monthly", "irregular",
    ]  # fmt: skip
    assert classify_monitoring(0, None) == "none"


async def test_csv_has_a_bom_and_the_page_numbered_titles(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    agency: Agency = world["agency"]
    csv = await client.get(agency.url(f"/compliance.csv?as_of={AS_OF}&window_days=14"), headers=agency.admin.headers)
    assert csv.status_code == 200, csv.text
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    body = csv.content.decode("utf-8-sig")
    assert "表11,情報発信の頻度" in body
    assert "毎日,1,33.3%,1,25.0%" in body
    assert "decision.none,/posting/approval" in body
    page = await client.get(agency.url(f"/compliance.html?as_of={AS_OF}&window_days=14"), headers=agency.admin.headers)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "表11 情報発信の頻度" in page.text
    assert "表18 事業終了後のログインIDの取扱いに関する記載状況" in page.text
    assert "@page { size: A4" in page.text
    english = await client.get(
        agency.url(f"/compliance.html?as_of={AS_OF}&window_days=14"),
        headers={**agency.admin.headers, "Accept-Language": "en"},
    )
    assert "Table 11 Posting frequency" in english.text
    assert "情報発信の頻度" not in english.text


async def test_snapshots_compare_what_appeared_and_what_was_fixed(
    client: httpx.AsyncClient, world: dict[str, Any], clock: Any
) -> None:
    agency: Agency = world["agency"]
    first = await client.post(agency.url("/compliance/snapshots"), json={"as_of": AS_OF, "window_days": 14},
                              headers=agency.admin.headers)  # fmt: skip
    assert first.status_code == 201, first.text
    await password(client, agency, world["accounts"]["c"], "2026-04-14", True)  # fixes two of C's findings
    second = await client.post(agency.url("/compliance/snapshots"), json={"as_of": AS_OF, "window_days": 7},
                               headers=agency.admin.headers)  # fmt: skip
    assert second.status_code == 201, second.text
    listed = await client.get(agency.url("/compliance/snapshots"), headers=agency.admin.headers)
    assert [s["id"] for s in listed.json()["items"]] == [second.json()["id"], first.json()["id"]]
    compared = await client.get(
        agency.url(f"/compliance/snapshots/compare?from={first.json()['id']}&to={second.json()['id']}"),
        headers=agency.admin.headers,
    )
    assert compared.status_code == 200, compared.text
    c_id = world["accounts"]["c"]["id"]
    fixed = sorted(f["code"] for f in compared.json()["fixed"] if f["subject_id"] == c_id)
    assert fixed == ["password.composition_not_met", "password.not_changed_yearly"]
    # Over 7 days (8–14 April) A posts on 5 days still, but nothing new appears for it.
    assert [f for f in compared.json()["appeared"] if f["subject_id"] == world["accounts"]["a"]["id"]] == []
    saved = await client.get(agency.url(f"/compliance/snapshots/{first.json()['id']}"), headers=agency.admin.headers)
    assert saved.json()["as_of"] == AS_OF
    assert saved.json()["window_days"] == 14
    unknown = await client.get(
        agency.url(f"/compliance/snapshots/compare?from={uuid.uuid4()}&to={second.json()['id']}"),
        headers=agency.admin.headers,
    )
    assert_problem(unknown, 404, "not-found")


async def test_refusals(client: httpx.AsyncClient, platform: dict[str, str], world: dict[str, Any]) -> None:
    agency: Agency = world["agency"]
    operator = await staff(client, agency.admin.headers, agency.id, ["operator"])
    assert_problem(await client.get(agency.url("/compliance"), headers=operator.headers), 403, "forbidden")
    assert_problem(await client.get(agency.url("/compliance.csv"), headers=operator.headers), 403, "forbidden")
    for query in ("?as_of=2026-13-01", "?as_of=yesterday", "?as_of=2027-01-01", "?window_days=3", "?window_days=400"):
        response = await client.get(agency.url(f"/compliance{query}"), headers=agency.admin.headers)
        assert_problem(response, 422, "validation-error")
    auditor = await staff(client, agency.admin.headers, agency.id, ["auditor"])
    assert (await client.get(agency.url(f"/compliance?as_of={AS_OF}"), headers=auditor.headers)).status_code == 200
