"""The accounts' passwords (checked, changes recorded, rotation reminded) and staff moves.

愛媛県: 8+ characters of all four kinds, changed every 12 months, a new manager and password when
staff move. 美祢市社協: nothing guessable, every 12 months. 小山高専: no periodic change.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.support import Agency, agency_from_preset, assert_problem, events, get, open_account, staff


@pytest.fixture
async def ehime(client: httpx.AsyncClient, platform: dict[str, str]) -> Agency:
    return await agency_from_preset(client, platform, "ehime-pref")


async def check(client: httpx.AsyncClient, agency: Agency, password: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        agency.url("/password-policy/check"), json={"password": password, **extra}, headers=agency.admin.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_candidate_is_checked_against_the_tenants_rules_and_forgotten(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    weak = await check(client, ehime, "kochi-sns")
    assert weak["meets_policy"] is False
    assert [f["rule"] for f in weak["failures"]] == ["required_classes"]
    assert "英大文字、数字" in weak["failures"][0]["detail"]
    assert weak["failures"][0]["basis"] == ehime.config["security"]["account_password"]["basis"]
    short = await check(client, ehime, "Ab1!")
    assert [f["rule"] for f in short["failures"]] == ["min_length"]
    assert (await check(client, ehime, "Kochi-Sns-2026!"))["meets_policy"] is True

    mine = await agency_from_preset(client, platform, "mine-shakyo")
    account = await open_account(client, mine)
    assert [f["rule"] for f in (await check(client, mine, "password123"))["failures"]] == ["avoid_guessable"]
    named = await check(client, mine, f"{account['handle']}-2026", account_id=account["id"])
    assert [f["rule"] for f in named["failures"]] == ["avoid_guessable"]
    assert (await check(client, mine, "walnut-harbor-lantern"))["meets_policy"] is True
    # Nowhere kept: not in the logs, not in the audit trail.
    assert all("Kochi-Sns-2026!" not in record.getMessage() for record in caplog.records)
    trail = (await get(client, ehime, "/audit-events?limit=200", ehime.admin.headers))["items"]
    assert "Kochi-Sns-2026!" not in str(trail)


async def test_a_change_restarts_the_rotation_and_the_period_running_out_reminds(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency, time: Any
) -> None:
    operator = await staff(client, platform, ehime.id, ["operator"])
    account = await open_account(client, ehime, operator_ids=[operator.user["id"]])
    rotation = [d for d in (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
                if d["kind"] == "password.rotation" and d["subject_id"] == account["id"]]  # fmt: skip
    assert [d["due_at"] for d in rotation] == ["2027-04-01T00:00:00Z"]  # 12 months from opening, 09:00 Tokyo

    changes = ehime.url(f"/accounts/{account['id']}/password-changes")
    future = await client.post(
        changes, json={"meets_policy": True, "changed_on": "2026-05-01"}, headers=operator.headers
    )
    assert [e["pointer"] for e in assert_problem(future, 422, "validation-error")["errors"]] == ["/changed_on"]
    careless = await client.post(changes, json={"meets_policy": False}, headers=operator.headers)
    assert careless.status_code == 201, careless.text
    flagged = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert flagged["attention_reasons"] == ["password_policy_not_met"]

    await time.to("2027-04-01T01:00:00+00:00")
    due = [
        e for e in await events(client, ehime, platform, "password.rotation_due") if e["subject_id"] == account["id"]
    ]
    assert len(due) == 1
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    assert [m["to_address"] for m in mail if "パスワードを変更してください" in m["subject"]].count(
        operator.user["email"]
    ) == 1
    # (A year without posts or monitoring flags it for those too.)
    reasons = (await get(client, ehime, f"/accounts/{account['id']}", platform))["attention_reasons"]
    assert {"password_policy_not_met", "password_rotation_due"} <= set(reasons)

    renewed = await client.post(changes, json={"meets_policy": True, "note": "定期変更"}, headers=platform)
    assert renewed.status_code == 201, renewed.text
    settled = await get(client, ehime, f"/accounts/{account['id']}", platform)
    assert not {"password_policy_not_met", "password_rotation_due"} & set(settled["attention_reasons"])
    assert settled["last_password_change_at"] == "2027-04-01T01:00:00Z"
    history = await get(client, ehime, f"/accounts/{account['id']}/password-changes", platform)
    assert [(c["changed_on"], c["meets_policy"]) for c in history] == [("2027-04-01", True), ("2026-04-01", False)]
    nxt = [d for d in (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]
           if d["kind"] == "password.rotation" and d["subject_id"] == account["id"]]  # fmt: skip
    assert [d["due_at"] for d in nxt] == ["2028-04-01T00:00:00Z"]
    assert "password" not in {k for c in history for k in c}


async def test_no_reminders_where_the_tenant_asks_no_periodic_change(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    account = await open_account(client, oyama)
    pending = (await get(client, oyama, "/deadlines?state=pending&limit=200", platform))["items"]
    assert [d for d in pending if d["kind"] == "password.rotation" and d["subject_id"] == account["id"]] == []


async def test_staff_moves_ask_for_a_new_manager_and_password_where_the_rules_say_so(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    leaving = await staff(client, platform, ehime.id, ["operator"])
    staying = await staff(client, platform, ehime.id, ["operator"])
    account = await open_account(client, ehime, operator_ids=[leaving.user["id"], staying.user["id"]])
    disabled = await client.post(ehime.url(f"/users/{leaving.user['id']}/disable"), headers=ehime.admin.headers)
    assert disabled.status_code == 200, disabled.text
    moved = await get(client, ehime, f"/accounts/{account['id']}", ehime.admin.headers)
    assert moved["attention_reasons"] == ["manager_change_needed", "password_change_needed"]
    assert [e["subject_id"] for e in await events(client, ehime, ehime.admin.headers, "account.staff_moved")] == [
        account["id"]
    ]
    changed = await client.put(
        ehime.url(f"/accounts/{account['id']}"),
        json={"operator_ids": [staying.user["id"]]},
        headers={**ehime.admin.headers, "If-Match": f'"{moved["version"]}"'},
    )
    assert changed.json()["attention_reasons"] == ["password_change_needed"]
    await client.post(
        ehime.url(f"/accounts/{account['id']}/password-changes"), json={"meets_policy": True}, headers=staying.headers
    )
    assert (await get(client, ehime, f"/accounts/{account['id']}", ehime.admin.headers))["needs_attention"] is False

    hokkaido = await agency_from_preset(client, platform, "hokkaido-boe")  # no such rule there
    someone = await staff(client, platform, hokkaido.id, ["operator"])
    theirs = await open_account(client, hokkaido, operator_ids=[someone.user["id"]])
    await client.post(hokkaido.url(f"/users/{someone.user['id']}/disable"), headers=hokkaido.admin.headers)
    assert (await get(client, hokkaido, f"/accounts/{theirs['id']}", hokkaido.admin.headers))[
        "needs_attention"
    ] is False


async def test_a_rotation_switched_off_and_on_again_reminds_again(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    import copy

    from tests.support import record

    account = await open_account(client, ehime)
    changes = ehime.url(f"/accounts/{account['id']}/password-changes")

    def rotations(items: list[dict[str, Any]]) -> list[str]:
        return [d["due_at"] for d in items if d["kind"] == "password.rotation" and d["subject_id"] == account["id"]]

    relaxed = copy.deepcopy(ehime.config)
    relaxed["security"]["account_password"]["rotation"] = {"mode": "none"}
    assert (await record(client, platform, ehime.id, relaxed)).status_code == 201
    await client.post(changes, json={"meets_policy": True}, headers=ehime.admin.headers)
    assert rotations((await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]) == []
    assert (await record(client, platform, ehime.id, ehime.config)).status_code == 201
    await client.post(changes, json={"meets_policy": True}, headers=ehime.admin.headers)  # the same day again
    assert rotations((await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]) == [
        "2027-04-01T00:00:00Z"
    ]
