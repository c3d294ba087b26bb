"""Acknowledging the guideline: once per user and version, of this tenant's versions only; a new
version asks the people of the live accounts, and asks again (with the general administrators
told) those still silent after two weeks.

The request and reminder run on 愛媛県's rules; acknowledging on 愛媛県's and 美祢市社協's.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import (
    Agency,
    Time,
    agency_from_preset,
    assert_problem,
    events,
    get,
    open_account,
    record,
    settle,
    staff,
)


async def acknowledge(
    client: httpx.AsyncClient, agency: Agency, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(agency.url("/acknowledgements"), json=body, headers=headers)


@pytest.mark.parametrize("preset", ["ehime-pref", "mine-shakyo"])
async def test_staff_acknowledge_a_version_once_and_only_their_tenants(
    client: httpx.AsyncClient, platform: dict[str, str], preset: str
) -> None:
    agency = await agency_from_preset(client, platform, preset)
    unit = agency.unit()
    operator = await staff(client, platform, agency.id, ["operator"], unit_id=unit["id"])

    first = await acknowledge(client, agency, operator.headers)
    assert first.status_code == 201, first.text
    row = first.json()
    assert (row["version"], row["user_id"], row["unit_id"]) == (1, operator.user["id"], unit["id"])
    # Again, by default or naming the version: the same record, not an error.
    for body in ({}, {"version": 1}):
        again = await acknowledge(client, agency, operator.headers, **body)
        assert again.status_code == 200, again.text
        assert again.json() == row

    # Another tenant with a second version: its number names nothing here.
    other = await agency_from_preset(client, platform, "oyama-kosen")
    assert (await record(client, platform, other.id, other.config, "2027-04-01")).status_code == 201
    theirs = await acknowledge(client, agency, operator.headers, version=2)
    assert [e["pointer"] for e in assert_problem(theirs, 404, "not-found")["errors"]] == ["/version"]

    # Bad input, and callers who are not staff: refused, nothing recorded.
    for body in ({"version": 0}, {"version": 2**31}, {"version": "1"}, {"user_id": operator.user["id"]}):
        assert_problem(await acknowledge(client, agency, operator.headers, **body), 422, "validation-error")
    contractor_agreement = await client.post(
        agency.url("/agreements"),
        json={"unit_id": unit["id"], "contractor_name": "委託先", "kind": "outsourcing", "reference": "ack",
              "starts_on": "2026-04-01", "ends_on": "2027-03-31", "account_ids": [], "clauses": {}},
        headers=platform,
    )  # fmt: skip
    assert contractor_agreement.status_code == 201, contractor_agreement.text
    contractor = await staff(
        client, platform, agency.id, ["contractor"], agreement_id=contractor_agreement.json()["id"]
    )
    for headers in (contractor.headers, platform):
        assert assert_problem(await acknowledge(client, agency, headers), 403, "forbidden")["required_permission"] == (
            "staff"
        )
    not_json = await client.post(agency.url("/acknowledgements"), content="1", headers=operator.headers)
    assert_problem(not_json, 415, "unsupported-media-type")

    listed = await get(client, agency, "/acknowledgements", agency.admin.headers)
    assert listed["items"] == [row]
    assert (await get(client, agency, f"/acknowledgements?user_id={operator.user['id']}&version=1", platform))[
        "items"
    ] == [row]
    assert (await get(client, agency, f"/acknowledgements?unit_id={agency.unit(0)['id']}", platform))["items"] == []
    assert (await get(client, agency, "/acknowledgements?version=2", platform))["items"] == []
    for bad in ("version=0", "version=2147483648", "unit_id=x"):
        assert_problem(
            await client.get(agency.url(f"/acknowledgements?{bad}"), headers=platform), 422, "validation-error"
        )
    # A contractor does not read the staff's records.
    refused = await client.get(agency.url("/acknowledgements"), headers=contractor.headers)
    assert_problem(refused, 403, "forbidden")

    # The general administrator acknowledges too: two units where someone has.
    assert (await acknowledge(client, agency, agency.admin.headers)).status_code == 201
    assert len((await get(client, agency, "/acknowledgements?version=1", platform))["items"]) == 2


async def test_a_new_version_asks_the_accounts_people_and_reminds_the_silent_after_two_weeks(
    client: httpx.AsyncClient, platform: dict[str, str], time: Time, app: Any, worker: Any
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    unit = ehime.unit()
    manager = await staff(client, platform, ehime.id, ["operations_manager"], unit_id=unit["id"])
    operator = await staff(client, platform, ehime.id, ["operator"], unit_id=unit["id"])
    bystander = await staff(client, platform, ehime.id, ["operator"], unit_id=unit["id"])
    await open_account(client, ehime, operations_manager_id=manager.user["id"], operator_ids=[operator.user["id"]])
    # Version 1 came before any account: nobody was asked.
    assert await events(client, ehime, platform, "guideline.acknowledgement_requested") == []

    revised = {**ehime.config, "platforms": {**ehime.config["platforms"], "note": "第2版"}}
    assert (await record(client, platform, ehime.id, revised, "2026-05-01")).status_code == 201
    await settle(app, worker)  # the mail goes out
    [requested] = await events(client, ehime, platform, "guideline.acknowledgement_requested")
    assert (requested["subject_id"], requested["data"]) == ("2", {"version": 2, "due_on": "2026-04-15"})
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    asked = sorted(m["to_address"] for m in mail if "第2版）の確認をお願いします" in m["subject"])
    assert asked == sorted([manager.user["email"], operator.user["email"]])

    # The operator acknowledges the new version before it applies; the manager stays silent.
    done = await acknowledge(client, ehime, operator.headers, version=2)
    assert done.status_code == 201, done.text
    await time.to("2026-04-15T14:00:00+00:00")  # 23:00 on the 15th in Tokyo: not yet
    assert await events(client, ehime, platform, "guideline.acknowledgement_overdue") == []

    await time.to("2026-04-15T15:00:00+00:00")
    [overdue] = await events(client, ehime, platform, "guideline.acknowledgement_overdue")
    assert overdue["data"] == {"version": 2, "due_on": "2026-04-15", "pending": 1}
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    reminded = sorted(m["to_address"] for m in mail if "確認がまだの方がいます" in m["subject"])
    assert reminded == sorted([manager.user["email"], ehime.admin.user["email"]])
    assert bystander.user["email"] not in {m["to_address"] for m in mail}
    # Once only.
    await time.to("2026-04-20T00:00:00+00:00")
    assert len(await events(client, ehime, platform, "guideline.acknowledgement_overdue")) == 1


async def test_a_reminder_is_dropped_when_everyone_acknowledged_or_a_newer_version_came(
    client: httpx.AsyncClient, platform: dict[str, str], time: Time
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    operator = await staff(client, platform, ehime.id, ["operator"], unit_id=ehime.unit()["id"])
    await open_account(client, ehime, operations_manager_id=operator.user["id"], operator_ids=[operator.user["id"]])
    revised = {**ehime.config, "platforms": {**ehime.config["platforms"], "note": "第2版"}}
    assert (await record(client, platform, ehime.id, revised, "2026-04-10")).status_code == 201
    assert (await acknowledge(client, ehime, operator.headers, version=2)).status_code == 201
    # A third version on the 10th: its own request; version 2's reminder finds nothing to do.
    await time.to("2026-04-10T00:00:00+00:00")
    third = {**revised, "platforms": {**revised["platforms"], "note": "第3版"}}
    assert (await record(client, platform, ehime.id, third, "2026-04-20")).status_code == 201
    await time.to("2026-04-16T00:00:00+00:00")
    assert await events(client, ehime, platform, "guideline.acknowledgement_overdue") == []
    requested = await events(client, ehime, platform, "guideline.acknowledgement_requested")
    assert sorted(e["data"]["version"] for e in requested) == [2, 3]
    await time.to("2026-04-25T00:00:00+00:00")
    [overdue] = await events(client, ehime, platform, "guideline.acknowledgement_overdue")
    assert (overdue["subject_id"], overdue["data"]["pending"]) == ("3", 1)
