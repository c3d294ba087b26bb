"""Issue 13, input: what a fuzz run found answered 500, accepted or explained wrongly, each reproduced.

- U+0000 in any string that reaches PostgreSQL answered 500 (unauthenticated calls too): a body's
  is a 422 naming its pointer, a path or query parameter's a 400 naming the parameter, everywhere.
- Integers past PostgreSQL's `integer` answered 500: every integer has bounds, published and kept.
- `OPTIONS /v1/dead-letters` answered otherwise than every other path (its controller's guard ran).
- Bodies were decoded leniently (`"happened_at": 0`, `"1e9"`, `"30"`, `"true"`) and `?since=0.5`
  was read as seconds since 1970: bodies are decoded strictly, query date-times must be date-times.
- Errors named the wrong pointer ("expected null", collapsed onto a nullable object) or carried the
  decoder's English inside the Japanese detail.
- The published schema lacked the constraints of nullable fields and some statuses answered.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from service.kit.http import PG_INTEGER_MAX
from tests.support import assert_problem, make_unit

NUL = "\u0000"
ZERO = "00000000-0000-0000-0000-000000000000"


def _fill(path: str, tenant_id: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if name == "tenant_id":
            return tenant_id
        return {"uuid": str(uuid.uuid4()), "int": "1"}.get(kind, "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


def _routes(app: Litestar) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    found.append((method, route.path, handler))
    return sorted(found, key=lambda r: (r[1], r[0]))


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    result: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return result


# ---- U+0000 -------------------------------------------------------------------------------------------


async def test_a_nul_in_a_body_is_a_422_naming_the_field_even_unauthenticated(client: httpx.AsyncClient) -> None:
    for lang, expected in (
        ("ja", "NUL 文字（U+0000）は使えません。"),
        ("en", "Must not contain the NUL character (U+0000)."),
    ):
        response = await client.post(
            "/v1/auth/login", json={"login": f"a{NUL}", "password": "x"}, headers={"Accept-Language": lang}
        )
        problem = assert_problem(response, 422, "validation-error")
        assert problem["errors"] == [{"code": "nul_character", "detail": expected, "in": "body", "pointer": "/login"}]


async def test_a_nul_in_a_path_or_query_parameter_is_a_400_naming_it(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    public = await client.get("/v1/public/tenants/%00/register")
    problem = assert_problem(public, 400, "bad-request")
    assert [(e["in"], e["parameter"], e["code"]) for e in problem["errors"]] == [("path", "slug", "nul_character")]

    for path, name in (("/v1/tenants?slug=a%00b", "slug"), ("/v1/public/verify?platform=x&handle=a%00", "handle")):
        response = await client.get(path, headers=platform)
        problem = assert_problem(response, 400, "bad-request")
        assert [(e["in"], e["parameter"]) for e in problem["errors"]] == [("query", name)], path


async def test_no_route_answers_500_for_a_nul_in_its_body_or_its_query(
    app: Litestar, client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    """The one check is where bodies are decoded and parameters read: every route goes through it."""
    for method, template, handler in _routes(app):
        path = _fill(template, tenant["id"])
        if handler.parsed_data_field is not None:
            response = await client.request(method, path, json={f"a{NUL}": f"b{NUL}"}, headers=platform)
            if response.status_code != 403:  # a user's own password: not for a platform token
                problem = assert_problem(response, 422, "validation-error")
                assert {e["code"] for e in problem["errors"]} >= {"nul_character"}, (method, template)
        queries = [
            name
            for name, field in handler.parsed_fn_signature.parameters.items()
            if name not in template and field.kwarg_definition is None
        ]
        if method == "GET" and queries:
            response = await client.get(path, params={q: f"x{NUL}" for q in queries}, headers=platform)
            assert response.status_code == 400, (template, response.text)


async def test_a_cursor_holding_a_nul_or_a_huge_number_is_the_usual_422(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    import base64

    def cursor(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    versions = f"/v1/tenants/{tenant['id']}/guideline/versions"
    for raw in (b'["a\\u0000"]', b"[2147483648]", b"[1e300]", b"[Infinity]", b"[NaN]"):
        response = await client.get(versions, params={"cursor": cursor(raw)}, headers=platform)
        problem = assert_problem(response, 422, "validation-error")
        assert [e["parameter"] for e in problem["errors"]] == ["cursor"], raw


# ---- integers -----------------------------------------------------------------------------------------


async def test_integers_past_postgresqls_range_are_a_422_naming_the_parameter(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    base = f"/v1/tenants/{tenant['id']}/guideline"
    for path, where, name in (
        (f"{base}/versions/2147483648", "path", "version"),
        (f"{base}/versions/0", "path", "version"),
        (f"{base}/diff?from=1&to=2147483648", "query", "to"),
        (f"{base}/diff?from=99999999999999999999&to=1", "query", "from"),
    ):
        response = await client.get(path, headers={**platform, "Accept-Language": "en"})
        problem = assert_problem(response, 422, "validation-error")
        assert [(e["in"], e["parameter"]) for e in problem["errors"]] == [(where, name)], path
        assert "Expected" not in response.text
    # The largest version there can be is an ordinary 404.
    assert_problem(await client.get(f"{base}/versions/{PG_INTEGER_MAX}", headers=platform), 404, "not-found")


def _integers(schema: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """Every integer schema inside `schema`, with where it is."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "integer" or (isinstance(schema.get("type"), list) and "integer" in schema["type"]):
            found.append((where, schema))
        for key, value in schema.items():
            found.extend(_integers(value, f"{where}/{key}"))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found.extend(_integers(value, f"{where}/{index}"))
    return found


