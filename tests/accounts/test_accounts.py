"""The register as staff keep it: one record per real account, concurrency, filters, who may do what."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.kit.permissions import Role, permissions_of
from tests.support import (
    Agency,
    agency_from_preset,
    assert_problem,
    bearer,
    compliant_account,
    create_account,
    open_account,
    put_documents,
    staff,
    x_handle,
)
from tests.support.posts import attest_all, plain_post


@pytest.fixture(scope="module")
async def ehime(client: httpx.AsyncClient, platform_token: str) -> Agency:
    return await agency_from_preset(client, bearer(platform_token), "ehime-pref")


@pytest.fixture(scope="module")
async def hokkaido(client: httpx.AsyncClient, platform_token: str) -> Agency:
    return await agency_from_preset(client, bearer(platform_token), "hokkaido-boe")


def draft_body(agency: Agency, url: str, **extra: Any) -> dict[str, Any]:
    return {"unit_id": agency.unit()["id"], "url": url, "display_name": "広報", "operating_body": "direct", **extra}


async def count(client: httpx.AsyncClient, agency: Agency) -> int:
    return len((await client.get(agency.url("/accounts?limit=200"), headers=agency.admin.headers)).json()["items"])


async def test_a_url_is_stored_in_its_one_canonical_form(client: httpx.AsyncClient, ehime: Agency) -> None:
    handle = x_handle()
    response = await client.post(
        ehime.url("/accounts"),
        json=draft_body(ehime, f"https://mobile.twitter.com/{handle.upper()}/?s=20&t=Abc#top"),
        headers=ehime.admin.headers,
    )
    assert response.status_code == 201, response.text
    account = response.json()
    assert account["platform"] == "x"
    assert account["handle"] == handle.upper()
    assert account["canonical_url"] == f"https://x.com/{handle.upper()}"
    assert account["status"] == "draft"
    assert response.headers["etag"] == '"1"'
    read = await client.get(ehime.url(f"/accounts/{account['id']}"), headers=ehime.admin.headers)
    assert read.json() == account
    assert read.headers["etag"] == '"1"'


async def test_the_same_platform_account_in_another_tenant_is_a_409_naming_the_holder(
    client: httpx.AsyncClient, ehime: Agency, hokkaido: Agency
) -> None:
    handle = x_handle()
    await create_account(client, ehime, draft_body(ehime, f"https://x.com/{handle}"))
    before = await count(client, hokkaido)
    for spelling in (
        f"https://twitter.com/{handle.upper()}",
        f"x.com/{handle}?lang=ja",
        f"https://x.com/{handle}/status/1",
    ):
        response = await client.post(
            hokkaido.url("/accounts"),
            json=draft_body(hokkaido, spelling, signup_mailbox=hokkaido.unit()["shared_mailbox"]),
            headers={**hokkaido.admin.headers, "Accept-Language": "en"},
        )
        problem = assert_problem(response, 409, "conflict")
        assert problem["reason"] == "account-registered"
        assert problem["holder"]["slug"] == ehime.slug
        assert problem["holder"]["register"] == f"/v1/public/tenants/{ehime.slug}/register"
        assert "Ehime Prefecture" in problem["detail"]
    # The same tenant cannot hold it twice either; the detail is Japanese by default.
    again = await client.post(
        ehime.url("/accounts"), json=draft_body(ehime, f"@{handle}", platform="x"), headers=ehime.admin.headers
    )
    assert "愛媛県" in assert_problem(again, 409, "conflict")["detail"]
    assert await count(client, hokkaido) == before


async def test_a_permanent_id_is_one_record_whatever_the_handle(client: httpx.AsyncClient, ehime: Agency) -> None:
    user_id = str(10**15 + int(x_handle()[1:7], 16))
    await create_account(client, ehime, draft_body(ehime, f"https://x.com/{x_handle()}", platform_user_id=user_id))
    # The handle was renamed since; the id is the same account.
    response = await client.post(
        ehime.url("/accounts"),
        json=draft_body(ehime, f"https://x.com/{x_handle()}", platform_user_id=f"00{user_id}"),
        headers=ehime.admin.headers,
    )
    assert assert_problem(response, 409, "conflict")["reason"] == "account-registered"
    by_id_url = await client.post(
        ehime.url("/accounts"), json=draft_body(ehime, f"https://x.com/i/user/{user_id}"), headers=ehime.admin.headers
    )
    assert by_id_url.status_code == 409, by_id_url.text


@pytest.mark.parametrize(
    ("url", "extra", "pointer"),
    [
        ("https://x.com/home", {}, "/url"),
        ("https://x.com/someone/status/12345", {"platform": "facebook"}, "/url"),
        ("kochi_koho", {}, "/url"),
        ("https://www.youtube.com/watch?v=abc", {}, "/url"),
        ("https://x.com/valid_handle", {"platform_user_id": "not-a-number"}, "/platform_user_id"),
    ],
)
async def test_what_names_no_account_is_a_422_that_changes_nothing(
    client: httpx.AsyncClient, ehime: Agency, url: str, extra: dict[str, Any], pointer: str
) -> None:
    before = await count(client, ehime)
    response = await client.post(
        ehime.url("/accounts"), json=draft_body(ehime, url, **extra), headers=ehime.admin.headers
    )
    problem = assert_problem(response, 422, "validation-error")
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [(pointer, "unrecognised_account")]
    assert await count(client, ehime) == before


async def test_people_and_units_must_be_the_tenants_own(
    client: httpx.AsyncClient, ehime: Agency, hokkaido: Agency
) -> None:
    foreign_user = hokkaido.admin.user["id"]
    response = await client.post(
        ehime.url("/accounts"),
        json=draft_body(ehime, f"https://x.com/{x_handle()}", operator_ids=[ehime.admin.user["id"], foreign_user]),
        headers=ehime.admin.headers,
    )
    assert [e["pointer"] for e in assert_problem(response, 404, "not-found")["errors"]] == ["/operator_ids/1"]
    response = await client.post(
        ehime.url("/accounts"),
        json={**draft_body(ehime, f"https://x.com/{x_handle()}"), "unit_id": hokkaido.unit()["id"]},
        headers=ehime.admin.headers,
    )
    assert_problem(response, 404, "not-found")


async def test_updates_need_the_current_etag(client: httpx.AsyncClient, ehime: Agency, hokkaido: Agency) -> None:
    account = await create_account(client, ehime, draft_body(ehime, f"https://x.com/{x_handle()}"))
    url = ehime.url(f"/accounts/{account['id']}")
    assert_problem(
        await client.put(url, json={"purpose": "a"}, headers=ehime.admin.headers), 428, "precondition-required"
    )
    first = await client.put(url, json={"purpose": "a"}, headers={**ehime.admin.headers, "If-Match": '"1"'})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    assert first.json()["purpose"] == "a"
    stale = await client.put(url, json={"purpose": "b"}, headers={**ehime.admin.headers, "If-Match": '"1"'})
    assert assert_problem(stale, 412, "precondition-failed")["current_etag"] == '"2"'
    # Moving the record onto an account another tenant holds is the same 409 as creating it.
    theirs = await create_account(
        client,
        hokkaido,
        draft_body(hokkaido, f"https://x.com/{x_handle()}", signup_mailbox=hokkaido.unit()["shared_mailbox"]),
    )
    moved = await client.put(
        url, json={"url": theirs["canonical_url"]}, headers={**ehime.admin.headers, "If-Match": '"2"'}
    )
    assert assert_problem(moved, 409, "conflict")["holder"]["slug"] == hokkaido.slug
    assert (await client.get(url, headers=ehime.admin.headers)).json()["purpose"] == "a"


async def test_a_repeated_create_with_the_same_idempotency_key_is_one_account(
    client: httpx.AsyncClient, ehime: Agency
) -> None:
    body = draft_body(ehime, f"https://x.com/{x_handle()}")
    headers = {**ehime.admin.headers, "Idempotency-Key": f"create-{x_handle()}"}
    first = await client.post(ehime.url("/accounts"), json=body, headers=headers)
    second = await client.post(ehime.url("/accounts"), json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    different = await client.post(ehime.url("/accounts"), json={**body, "purpose": "x"}, headers=headers)
    assert assert_problem(different, 409, "conflict")["reason"] == "idempotency-key-reused"


async def test_lists_filter_and_page(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    agency = await agency_from_preset(client, platform, "ehime-pref")
    units = list(agency.units.values())
    made = []
    for i in range(5):
        url = f"https://x.com/{x_handle()}" if i % 2 else f"https://www.instagram.com/{x_handle()}/"
        made.append(await create_account(client, agency, {**draft_body(agency, url), "unit_id": units[i % 2]["id"]}))
    opened = await open_account(client, agency)
    headers = agency.admin.headers

    async def ids(query: str) -> list[str]:
        response = await client.get(agency.url(f"/accounts?{query}"), headers=headers)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    everything = await ids("limit=200")
    assert set(everything) == {a["id"] for a in made} | {opened["id"]}
    assert everything == sorted(everything)
    assert await ids(f"unit_id={units[0]['id']}") == [a["id"] for a in made if a["unit_id"] == units[0]["id"]]
    assert await ids("platform=instagram") == [a["id"] for a in made if a["platform"] == "instagram"]
    assert await ids("status=active") == [opened["id"]]
    assert await ids("status=draft&platform=x") == [a["id"] for a in made if a["platform"] == "x"]
    assert await ids("operating_body=outsourced") == []
    assert len(await ids("needs_attention=false")) == 6
    paged, cursor = [], ""
    while True:
        page = (await client.get(agency.url(f"/accounts?limit=2{cursor}"), headers=headers)).json()
        paged += [a["id"] for a in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert paged == everything
    bad = await client.get(agency.url("/accounts?status=lost"), headers=headers)
    assert_problem(bad, 422, "validation-error")


async def test_an_illegal_transition_is_a_409_naming_what_is_allowed(client: httpx.AsyncClient, ehime: Agency) -> None:
    draft = await create_account(client, ehime, draft_body(ehime, f"https://x.com/{x_handle()}"))
    base = ehime.url(f"/accounts/{draft['id']}")
    problem = assert_problem(
        await client.post(f"{base}/suspend", json={"reason": "x"}, headers=ehime.admin.headers), 409, "conflict"
    )
    assert problem["reason"] == "illegal-transition"
    assert problem["status"] == 409
    assert problem["allowed_actions"] == ["submit"]
    assert_problem(await client.post(f"{base}/resume", headers=ehime.admin.headers), 409, "conflict")
    post = await client.post(ehime.url("/posts"), json=plain_post(ehime, draft["id"]), headers=ehime.admin.headers)
    assert assert_problem(post, 409, "conflict")["reason"] == "post-account-not-in-service"

    active = await open_account(client, ehime)
    base = ehime.url(f"/accounts/{active['id']}")
    suspended = await client.post(f"{base}/suspend", json={"reason": "乗っ取りの疑い"}, headers=ehime.admin.headers)
    assert suspended.json()["status"] == "suspended"
    again = assert_problem(
        await client.post(f"{base}/suspend", json={"reason": "x"}, headers=ehime.admin.headers), 409, "conflict"
    )
    assert again["allowed_actions"] == ["announce_closure", "close_now", "resume"]
    assert (await client.post(f"{base}/resume", headers=ehime.admin.headers)).json()["status"] == "active"


async def test_documents_are_checked_item_by_item(client: httpx.AsyncClient, ehime: Agency) -> None:
    account = await create_account(client, ehime, compliant_account(ehime, ehime.unit(), f"https://x.com/{x_handle()}"))
    readiness = (
        await client.get(ehime.url(f"/accounts/{account['id']}/readiness"), headers=ehime.admin.headers)
    ).json()
    assert readiness["ready"] is False
    unmet = {u["rule"]: u for u in readiness["unmet"]}
    usage = unmet["/opening/required_documents/usage_policy"]
    assert usage["missing"] == ehime.config["opening"]["required_documents"]["usage_policy"]["items"]
    assert usage["basis"] == ehime.config["opening"]["required_documents"]["usage_policy"]["basis"]
    assert "利用方針" in usage["detail"]

    doc_url = ehime.url(f"/accounts/{account['id']}/documents/usage_policy")
    partial = dict.fromkeys(["purpose", "platforms"], "県政の情報発信")
    written = await client.put(doc_url, json={"items": partial}, headers=ehime.admin.headers)
    assert written.status_code == 200, written.text
    readiness = (
        await client.get(ehime.url(f"/accounts/{account['id']}/readiness"), headers=ehime.admin.headers)
    ).json()
    usage = next(u for u in readiness["unmet"] if u["rule"] == "/opening/required_documents/usage_policy")
    assert "purpose" not in usage["missing"]
    assert "targets" in usage["missing"]
    # Replacing a document is a change like any other: it needs the ETag.
    assert_problem(
        await client.put(doc_url, json={"items": {}}, headers=ehime.admin.headers), 428, "precondition-required"
    )
    await put_documents(client, ehime, account["id"], {**ehime.admin.headers, "If-Match": "*"})
    readiness = (
        await client.get(ehime.url(f"/accounts/{account['id']}/readiness"), headers=ehime.admin.headers)
    ).json()
    assert readiness == {"ready": True, "guideline_version": 1, "unmet": []}
    documents = (
        await client.get(ehime.url(f"/accounts/{account['id']}/documents"), headers=ehime.admin.headers)
    ).json()
    assert {d["kind"] for d in documents} == {"usage_policy", "operations_manual", "account_policy"}
    bad_kind = await client.put(
        ehime.url(f"/accounts/{account['id']}/documents/diary"), json={"items": {}}, headers=ehime.admin.headers
    )
    assert_problem(bad_kind, 422, "validation-error")


async def test_an_agency_system_drafts_and_records_posts_that_feed_last_post(
    client: httpx.AsyncClient, ehime: Agency
) -> None:
    account = await open_account(client, ehime)
    token = await client.post(
        ehime.url("/api-tokens"),
        json={"name": "CMS", "scopes": sorted(permissions_of(Role.AGENCY_SYSTEM) & {"posts:write", "accounts:read"})},
        headers=ehime.admin.headers,
    )
    assert token.status_code == 201, token.text
    system = bearer(token.json()["secret"])
    drafted = await client.post(ehime.url("/posts"), json=plain_post(ehime, account["id"]), headers=system)
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["source"] == "system"
    post = ehime.url(f"/posts/{drafted.json()['id']}")
    submitted = await client.post(f"{post}/submit", json=attest_all(ehime), headers=system)
    assert submitted.json()["awaiting"] == "check", submitted.text  # a system's word is no check
    assert (await client.post(f"{post}/checks", json=attest_all(ehime), headers=system)).status_code == 403
    assert (await client.post(f"{post}/approve", json={}, headers=system)).status_code == 403  # not posts:decide
    checked = await client.post(f"{post}/checks", json=attest_all(ehime), headers=ehime.admin.headers)
    assert checked.json()["awaiting"] == "approval", checked.text
    assert (await client.post(f"{post}/approve", json={}, headers=ehime.admin.headers)).status_code == 200
    published = await client.post(
        f"{post}/publish",
        json={"url": "https://x.com/a/status/1", "published_at": "2026-04-01T08:45:00+09:00"},
        headers=system,
    )
    assert published.status_code == 200, published.text
    read = (await client.get(ehime.url(f"/accounts/{account['id']}"), headers=system)).json()
    assert read["last_post_at"] == "2026-03-31T23:45:00Z"


async def test_unit_heads_and_operators_act_only_on_their_own(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    mine, other = ehime.unit(-1), ehime.unit(0)
    head = await staff(client, platform, ehime.id, ["unit_head"], unit_id=mine["id"])
    operator = await staff(client, platform, ehime.id, ["operator"])
    auditor = await staff(client, platform, ehime.id, ["auditor"])
    # A unit head registers for their own unit, not another's.
    own = await client.post(
        ehime.url("/accounts"),
        json={**draft_body(ehime, f"https://x.com/{x_handle()}"), "unit_id": mine["id"]},
        headers=head.headers,
    )
    assert own.status_code == 201, own.text
    theirs = await client.post(
        ehime.url("/accounts"),
        json={**draft_body(ehime, f"https://x.com/{x_handle()}"), "unit_id": other["id"]},
        headers=head.headers,
    )
    assert assert_problem(theirs, 403, "forbidden")["reason"] == "outside-your-units-or-assignments"
    # An operator changes the accounts assigned to them only.
    assigned = await create_account(
        client, ehime, {**draft_body(ehime, f"https://x.com/{x_handle()}"), "operator_ids": [operator.user["id"]]}
    )
    unassigned = await create_account(client, ehime, draft_body(ehime, f"https://x.com/{x_handle()}"))
    ok = await client.put(
        ehime.url(f"/accounts/{assigned['id']}"),
        json={"purpose": "担当分"},
        headers={**operator.headers, "If-Match": '"1"'},
    )
    assert ok.status_code == 200, ok.text
    refused = await client.put(
        ehime.url(f"/accounts/{unassigned['id']}"),
        json={"purpose": "x"},
        headers={**operator.headers, "If-Match": '"1"'},
    )
    assert_problem(refused, 403, "forbidden")
    # Everyone in the tenant reads the register; an auditor changes nothing.
    assert (await client.get(ehime.url(f"/accounts/{unassigned['id']}"), headers=operator.headers)).status_code == 200
    assert (await client.get(ehime.url("/accounts"), headers=auditor.headers)).status_code == 200
    assert_problem(
        await client.post(
            ehime.url("/accounts"), json=draft_body(ehime, f"https://x.com/{x_handle()}"), headers=auditor.headers
        ),
        403,
        "forbidden",
    )
    unchanged = await client.get(ehime.url(f"/accounts/{unassigned['id']}"), headers=ehime.admin.headers)
    assert unchanged.json()["purpose"] == ""


async def test_a_contractor_without_an_agreement_reads_nothing(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    contractor = await staff(client, platform, ehime.id, ["contractor"])
    account = await create_account(client, ehime, draft_body(ehime, f"https://x.com/{x_handle()}"))
    for response in (
        await client.get(ehime.url("/accounts"), headers=contractor.headers),
        await client.get(ehime.url(f"/accounts/{account['id']}"), headers=contractor.headers),
        await client.post(
            ehime.url("/accounts"), json=draft_body(ehime, f"https://x.com/{x_handle()}"), headers=contractor.headers
        ),
    ):
        assert_problem(response, 403, "forbidden")


async def test_impersonation_warnings(client: httpx.AsyncClient, ehime: Agency) -> None:
    official = await open_account(client, ehime)
    refused = await client.post(
        ehime.url("/impersonation-warnings"), json={"url": official["canonical_url"]}, headers=ehime.admin.headers
    )
    assert assert_problem(refused, 409, "conflict")["reason"] == "official-account"
    fake = f"https://x.com/{x_handle()}"
    created = await client.post(
        ehime.url("/impersonation-warnings"),
        json={"url": fake + "?ref=share", "note_ja": "県のロゴを無断使用", "note_en": "Uses the prefecture's logo"},
        headers=ehime.admin.headers,
    )
    assert created.status_code == 201, created.text
    warning = created.json()
    assert warning["url"] == fake
    assert warning["active"] is True
    resolved = await client.post(
        ehime.url(f"/impersonation-warnings/{warning['id']}/resolve"), headers=ehime.admin.headers
    )
    assert resolved.json()["active"] is False
    listed = (await client.get(ehime.url("/impersonation-warnings"), headers=ehime.admin.headers)).json()
    assert warning["id"] in [w["id"] for w in listed]
