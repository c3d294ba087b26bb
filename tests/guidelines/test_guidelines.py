"""The guideline configuration: validation that refuses whole, versions, the version in force, diffs."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from service.guidelines.service import diff, document_errors
from tests.support import assert_problem, ehime_document, preset_path, record


async def test_a_valid_document_becomes_version_one(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    response = await record(client, platform, tenant["id"], ehime_document())
    assert response.status_code == 201, response.text
    version = response.json()
    assert version["version"] == 1
    assert version["effective_from"] == "2026-04-01"  # today in Tokyo on the test clock
    assert version["created_by"].startswith("token:")
    assert response.headers["etag"] == '"1"'
    current = await client.get(f"/v1/tenants/{tenant['id']}/guideline", headers=platform)
    assert current.json()["document"] == ehime_document()


async def test_an_invalid_document_is_refused_whole_with_every_violation(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    document = ehime_document()
    document["security"]["account_password"]["min_length"] = "eight"
    document["platforms"]["allowed"] = ["x", "myspace"]
    document["posting"]["hours"]["emergency_exception"] = "yes"
    document["monitoring"]["frequency_typo"] = "daily"
    del document["retention"]
    response = await record(client, platform, tenant["id"], document)
    problem = assert_problem(response, 422, "invalid-guideline")
    found = {(e["pointer"], e["code"]) for e in problem["errors"]}
    assert found == {
        ("/document/security/account_password/min_length", "type"),
        ("/document/platforms/allowed/1", "enum"),
        ("/document/posting/hours/emergency_exception", "type"),
        ("/document/monitoring/frequency_typo", "unknown_field"),
        ("/document/retention", "required"),
    }
    versions = (await client.get(f"/v1/tenants/{tenant['id']}/guideline/versions", headers=platform)).json()
    assert versions["items"] == []


async def test_cross_field_rules_are_checked_too(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    document = ehime_document()
    document["posting"]["hours"]["windows"] = [{"start": "17:15", "end": "08:30"}]
    document["posting"]["approval"]["approver_role"] = None
    document["closure"]["announcement"]["points_days_before"] = [60, 7]
    document["renewal"]["continuation_declaration"]["deadline"] = {"month": 2, "day": 30}
    document["outsourcing"]["required_clauses"].append({"clause": "copyright_to_agency"})
    response = await record(client, platform, tenant["id"], document)
    problem = response.json()
    assert response.status_code == 422, response.text
    codes = {e["pointer"]: e["code"] for e in problem["errors"]}
    assert codes == {
        "/document/posting/hours/windows/0/end": "window_order",
        "/document/posting/approval/approver_role": "approver_required",
        "/document/closure/announcement/points_days_before/0": "point_beyond_period",
        "/document/renewal/continuation_declaration/deadline/day": "no_such_day",
        "/document/outsourcing/required_clauses/5/clause": "clause_repeated",
    }


async def test_messages_in_english_on_request(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    document = ehime_document()
    document["posting"]["hours"]["windows"] = [{"start": "17:15", "end": "08:30"}]
    response = await record(client, platform, tenant["id"], document, **{"Accept-Language": "en"})
    assert response.json()["errors"][0]["detail"] == "The start time must be before the end time."


async def test_version_in_force_on_a_date(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    first = ehime_document()
    second = copy.deepcopy(first)
    second["monitoring"]["frequency"] = "daily"
    third = copy.deepcopy(second)
    third["inactivity"]["threshold_days"] = 90
    assert (await record(client, platform, tenant["id"], first, "2025-04-01")).status_code == 201
    assert (await record(client, platform, tenant["id"], second, "2026-04-01")).status_code == 201
    # Recorded later, but applied retroactively from October 2025 (as 小山高専's revision was).
    assert (await record(client, platform, tenant["id"], third, "2025-10-01")).status_code == 201

    async def in_force(day: str) -> int | None:
        response = await client.get(f"/v1/tenants/{tenant['id']}/guideline?on={day}", headers=platform)
        return response.json()["version"] if response.status_code == 200 else None

    assert await in_force("2024-12-31") is None
    assert await in_force("2025-04-01") == 1
    assert await in_force("2025-09-30") == 1
    assert await in_force("2025-10-01") == 3
    assert await in_force("2026-03-31") == 3
    assert await in_force("2026-04-01") == 2
    today = await client.get(f"/v1/tenants/{tenant['id']}/guideline", headers=platform)
    assert today.json()["version"] == 2  # the test clock stands on 2026-04-01


async def test_past_versions_and_their_diff(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    first = ehime_document()
    second = copy.deepcopy(first)
    second["monitoring"]["frequency"] = "daily"
    second["platforms"]["allowed"] = ["x", "youtube"]
    del second["monitoring"]["note"]
    second["security"]["account_password"]["rotation"] = {"mode": "none"}
    await record(client, platform, tenant["id"], first, "2025-04-01")
    await record(client, platform, tenant["id"], second, "2025-05-01")
    v1 = await client.get(f"/v1/tenants/{tenant['id']}/guideline/versions/1", headers=platform)
    assert v1.json()["document"] == first
    changes = (await client.get(f"/v1/tenants/{tenant['id']}/guideline/diff?from=1&to=2", headers=platform)).json()
    by_path = {c["path"]: c for c in changes["changes"]}
    assert by_path["/monitoring/frequency"] == {
        "op": "replace",
        "path": "/monitoring/frequency",
        "before": first["monitoring"]["frequency"],
        "after": "daily",
    }
    assert by_path["/monitoring/note"]["op"] == "remove"
    assert by_path["/platforms/allowed"]["after"] == ["x", "youtube"]
    assert by_path["/security/account_password/rotation/interval_months"]["op"] == "remove"
    assert by_path["/security/account_password/rotation/mode"]["after"] == "none"
    assert_problem(
        await client.get(f"/v1/tenants/{tenant['id']}/guideline/diff?from=1&to=9", headers=platform), 404, "not-found"
    )


async def test_if_match_guards_against_a_concurrent_version(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    document = ehime_document()
    assert (
        await record(client, platform, tenant["id"], document, "2025-04-01", **{"If-Match": '"0"'})
    ).status_code == 201
    changed = copy.deepcopy(document)
    changed["monitoring"]["frequency"] = "monthly"
    stale = await record(client, platform, tenant["id"], changed, "2025-05-01", **{"If-Match": '"0"'})
    assert_problem(stale, 412, "precondition-failed")
    fresh = await record(client, platform, tenant["id"], changed, "2025-05-01", **{"If-Match": '"1"'})
    assert fresh.status_code == 201


async def test_an_unchanged_document_records_nothing(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    await record(client, platform, tenant["id"], ehime_document(), "2025-04-01")
    again = await record(client, platform, tenant["id"], ehime_document(), "2025-04-01")
    assert assert_problem(again, 409, "conflict")["reason"] == "guideline-unchanged"


async def test_versions_list_newest_first_with_cursor(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    document = ehime_document()
    for days in (30, 60, 90):
        document = copy.deepcopy(document)
        document["inactivity"]["threshold_days"] = days
        assert (await record(client, platform, tenant["id"], document, "2025-04-01")).status_code == 201
    first = (await client.get(f"/v1/tenants/{tenant['id']}/guideline/versions?limit=2", headers=platform)).json()
    assert [v["version"] for v in first["items"]] == [3, 2]
    rest = (
        await client.get(
            f"/v1/tenants/{tenant['id']}/guideline/versions?limit=2&cursor={first['next_cursor']}", headers=platform
        )
    ).json()
    assert [v["version"] for v in rest["items"]] == [1]
    assert rest["next_cursor"] is None


async def test_the_schema_is_public_and_bilingual(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/guideline-schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _properties(schema: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            found.append((f"{path}/{name}", sub))
            found += _properties(sub, f"{path}/{name}")
        for key in ("items", "$defs", "oneOf", "anyOf"):
            value = schema.get(key)
            if isinstance(value, dict) and key == "$defs":
                for name, sub in value.items():
                    found += _properties(sub, f"{path}/$defs/{name}")
            elif isinstance(value, dict):
                found += _properties(value, path)
            elif isinstance(value, list):
                for sub in value:
                    found += _properties(sub, path)
    return found


def test_every_property_is_described_in_japanese_and_english() -> None:
    schema = json.loads((preset_path("ehime-pref").parent / "schema" / "guideline-config.schema.json").read_text())
    properties = _properties(schema)
    assert len(properties) > 100
    for path, sub in properties:
        described = sub if "description" in sub or "$ref" not in sub else schema["$defs"][sub["$ref"].split("/")[-1]]
        assert described.get("description"), f"{path} has no Japanese description"
        assert described.get("x-description-en"), f"{path} has no English description"
        assert any("\u3040" <= ch <= "\u9fff" for ch in described["description"]), f"{path}: description not Japanese"


def test_every_rule_theme_is_expressible() -> None:
    # DOMAIN.md's themes, each a top-level part of the document.
    themes = {
        "opening", "platforms", "posting", "interaction", "security", "monitoring",
        "renewal", "inactivity", "outsourcing", "incidents", "closure",
    }  # fmt: skip
    assert themes <= set(ehime_document())
    assert document_errors(ehime_document()) == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {"a": 2}, [("replace", "/a")]),
        ({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}}, [("replace", "/a/b/1")]),
        ({"a": [1]}, {"a": [1, 2]}, [("replace", "/a")]),
        ({"a~b/c": 1}, {}, [("remove", "/a~0b~1c")]),
    ],
)
def test_diff_paths_are_json_pointers(before: Any, after: Any, expected: list[tuple[str, str]]) -> None:
    assert [(c.op, c.path) for c in diff(before, after)] == expected
