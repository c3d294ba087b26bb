"""Renewals across a fiscal year end: 小山高専 asks every account each year, by 31 March, whether it
continues; reminders 30 and 7 days before; the general administrator hears of the silent ones."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.support import Agency, Time, agency_from_preset, assert_problem, events, get, open_account, record, staff

ROUND = "2027-03-31"  # the first deadline after the frozen clock's 2026-04-01


@pytest.fixture
async def oyama(client: httpx.AsyncClient, platform: dict[str, str]) -> Agency:
    return await agency_from_preset(client, platform, "oyama-kosen")


async def declarations(
    client: httpx.AsyncClient, agency: Agency, headers: dict[str, str], **query: str
) -> dict[str, Any]:
    items = (
        await get(
            client, agency, "/continuation-declarations?" + "&".join(f"{k}={v}" for k, v in query.items()), headers
        )
    )["items"]
    return {d["account_id"]: d for d in items}


async def test_a_round_reminds_the_silent_escalates_the_overdue_and_opens_the_next(
    client: httpx.AsyncClient, platform: dict[str, str], oyama: Agency, time: Time
) -> None:
    operator = await staff(client, platform, oyama.id, ["operator"])
    accounts = [await open_account(client, oyama, operator_ids=[operator.user["id"]]) for _ in range(3)]
    keeps, stops, silent = (a["id"] for a in accounts)
    first = await declarations(client, oyama, platform, due_on=ROUND)
    assert set(first) == {keeps, stops, silent}
    assert {d["state"] for d in first.values()} == {"pending"}
    mine = [d for d in (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
            if d["subject_id"] == silent and d["kind"].startswith("renewal.")]  # fmt: skip
    assert sorted((d["kind"], d["payload"].get("days_before")) for d in mine) == [
        ("renewal.due", 0), ("renewal.reminder", 7), ("renewal.reminder", 30),
    ]  # fmt: skip

    declared = await client.post(
        oyama.url(f"/continuation-declarations/{first[keeps]['id']}/declare"),
        json={"decision": "continue"},
        headers=operator.headers,
    )
    assert declared.status_code == 200, declared.text
    assert (declared.json()["state"], declared.json()["decision"]) == ("declared", "continue")
    again = await client.post(
        oyama.url(f"/continuation-declarations/{first[keeps]['id']}/declare"), json={"decision": "discontinue"},
        headers=operator.headers,
    )  # fmt: skip
    assert assert_problem(again, 409, "conflict")["reason"] == "already-declared"
    head = await staff(client, platform, oyama.id, ["unit_head"], unit_id=oyama.unit()["id"])
    refused = await client.post(
        oyama.url(f"/continuation-declarations/{first[stops]['id']}/declare"), json={"decision": "continue"},
        headers=head.headers,
    )  # fmt: skip
    assert assert_problem(refused, 403, "forbidden")["declared_by"] == ["operations_manager", "operator"]
    stopped = await client.post(
        oyama.url(f"/continuation-declarations/{first[stops]['id']}/declare"),
        json={"decision": "discontinue", "note": "学科再編のため"},
        headers=oyama.admin.headers,
    )
    application = await get(client, oyama, f"/applications/{stopped.json()['application_id']}", oyama.admin.headers)
    assert (application["kind"], application["state"]) == ("closure", "submitted")  # 小山高専 approves closures
    assert application["form"]["planned_end_on"] == ROUND

    # A month before: only the silent account's people are reminded; once.
    await time.to("2027-03-01T00:30:00+00:00")
    await time.to("2027-03-01T05:00:00+00:00")
    reminders = await events(client, oyama, platform, "renewal.reminder")
    assert [(e["subject_id"], e["data"]["days_before"]) for e in reminders] == [(silent, 30)]
    mail = (await get(client, oyama, "/mail?limit=200", platform))["items"]
    reminded = [m for m in mail if "継続希望の申し出をお願いします" in m["subject"]]
    # 小山高専's declarers: the account's operations manager and its operators.
    assert sorted(m["to_address"] for m in reminded) == sorted([operator.user["email"], oyama.admin.user["email"]])

    # Across the fiscal year end: the silent one is overdue and flagged; the next round opens.
    await time.to("2027-04-01T00:00:00+00:00")
    after = await declarations(client, oyama, platform, due_on=ROUND)
    assert after[silent]["state"] == "overdue"
    flagged = await get(client, oyama, f"/accounts/{silent}", platform)
    assert "renewal_overdue" in flagged["attention_reasons"]
    [overdue] = await events(client, oyama, platform, "renewal.overdue")
    assert overdue["subject_id"] == silent
    assert any("期限を過ぎています" in m["subject"] and m["to_address"] == oyama.admin.user["email"]
               for m in (await get(client, oyama, "/mail?limit=200", platform))["items"])  # fmt: skip
    following = await declarations(client, oyama, platform, due_on="2028-03-31")
    assert set(following) == {keeps, stops, silent}  # the closure of `stops` still waits for approval

    late = await client.post(
        oyama.url(f"/continuation-declarations/{after[silent]['id']}/declare"), json={"decision": "continue"},
        headers=platform,
    )  # fmt: skip
    assert late.status_code == 200, late.text
    cleared = await get(client, oyama, f"/accounts/{silent}", platform)
    assert "renewal_overdue" not in cleared["attention_reasons"]  # (a year without posts is another matter)


async def test_a_configuration_without_declarations_stops_the_rounds(
    client: httpx.AsyncClient, platform: dict[str, str], oyama: Agency
) -> None:
    account = await open_account(client, oyama)
    pending = [d for d in (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
               if d["subject_id"] == account["id"] and d["kind"].startswith("renewal.")]  # fmt: skip
    assert len(pending) == 3
    changed = copy.deepcopy(oyama.config)
    changed["renewal"]["continuation_declaration"].update(required=False, deadline=None, declared_by=[],
                                                          declared_to=None, reminder_days_before=[])  # fmt: skip
    assert (await record(client, platform, oyama.id, changed)).status_code == 201
    still = [d for d in (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
             if d["subject_id"] == account["id"] and d["kind"].startswith("renewal.")]  # fmt: skip
    assert still == []
    # The round's rows stay, as history.
    assert set(await declarations(client, oyama, platform, due_on=ROUND)) == {account["id"]}