async def test_every_integer_a_caller_sends_is_bounded_in_the_published_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bodies = {
        ref.rsplit("/", 1)[-1]
        for path in document["paths"].values()
        for operation in path.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if (ref := media["schema"].get("$ref"))
    }
    referenced: set[str] = set()
    todo = list(bodies)
    while todo:
        name = todo.pop()
        if name in referenced:
            continue
        referenced.add(name)
        todo.extend(re.findall(r"#/components/schemas/([\w.]+)", str(schemas[name])))
    inputs = [(f"components/{n}", schemas[n]) for n in sorted(referenced)]
    inputs += [
        (f"{method.upper()} {path} {parameter['name']}", parameter["schema"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
    ]
    unbounded = [
        where
        for name, schema in inputs
        for where, integer in _integers(schema, name)
        if not (integer.get("minimum", -(2**63)) >= -PG_INTEGER_MAX and integer.get("maximum", 2**63) <= PG_INTEGER_MAX)
    ]
    assert not unbounded, unbounded
    assert len([1 for name, schema in inputs for _ in _integers(schema, name)]) >= 5


# ---- OPTIONS ------------------------------------------------------------------------------------------


async def test_options_answers_alike_on_every_path(
    app: Litestar, client: httpx.AsyncClient, tenant: dict[str, Any]
) -> None:
    """Litestar answers OPTIONS itself (204 with Allow); a guard on a controller used to run on it too."""
    paths = sorted({route.path for route in app.routes if isinstance(route, HTTPRoute)})
    assert "/v1/dead-letters" in paths
    for template in paths:
        response = await client.options(_fill(template, tenant["id"]))
        assert response.status_code == 204, (template, response.text)
        assert "OPTIONS" in response.headers["allow"], template


# ---- strict decoding -----------------------------------------------------------------------------------


async def _incident(client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str) -> str:
    body = {"kind": "other", "severity": "low", "title": "テスト"}
    response = await client.post(f"/v1/tenants/{tenant_id}/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["id"]
    return incident_id


@pytest.mark.parametrize("happened_at", [0, 1e9, "1e9", "0.5", "2026-04-01", True])
async def test_a_date_time_is_an_rfc3339_string_and_nothing_else(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], happened_at: Any
) -> None:
    incident = await _incident(client, platform, tenant["id"])
    entries = f"/v1/tenants/{tenant['id']}/incidents/{incident}/entries"
    response = await client.post(entries, json={"kind": "action", "happened_at": happened_at}, headers=platform)
    problem = assert_problem(response, 422, "validation-error")
    assert [e["pointer"] for e in problem["errors"]] == ["/happened_at"]
    good = await client.post(
        entries, json={"kind": "action", "happened_at": "2026-03-31T09:00:00+09:00"}, headers=platform
    )
    assert good.status_code == 201, good.text


async def test_numbers_and_booleans_are_not_strings(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    tokens = f"/v1/tenants/{tenant['id']}/api-tokens"
    response = await client.post(
        tokens, json={"name": "x", "scopes": ["config:read"], "expires_in_days": "30"}, headers=platform
    )
    problem = assert_problem(response, 422, "validation-error")
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [("/expires_in_days", "type")]

    incidents = f"/v1/tenants/{tenant['id']}/incidents"
    body = {"kind": "other", "severity": "low", "title": "x", "crime": "true"}
    problem = assert_problem(await client.post(incidents, json=body, headers=platform), 422, "validation-error")
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [("/crime", "type")]


@pytest.mark.parametrize("since", ["0.5", "1e9", "0", "2026-04-01", "yesterday"])
async def test_a_query_date_time_is_a_date_time(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], since: str
) -> None:
    for path in (f"/v1/tenants/{tenant['id']}/audit-events", "/v1/audit-events"):
        response = await client.get(path, params={"since": since}, headers=platform)
        problem = assert_problem(response, 422, "validation-error")
        assert [(e["in"], e["parameter"], e["code"]) for e in problem["errors"]] == [("query", "since", "format")]
    fine = await client.get("/v1/audit-events", params={"since": "2026-04-01T00:00:00Z"}, headers=platform)
    assert fine.status_code == 200, fine.text


async def test_a_query_integer_is_written_in_digits(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    for limit in ("1e1", "2.0", "0x10"):
        response = await client.get("/v1/tenants", params={"limit": limit}, headers=platform)
        problem = assert_problem(response, 422, "validation-error")
        assert [(e["parameter"], e["code"]) for e in problem["errors"]] == [("limit", "type")], limit
    assert (await client.get("/v1/tenants", params={"limit": "10"}, headers=platform)).status_code == 200


# ---- errors at their real pointer, in the caller's language ---------------------------------------------


async def test_a_bad_value_in_a_nullable_field_says_what_is_wrong_with_it(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    body = {"code": "mailbox", "name_ja": "広報課", "name_en": "PR", "shared_mailbox": "not an address"}
    response = await client.post(f"/v1/tenants/{tenant['id']}/units", json=body, headers=platform)
    problem = assert_problem(response, 422, "validation-error")
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [("/shared_mailbox", "pattern")]
    assert "null" not in problem["errors"][0]["detail"]

    wrong_type = await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={**body, "shared_mailbox": 5},
        headers={**platform, "Accept-Language": "en"},
    )
    problem = assert_problem(wrong_type, 422, "validation-error")
    assert problem["errors"] == [
        {"code": "type", "detail": "Wrong type (expected string | null).", "in": "body", "pointer": "/shared_mailbox"}
    ]


async def test_errors_inside_a_nullable_object_keep_their_own_pointers(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    staff = {"name": "山田 花子", "devices": ["x" * 201, ""]}
    body = {
        "unit_id": ZERO,
        "contractor_name": "株式会社テスト",
        "kind": "outsourcing",
        "reference": "第1号",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "account_ids": [],
        "clauses": {"posting_staff_and_devices": {"stated": True, "staff": [staff]}, "copyright": {"stated": "yes"}},
    }
    response = await client.post(f"/v1/tenants/{tenant['id']}/agreements", json=body, headers=platform)
    problem = assert_problem(response, 422, "validation-error")
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        ("/clauses/copyright/stated", "type"),
        ("/clauses/posting_staff_and_devices/staff/0/devices/0", "max_length"),
        ("/clauses/posting_staff_and_devices/staff/0/devices/1", "min_length"),
    ]


async def test_query_parameter_errors_speak_the_callers_language(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    cases = [
        ("/v1/tenants?limit=0", "limit", "1以上にしてください。", "Must be at least 1."),
        ("/v1/tenants?limit=201", "limit", "200以下にしてください。", "Must be at most 200."),
        ("/v1/tenants?limit=x", "limit", "型が違います（期待：integer）。", "Wrong type (expected integer)."),
        (
            f"/v1/tenants/{tenant['id']}/accounts?status=castle",
            "status",
            "次のいずれかを指定してください：",
            "Must be one of: ",
        ),
        (f"/v1/tenants/{tenant['id']}/accounts?unit_id=nope", "unit_id", "uuid の形式", "valid uuid"),
        (f"/v1/tenants/{tenant['id']}/guideline?on=someday", "on", "date の形式", "valid date"),
        (f"/v1/tenants/{tenant['id']}/guideline/diff?from=x&to=1", "from", "期待：integer", "expected integer"),
    ]
    for path, name, ja, en in cases:
        japanese = assert_problem(await client.get(path, headers=platform), 422, "validation-error")
        english = assert_problem(
            await client.get(path, headers={**platform, "Accept-Language": "en"}), 422, "validation-error"
        )
        assert [e["parameter"] for e in japanese["errors"]] == [name], path
        assert ja in japanese["errors"][0]["detail"], (path, japanese)
        assert en in english["errors"][0]["detail"], (path, english)
        assert not re.search(r"Expected|Invalid|got `", japanese["errors"][0]["detail"]), japanese


async def test_a_structs_own_check_names_its_fields(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    applications = f"/v1/tenants/{tenant['id']}/applications"
    new = {"kind": "new", "account_id": ZERO, "applicant_title": "広報広聴課 主任"}
    problem = assert_problem(await client.post(applications, json=new, headers=platform), 422, "validation-error")
    assert problem["errors"] == [
        {"code": "required", "detail": "新規の申請には利用目的が必要です。", "in": "body", "pointer": "/purpose"}
    ]
    change = {"kind": "change", "account_id": ZERO, "applicant_title": "主任"}
    response = await client.post(applications, json=change, headers={**platform, "Accept-Language": "en"})
    problem = assert_problem(response, 422, "validation-error")
    assert [(e["pointer"], e["detail"]) for e in problem["errors"]] == [
        ("/change_types", "A change application needs its change_types."),
        ("/changes", "A change application needs its changes."),
    ]


# ---- the published schema ------------------------------------------------------------------------------


def _branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of `T | None`."""
    for branch in schema.get("anyOf", schema.get("oneOf", [schema])):
        if branch.get("type") != "null":
            return dict(branch)
    raise AssertionError(schema)


async def test_constraints_of_nullable_fields_are_published(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    mailbox = _branch(schemas["UnitCreate"]["properties"]["shared_mailbox"])
    assert mailbox["pattern"]
    assert mailbox["maxLength"] == 254
    assert _branch(schemas["AccountCreate"]["properties"]["signup_mailbox"])["pattern"] == mailbox["pattern"]
    devices = schemas["PostingStaff"]["properties"]["devices"]["items"]
    assert (devices["minLength"], devices["maxLength"]) == (1, 200)
    days = _branch(schemas["AnnouncementCreate"]["properties"]["days_before"])
    assert (days["minimum"], days["maximum"]) == (0, 365)
    assert schemas["TenantCreate"]["additionalProperties"] is False


async def test_schema_valid_nullable_values_are_accepted(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    unit = await make_unit(client, platform, tenant["id"], shared_mailbox="koho@example.jp")
    assert unit["shared_mailbox"] == "koho@example.jp"


async def test_every_status_answered_is_declared(document: dict[str, Any]) -> None:
    def statuses(path: str, method: str) -> set[str]:
        return set(document["paths"][path][method]["responses"])

    tenant = "/v1/tenants/{tenant_id}"
    assert "428" in statuses(f"{tenant}/units/{{unit_id}}", "delete")
    assert "428" in statuses(f"{tenant}/guideline/versions", "post")
    assert "428" in statuses(f"{tenant}/accounts/{{account_id}}/documents/{{kind}}", "put")
    assert "409" in statuses(f"{tenant}/api-tokens", "post")
    assert "409" in statuses(f"{tenant}/webhooks", "post")
    assert "422" in statuses("/v1/public/tenants/{slug}/register.html", "get")
    assert "422" in statuses(f"{tenant}/guideline/versions/{{version}}", "get")
    content = document["paths"]["/v1/guideline-schema"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["application/schema+json"]


async def test_the_answers_behind_those_statuses(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    unit = await make_unit(client, platform, tenant["id"])
    deleted = await client.delete(
        f"/v1/tenants/{tenant['id']}/units/{unit['id']}", headers={**platform, "If-Match": ""}
    )
    assert_problem(deleted, 428, "precondition-required")
    page = await client.get(f"/v1/public/tenants/{tenant['slug']}/register.html?embed=maybe")
    assert_problem(page, 422, "validation-error")
    schema = await client.get("/v1/guideline-schema")
    assert schema.headers["content-type"].startswith("application/schema+json")


async def test_a_missing_or_null_body_is_named_as_the_document(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    for content, code, en in (
        (b"", "required", "Send a JSON body."),
        (b"null", "type", "Wrong type (expected object)."),
    ):
        headers = {**platform, "Content-Type": "application/json", "Accept-Language": "en"}
        problem = assert_problem(
            await client.post("/v1/tenants", content=content, headers=headers), 422, "validation-error"
        )
        assert problem["errors"] == [{"code": code, "detail": en, "in": "body", "pointer": ""}], content


async def test_a_dependency_that_refuses_leaves_no_connection_checked_out(
    app: Litestar, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    """The tenant dependency refuses an unknown tenant after the unit of work was opened; Litestar
    then never runs the unit of work's cleanup, and its connection stayed checked out (in a
    transaction) until the garbage collector found it. The request middleware closes it."""
    pool = app.state.db.engine.pool
    before = pool.checkedout()
    for _ in range(5):
        response = await client.get(f"/v1/tenants/{uuid.uuid4()}/units", headers=platform)
        assert response.status_code == 404, response.text
        assert pool.checkedout() == before
