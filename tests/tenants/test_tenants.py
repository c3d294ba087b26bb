"""Tenants and units through the API: creation, conflicts, pagination, ETags, idempotency, nesting."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import assert_problem, create_tenant, make_unit, unique_slug


async def test_create_and_read_tenant(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    slug = unique_slug("ehime")
    response = await client.post(
        "/v1/tenants",
        json={"slug": slug, "name_ja": "愛媛県", "name_en": "Ehime Prefecture", "kind": "prefecture"},
        headers=platform,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["time_zone"] == "Asia/Tokyo"
    assert response.headers["etag"] == '"1"'
    read = await client.get(f"/v1/tenants/{created['id']}", headers=platform)
    assert read.json() == created


async def test_slug_is_unique(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    first = await create_tenant(client, platform)
    again = await client.post(
        "/v1/tenants",
        json={"slug": first["slug"], "name_ja": "別", "name_en": "Other", "kind": "other"},
        headers=platform,
    )
    problem = assert_problem(again, 409, "conflict")
    assert problem["reason"] == "tenant-slug-taken"
    assert first["slug"] in problem["detail"]


async def test_unknown_time_zone_is_refused(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    body = {"slug": unique_slug(), "name_ja": "x", "name_en": "x", "kind": "other", "time_zone": "Asia/Atlantis"}
    problem = assert_problem(await client.post("/v1/tenants", json=body, headers=platform), 422, "validation-error")
    assert problem["errors"][0]["pointer"] == "/time_zone"


async def test_list_tenants_pages_with_a_cursor(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    made = {(await create_tenant(client, platform))["id"] for _ in range(3)}
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        url = "/v1/tenants?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=platform)).json()
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert made <= set(seen)
    assert len(seen) == len(set(seen)), "a tenant appeared on two pages"
    assert seen == sorted(seen), "pages are in id (creation) order"


async def test_update_needs_the_current_etag(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    url = f"/v1/tenants/{tenant['id']}"
    assert_problem(await client.patch(url, json={"name_en": "X"}, headers=platform), 428, "precondition-required")
    changed = await client.patch(url, json={"name_en": "Renamed"}, headers={**platform, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name_en"] == "Renamed"
    assert changed.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"name_en": "Lost update"}, headers={**platform, "If-Match": '"1"'})
    problem = assert_problem(stale, 412, "precondition-failed")
    assert problem["current_etag"] == '"2"'
    assert (await client.get(url, headers=platform)).json()["name_en"] == "Renamed"


async def test_slug_cannot_be_changed(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    response = await client.patch(
        f"/v1/tenants/{tenant['id']}", json={"slug": "new-slug"}, headers={**platform, "If-Match": '"1"'}
    )
    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0] == {**problem["errors"][0], "pointer": "/slug", "code": "unknown_field"}


async def test_unknown_tenant_is_404(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    missing = "01234567-89ab-7def-8123-456789abcdef"
    assert_problem(await client.get(f"/v1/tenants/{missing}", headers=platform), 404, "not-found")
    assert_problem(await client.get(f"/v1/tenants/{missing}/units", headers=platform), 404, "not-found")


async def test_idempotency_key_replays_the_first_answer(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    body = {"slug": unique_slug(), "name_ja": "再送", "name_en": "Retry", "kind": "other"}
    headers = {**platform, "Idempotency-Key": unique_slug("key")}
    first = await client.post("/v1/tenants", json=body, headers=headers)
    second = await client.post("/v1/tenants", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["etag"] == first.headers["etag"]
    different = await client.post("/v1/tenants", json={**body, "name_en": "Changed"}, headers=headers)
    assert assert_problem(different, 409, "conflict")["reason"] == "idempotency-key-reused"


async def test_failed_request_does_not_burn_its_idempotency_key(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    headers = {**platform, "Idempotency-Key": unique_slug("key")}
    body = {"slug": tenant["slug"], "name_ja": "x", "name_en": "x", "kind": "other"}
    assert_problem(await client.post("/v1/tenants", json=body, headers=headers), 409, "conflict")
    retried = await client.post("/v1/tenants", json={**body, "slug": unique_slug()}, headers=headers)
    assert retried.status_code == 201, retried.text


# ---- units -------------------------------------------------------------------------------------


async def test_units_nest_one_level(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    top = await make_unit(client, platform, tenant["id"])
    child = await make_unit(client, platform, tenant["id"], parent_id=top["id"])
    assert child["parent_id"] == top["id"]
    grandchild = await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={"code": unique_slug("u"), "name_ja": "係", "name_en": "Section", "parent_id": child["id"]},
        headers=platform,
    )
    assert assert_problem(grandchild, 409, "conflict")["reason"] == "unit-nesting"
    # A unit that has children cannot itself be put under another.
    other = await make_unit(client, platform, tenant["id"])
    moved = await client.patch(
        f"/v1/tenants/{tenant['id']}/units/{top['id']}",
        json={"parent_id": other["id"]},
        headers={**platform, "If-Match": '"1"'},
    )
    assert assert_problem(moved, 409, "conflict")["reason"] == "unit-is-parent-of-others"
    children = (await client.get(f"/v1/tenants/{tenant['id']}/units?parent_id={top['id']}", headers=platform)).json()
    assert [u["id"] for u in children["items"]] == [child["id"]]


async def test_unit_code_is_unique_per_tenant(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    unit = await make_unit(client, platform, tenant["id"])
    again = await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={"code": unit["code"], "name_ja": "x", "name_en": "x"},
        headers=platform,
    )
    assert assert_problem(again, 409, "conflict")["reason"] == "unit-code-taken"
    # The same code in another tenant is fine.
    other = await create_tenant(client, platform)
    await make_unit(client, platform, other["id"], code=unit["code"])


async def test_a_parent_from_another_tenant_is_not_found(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    other = await create_tenant(client, platform)
    foreign = await make_unit(client, platform, other["id"])
    response = await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={"code": unique_slug("u"), "name_ja": "x", "name_en": "x", "parent_id": foreign["id"]},
        headers=platform,
    )
    problem = assert_problem(response, 404, "not-found")
    assert problem["errors"][0]["pointer"] == "/parent_id"
    # Nor can another tenant's unit be read, changed or deleted through this tenant's path.
    path = f"/v1/tenants/{tenant['id']}/units/{foreign['id']}"
    assert_problem(await client.get(path, headers=platform), 404, "not-found")
    assert_problem(
        await client.patch(path, json={"name_en": "x"}, headers={**platform, "If-Match": '"1"'}), 404, "not-found"
    )
    assert_problem(await client.delete(path, headers=platform), 404, "not-found")
    untouched = (await client.get(f"/v1/tenants/{other['id']}/units/{foreign['id']}", headers=platform)).json()
    assert untouched == foreign


async def test_delete_unit(client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]) -> None:
    top = await make_unit(client, platform, tenant["id"])
    child = await make_unit(client, platform, tenant["id"], parent_id=top["id"])
    base = f"/v1/tenants/{tenant['id']}/units"
    assert assert_problem(await client.delete(f"{base}/{top['id']}", headers=platform), 409, "conflict")["reason"] == (
        "unit-has-children"
    )
    assert_problem(
        await client.delete(f"{base}/{child['id']}", headers={**platform, "If-Match": '"9"'}),
        412,
        "precondition-failed",
    )
    assert (await client.delete(f"{base}/{child['id']}", headers=platform)).status_code == 204
    assert (await client.delete(f"{base}/{top['id']}", headers=platform)).status_code == 204
    assert_problem(await client.get(f"{base}/{top['id']}", headers=platform), 404, "not-found")


async def test_unit_mailbox_must_look_like_an_address(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={"code": unique_slug("u"), "name_ja": "x", "name_en": "x", "shared_mailbox": "not an address"},
        headers=platform,
    )
    assert assert_problem(response, 422, "validation-error")["errors"][0]["pointer"] == "/shared_mailbox"


async def test_concurrent_creates_of_one_slug_give_one_tenant_and_one_409(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    import asyncio

    body = {"slug": unique_slug("race"), "name_ja": "競合", "name_en": "Race", "kind": "other"}
    responses = await asyncio.gather(*(client.post("/v1/tenants", json=body, headers=platform) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    listed = (await client.get(f"/v1/tenants?slug={body['slug']}", headers=platform)).json()["items"]
    assert len(listed) == 1
