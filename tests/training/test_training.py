"""Training sessions: recorded with their attendees, listed by period and kind; bad input refused
and nothing recorded. On 愛媛県's and 小山高専's presets."""

from __future__ import annotations

import httpx
import pytest

from tests.support import agency_from_preset, assert_problem, get, staff


@pytest.mark.parametrize("preset", ["ehime-pref", "oyama-kosen"])
async def test_sessions_are_recorded_listed_and_bad_ones_refused(
    client: httpx.AsyncClient, platform: dict[str, str], preset: str
) -> None:
    agency = await agency_from_preset(client, platform, preset)
    manager = await staff(client, platform, agency.id, ["operations_manager"])
    operator = await staff(client, platform, agency.id, ["operator"], unit_id=agency.unit()["id"])
    stranger = await agency_from_preset(client, platform, "mine-shakyo")
    url = agency.url("/training-sessions")
    body = {"held_on": "2026-03-10", "title": "情報セキュリティ研修", "kind": "security", "note": "外部講師",
            "attendee_ids": [operator.user["id"], manager.user["id"], operator.user["id"]]}  # fmt: skip

    made = await client.post(url, json=body, headers=manager.headers)
    assert made.status_code == 201, made.text
    security = made.json()
    assert security["attendee_ids"] == [operator.user["id"], manager.user["id"]]  # each once
    assert (security["held_on"], security["kind"]) == ("2026-03-10", "security")
    today = await client.post(
        url, json={"held_on": "2026-04-01", "title": "SNS活用研修", "kind": "digital_marketing"},
        headers=agency.admin.headers,
    )  # fmt: skip
    assert today.status_code == 201, today.text

    refusals = [
        ({**body, "held_on": "2026-04-02"}, 422, ["/held_on"]),  # tomorrow in Tokyo
        ({**body, "attendee_ids": [operator.user["id"], stranger.admin.user["id"]]}, 404, ["/attendee_ids/1"]),
        ({**body, "kind": "cooking"}, 422, None),
        ({**body, "title": ""}, 422, None),
        ({**body, "held_on": "2026-02-30"}, 422, None),
        ({**body, "attendees": []}, 422, None),
    ]
    for bad, status, pointers in refusals:
        response = await client.post(url, json=bad, headers=manager.headers)
        problem = assert_problem(response, status, "not-found" if status == 404 else "validation-error")
        if pointers is not None:
            assert [e["pointer"] for e in problem["errors"]] == pointers
    assert_problem(await client.post(url, json=body, headers=operator.headers), 403, "forbidden")

    everything = await get(client, agency, "/training-sessions", operator.headers)
    assert [s["id"] for s in everything["items"]] == [today.json()["id"], security["id"]]  # latest held first
    assert await get(client, agency, f"/training-sessions/{security['id']}", operator.headers) == security
    by_kind = await get(client, agency, "/training-sessions?kind=security", platform)
    assert [s["id"] for s in by_kind["items"]] == [security["id"]]
    march = await get(client, agency, "/training-sessions?since=2026-03-01&until=2026-03-31", platform)
    assert [s["id"] for s in march["items"]] == [security["id"]]
    paged = await get(client, agency, "/training-sessions?limit=1", platform)
    assert [s["id"] for s in paged["items"]] == [today.json()["id"]]
    rest = await get(client, agency, f"/training-sessions?limit=1&cursor={paged['next_cursor']}", platform)
    assert ([s["id"] for s in rest["items"]], rest["next_cursor"]) == ([security["id"]], None)
    backwards = await client.get(url + "?since=2026-04-01&until=2026-03-01", headers=platform)
    assert [e["parameter"] for e in assert_problem(backwards, 422, "validation-error")["errors"]] == ["until"]
    missing = await client.get(stranger.url(f"/training-sessions/{security['id']}"), headers=platform)
    assert_problem(missing, 404, "not-found")
