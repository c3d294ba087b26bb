"""Incidents: who must be told, by kind, a fake account warned about in the register, a takeover contained.

愛媛県 gives a procedure for all five kinds: flaming and impersonation are told to the unit head
first, then PR and information security, the press where needed, the police for crimes; it
announces impersonation on its site. 小山高専 gives procedures for flaming and unauthorised access
only; any other kind is still recorded.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Agency, agency_from_preset, assert_problem, open_account, settle, staff, x_handle


@pytest.fixture
async def ehime(client: httpx.AsyncClient, platform: dict[str, str]) -> Agency:
    return await agency_from_preset(client, platform, "ehime-pref")


async def report(client: httpx.AsyncClient, agency: Agency, **body: Any) -> httpx.Response:
    return await client.post(agency.url("/incidents"), json={"severity": "high", "title": "テスト", **body},
                             headers=agency.admin.headers)  # fmt: skip


async def test_an_incident_lists_who_is_still_to_be_told_until_it_is_resolved(
    client: httpx.AsyncClient, ehime: Agency
) -> None:
    account = await open_account(client, ehime)
    created = await report(client, ehime, kind="flaming", account_id=account["id"], crime=True,
                           description="脅迫を含むコメントが続いている")  # fmt: skip
    assert created.status_code == 201, created.text
    incident = created.json()
    # 愛媛県 第2の6: the unit head first, then the two divisions; a crime: the police; the press where needed.
    assert incident["to_notify"] == ["unit_head", "pr_division", "information_security_division", "police"]
    assert (incident["to_notify_if_needed"], incident["procedure"]) == (["press"], True)
    base = ehime.url(f"/incidents/{incident['id']}")
    for party in ("unit_head", "police"):
        told = await client.post(f"{base}/entries", json={"kind": "notified", "notified": party, "note": "電話で連絡"},
                                 headers=ehime.admin.headers)  # fmt: skip
        assert told.status_code == 201, told.text
    acted = await client.post(f"{base}/entries", json={"kind": "action", "note": "該当コメントを非表示にした"},
                              headers=ehime.admin.headers)  # fmt: skip
    after = acted.json()
    assert (after["to_notify"], after["to_notify_if_needed"]) == (
        ["pr_division", "information_security_division"],
        ["press"],
    )
    assert [(e["kind"], e["notified"]) for e in after["timeline"]] == [
        ("notified", "unit_head"), ("notified", "police"), ("action", None),
    ]  # fmt: skip
    whom = await client.post(f"{base}/entries", json={"kind": "notified"}, headers=ehime.admin.headers)
    assert [e["pointer"] for e in assert_problem(whom, 422, "validation-error")["errors"]] == ["/notified"]
    resolved = await client.post(f"{base}/resolve", json={"resolution": "収束した"}, headers=ehime.admin.headers)
    assert (resolved.json()["state"], resolved.json()["to_notify"]) == ("resolved", [])
    again = await client.post(f"{base}/resolve", json={"resolution": "x"}, headers=ehime.admin.headers)
    assert assert_problem(again, 409, "conflict")["current_state"] == "resolved"
    listed = (await client.get(ehime.url("/incidents?state=resolved"), headers=ehime.admin.headers)).json()["items"]
    assert [i["id"] for i in listed] == [incident["id"]]


async def test_an_impersonation_is_warned_about_in_the_register(client: httpx.AsyncClient, ehime: Agency) -> None:
    fake = f"https://x.com/{x_handle()}"
    created = await report(client, ehime, kind="impersonation", fake_url=f"{fake}?s=20", title="県を名乗る偽アカウント")
    assert created.status_code == 201, created.text
    assert created.json()["warning_id"] is not None  # 愛媛県 announces impersonation on its site
    verdict = (await client.get("/v1/public/verify", params={"url": fake})).json()
    assert verdict["verdict"] == "unknown"
    assert [w["agency"]["slug"] for w in verdict["impersonation_warnings"]] == [ehime.slug]
    official = await open_account(client, ehime)
    refused = await report(client, ehime, kind="impersonation", fake_url=official["canonical_url"])
    assert assert_problem(refused, 409, "conflict")["reason"] == "official-account"


async def test_a_takeover_suspends_the_account_and_asks_for_a_new_password(
    client: httpx.AsyncClient, ehime: Agency
) -> None:
    account = await open_account(client, ehime)
    created = await report(client, ehime, kind="takeover", account_id=account["id"], severity="critical",
                           title="ログインできない・不審な投稿")  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["timeline"][0]["recorded_by"] == "system"
    suspended = (await client.get(ehime.url(f"/accounts/{account['id']}"), headers=ehime.admin.headers)).json()
    assert (suspended["status"], suspended["attention_reasons"]) == ("suspended", ["password_change_needed"])
    verdict = (await client.get("/v1/public/verify", params={"url": account["canonical_url"]})).json()
    assert verdict["verdict"] == "suspended"
    assert_problem(await report(client, ehime, kind="takeover"), 422, "validation-error")


async def test_every_kind_is_recorded_and_whom_to_tell_depends_on_the_kind(
    client: httpx.AsyncClient, platform: dict[str, str], app: Any, worker: Any
) -> None:
    """小山高専 gives no procedure for an impersonation: recorded all the same, for its general
    administrators. Flaming tells neither the police nor the press on 愛媛県 or 北海道 unless a crime or
    the situation calls for it; 美祢市社協's flaming goes to the head of the unit, mailed at once."""
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    response = await client.post(
        oyama.url("/incidents"),
        json={"kind": "impersonation", "severity": "low", "title": "x", "fake_url": "https://x.com/someone"},
        headers=oyama.admin.headers,
    )
    assert response.status_code == 201, response.text
    assert (response.json()["procedure"], response.json()["to_notify"]) == (False, ["general_administrator"])

    hokkaido = await agency_from_preset(client, platform, "hokkaido-boe")
    flaming = (await report(client, hokkaido, kind="flaming")).json()
    assert (flaming["to_notify"], flaming["to_notify_if_needed"], flaming["actions"]) == (
        [],
        [],
        ["correct_and_apologise"],
    )
    fake = (await report(client, hokkaido, kind="impersonation", fake_url=f"https://x.com/{x_handle()}")).json()
    assert (fake["to_notify"], fake["to_notify_if_needed"]) == (["platform_operator"], ["press"])
    assert fake["actions"] == ["removal_request", "site_announcement"]
    assert fake["warning_id"] is not None  # announced on the site, as its procedure says

    mine = await agency_from_preset(client, platform, "mine-shakyo")
    head = await staff(client, platform, mine.id, ["unit_head"], unit_id=mine.unit()["id"])
    account = await open_account(client, mine)
    burning = (await report(client, mine, kind="flaming", account_id=account["id"])).json()
    assert burning["to_notify"] == ["unit_head"]
    await settle(app, worker)
    mail = (await client.get(mine.url("/mail?limit=200"), headers=platform)).json()["items"]
    assert head.user["email"] in {m["to_address"] for m in mail if m["subject"].find("トラブル") >= 0}
