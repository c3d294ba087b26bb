"""Imports: an agency's register and records brought in through the API.

The clock stands at 2026-04-01 09:00 in Tokyo. Each agency brings in two accounts opened years
ago: one in a unit the file creates, one in a unit of its preset, with documents, posts,
monitoring records and password changes.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.support import Agency, agency_from_preset, assert_problem, create_account, staff, x_handle


@pytest.fixture(params=["ehime-pref", "mine-shakyo"])
async def agency(request: pytest.FixtureRequest, client: httpx.AsyncClient, platform: dict[str, str]) -> Agency:
    return await agency_from_preset(client, platform, request.param)


async def people(client: httpx.AsyncClient, agency: Agency) -> tuple[dict[str, Any], dict[str, Any]]:
    manager = await staff(client, agency.admin.headers, agency.id, ["operator"])
    operator = await staff(client, agency.admin.headers, agency.id, ["operator"])
    return manager.user, operator.user


def register_file(agency: Agency, manager: dict[str, Any], operator: dict[str, Any]) -> dict[str, Any]:
    first, second = x_handle(), x_handle()
    return {
        "units": [{"code": "imported-pr", "name_ja": "取込広報課", "name_en": "Imported PR"}],
        "accounts": [
            {
                "unit_code": "imported-pr",
                "url": f"https://twitter.com/{first.upper()}",  # another spelling of the same account
                "display_name": "取込広報",
                "operating_body": "direct",
                "opened_on": "2017-06-01",
                "origin": "import_before_guideline",
                "manager": manager["login_id"],
                "operators": [operator["email"].upper()],
                "documents": {"usage_policy": {"state": "complete"}, "account_policy": {"state": "partial"}},
                "posts": [
                    {
                        "published_at": "2026-03-01T10:00:00+09:00",
                        "decision": "approved",
                        "url": f"https://x.com/{first}/status/1",
                    },
                    {
                        "published_at": "2026-03-02T10:00:00+09:00",
                        "decision": "pre_approved_range",
                        "url": f"https://x.com/{first}/status/2",
                        "text": "お知らせ",
                    },
                    {"published_at": "2026-03-03T10:00:00+09:00", "decision": "none"},
                ],
                "monitoring": [
                    {"monitored_on": "2026-03-20", "issues_found": False},
                    {"monitored_on": "2026-03-27", "issues_found": True, "findings": "不適切なコメント"},
                ],
                "password_changes": [{"changed_on": "2025-10-01", "meets_policy": True}],
            },
            {
                "unit_code": agency.unit()["code"],
                "url": f"https://x.com/{second}",
                "display_name": "取込二",
                "operating_body": "outsourced",
                "opened_on": "2023-04-01",
                "origin": "import_without_consultation",
                "posts": [{"published_at": "2026-02-01T09:00:00+09:00", "decision": "none"}],
            },
        ],
    }


async def run(client: httpx.AsyncClient, agency: Agency, body: Any, *, dry_run: bool = False, **kw: Any) -> Any:
    return await client.post(
        agency.url(f"/imports?dry_run={str(dry_run).lower()}"), headers=agency.admin.headers, **({"json": body} | kw)
    )


async def accounts_of(client: httpx.AsyncClient, agency: Agency) -> list[dict[str, Any]]:
    response = await client.get(agency.url("/accounts?limit=200"), headers=agency.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_a_register_is_checked_imported_once_and_again_changes_nothing(
    client: httpx.AsyncClient, agency: Agency
) -> None:
    manager, operator = await people(client, agency)
    body = register_file(agency, manager, operator)

    dry = await run(client, agency, body, dry_run=True)
    assert dry.status_code == 200, dry.text
    summary = dry.json()
    assert summary["dry_run"] is True
    assert summary.get("import_id") is None
    assert summary["units"] == {"created": 1, "already_present": 0}
    assert summary["accounts"] == {"created": 2, "already_present": 0}
    assert summary["posts"] == {"created": 4, "already_present": 0}
    assert summary["monitoring_records"] == {"created": 2, "already_present": 0}
    assert summary["password_changes"] == {"created": 1, "already_present": 0}
    assert await accounts_of(client, agency) == []  # the dry run changed nothing
    units = (await client.get(agency.url("/units?limit=200"), headers=agency.admin.headers)).json()["items"]
    assert "imported-pr" not in {u["code"] for u in units}

    real = await run(client, agency, body)
    assert real.status_code == 200, real.text
    assert {k: v for k, v in real.json().items() if k not in {"import_id", "dry_run"}} == {
        k: v for k, v in summary.items() if k not in {"import_id", "dry_run"}
    }
    assert real.json()["import_id"]
    listed = {a["display_name"]: a for a in await accounts_of(client, agency)}
    first, second = listed["取込広報"], listed["取込二"]
    assert (first["status"], first["opened_on"], first["origin"]) == ("active", "2017-06-01", "import_before_guideline")
    assert first["canonical_url"].lower() == "https://x.com/" + body["accounts"][0]["url"].rsplit("/", 1)[1].lower()
    assert first["operations_manager_id"] == manager["id"]
    assert second["operating_body"] == "outsourced"

    posts = await client.get(agency.url(f"/posts?account={first['id']}&limit=50"), headers=agency.admin.headers)
    assert posts.status_code == 200, posts.text
    decisions = sorted((p["published_at"], p.get("decision")) for p in posts.json()["items"])
    assert [d for _, d in decisions] == ["approved", "pre_approved_range", "none"]
    assert {p["state"] for p in posts.json()["items"]} == {"published"}
    looks = await client.get(agency.url(f"/accounts/{first['id']}/monitoring"), headers=agency.admin.headers)
    assert [r["monitored_on"] for r in looks.json()] == ["2026-03-27", "2026-03-20"]
    documents = await client.get(agency.url(f"/accounts/{first['id']}/documents"), headers=agency.admin.headers)
    assert documents.status_code == 200, documents.text

    # Opened as an approved account opens: its reminders are scheduled, counted from its records.
    deadlines = (await client.get(agency.url("/deadlines?limit=200"), headers=agency.admin.headers)).json()["items"]
    mine = {(d["kind"], d["payload"].get("since")) for d in deadlines if d["subject_id"] == first["id"]}
    kinds = {kind for kind, _ in mine}
    assert "inactivity.check" in kinds or not agency.config.get("inactivity", {}).get("threshold_days")
    if agency.config.get("monitoring", {}).get("frequency") in {"daily", "weekly", "monthly"}:
        assert ("monitoring.due", "2026-03-27") in mine
    rotation = agency.config.get("security", {}).get("account_password", {}).get("rotation", {})
    if rotation.get("mode") == "periodic":
        assert ("password.rotation", "2025-10-01") in mine

    again = await run(client, agency, body)
    assert again.status_code == 200, again.text
    counts = again.json()
    assert counts["units"] == {"created": 0, "already_present": 1}
    assert counts["accounts"] == {"created": 0, "already_present": 2}
    assert counts["posts"] == {"created": 0, "already_present": 4}
    assert counts["monitoring_records"] == {"created": 0, "already_present": 2}
    assert counts["password_changes"] == {"created": 0, "already_present": 1}
    assert len(await accounts_of(client, agency)) == 2

    more = copy.deepcopy(body)
    more["accounts"][1]["posts"].append({"published_at": "2026-03-15T12:00:00+09:00", "decision": "approved"})
    added = await run(client, agency, more)
    assert added.json()["posts"] == {"created": 1, "already_present": 4}
    assert (
        (await client.get(agency.url(f"/accounts/{second['id']}"), headers=agency.admin.headers))
        .json()["last_post_at"]
        .startswith("2026-03-15T03:00:00")
    )


async def test_every_error_of_the_file_is_answered_at_once_and_nothing_changes(
    client: httpx.AsyncClient, agency: Agency, platform: dict[str, str]
) -> None:
    manager, operator = await people(client, agency)
    other = await agency_from_preset(client, platform, "oyama-kosen")
    taken = await create_account(
        client,
        other,
        {"unit_id": other.unit()["id"], "url": f"https://x.com/{x_handle()}", "display_name": "x",
         "operating_body": "direct"},
    )  # fmt: skip
    body = register_file(agency, manager, operator)
    good = copy.deepcopy(body["accounts"][0])
    body["accounts"][0]["unit_code"] = "no-such-unit"
    body["accounts"][0]["manager"] = "nobody@example.jp"
    body["accounts"][0]["posts"][0]["published_at"] = "2016-01-01T00:00:00+09:00"  # before its opening
    body["accounts"][1]["opened_on"] = "2030-01-01"
    body["accounts"].append({**good, "url": "https://x.com/search?q=koho"})
    body["accounts"].append(good)
    body["accounts"].append({**good, "url": good["url"].lower()})  # the same account twice
    body["accounts"].append({**good, "url": taken["canonical_url"]})  # another agency's account
    response = await run(client, agency, body, dry_run=True)
    problem = assert_problem(response, 422, "validation-error")
    assert sorted((e["pointer"], e["code"]) for e in problem["errors"]) == sorted([
        ("/accounts/0/unit_code", "unknown_unit"),
        ("/accounts/0/manager", "unknown_user"),
        ("/accounts/0/posts/0/published_at", "before_opening"),
        ("/accounts/1/opened_on", "in_the_future"),
        ("/accounts/1/posts/0/published_at", "before_opening"),  # the 2030 opening given
        ("/accounts/2/url", "unrecognised_account"),
        ("/accounts/3/url", "duplicate"),  # the first account as it was
        ("/accounts/4/url", "duplicate"),
        ("/accounts/5/url", "account_registered"),
    ])  # fmt: skip
    english = await client.post(
        agency.url("/imports"), json=body, headers={**agency.admin.headers, "Accept-Language": "en"}
    )
    assert "No unit has the code 'no-such-unit'" in str(english.json()["errors"])
    refused = await run(client, agency, body)  # a real run refuses the same way, all or nothing
    assert_problem(refused, 422, "validation-error")
    assert await accounts_of(client, agency) == []

    shape = {"accounts": [{"url": 3}, {**good, "opened_on": "yesterday", "posts": [{"decision": "maybe"}]}]}
    problem = assert_problem(await run(client, agency, shape, dry_run=True), 422, "validation-error")
    pointers = {e["pointer"] for e in problem["errors"]}
    assert {"/accounts/0/url", "/accounts/1/opened_on"} <= pointers
    assert any(p.startswith("/accounts/1/posts/0") for p in pointers)


CSV_HEADINGS = "所属コード,アカウント名,URL,プラットフォーム,開設日,運用主体,運用管理者,運用担当者,開設時の協議,利用方針,運用マニュアル,アカウントポリシー"


async def test_the_csv_of_an_excel_register(client: httpx.AsyncClient, agency: Agency) -> None:
    manager, operator = await people(client, agency)
    code = agency.unit()["code"]
    handle, other = x_handle(), x_handle()
    rows = [
        CSV_HEADINGS,
        f"{code},県政広報,https://x.com/{handle},X,2018/04/01,直営,{manager['login_id']},"
        f"{operator['email']};{manager['email']},ガイドライン制定前,あり,一部,なし",
        f"{code},観光,{other},X,2020年5月1日,業務委託,,,なし,,,",
    ]
    csv_body = ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()
    headers = {**agency.admin.headers, "Content-Type": "text/csv"}
    dry = await client.post(agency.url("/imports?dry_run=true"), content=csv_body, headers=headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["accounts"] == {"created": 2, "already_present": 0}
    assert dry.json()["format"] == "csv"
    real = await client.post(agency.url("/imports"), content=csv_body, headers=headers)
    assert real.status_code == 200, real.text
    listed = {a["display_name"]: a for a in await accounts_of(client, agency)}
    assert (listed["県政広報"]["opened_on"], listed["観光"]["opened_on"]) == ("2018-04-01", "2020-05-01")
    again = await client.post(agency.url("/imports"), content=csv_body, headers=headers)
    assert again.json()["accounts"] == {"created": 0, "already_present": 2}

    broken = [
        CSV_HEADINGS,
        f"nowhere,a,https://x.com/{x_handle()},X,2018-04-01,直営,,,あり,,,",
        f"{code},b,https://x.com/{x_handle()},X,2018-13-01,自前,,,たぶん,,,",
        f"{code},c,https://x.com/{x_handle()},X,2018-04-01,直営,ghost,,あり,,,",
    ]
    response = await client.post(
        agency.url("/imports?dry_run=true"), content="\n".join(broken).encode("cp932"), headers=headers
    )
    problem = assert_problem(response, 422, "validation-error")
    assert sorted((e["row"], e["column"], e["code"]) for e in problem["errors"]) == [
        (2, "所属コード", "unknown_unit"),
        (3, "運用主体", "invalid_value"),
        (3, "開設日", "invalid_value"),
        (3, "開設時の協議", "invalid_value"),
        (4, "運用管理者", "unknown_user"),
    ]
    missing = await client.post(agency.url("/imports"), content="アカウント名,URL\n".encode(), headers=headers)
    columns = {e["column"] for e in assert_problem(missing, 422, "validation-error")["errors"]}
    assert columns == {"所属コード", "開設日", "運用主体"}


async def test_only_those_who_may_import_and_only_json_or_csv(client: httpx.AsyncClient, agency: Agency) -> None:
    operator = await staff(client, agency.admin.headers, agency.id, ["operator"])
    refused = await client.post(agency.url("/imports"), json={"accounts": []}, headers=operator.headers)
    assert_problem(refused, 403, "forbidden")
    odd = await client.post(
        agency.url("/imports"), content=b"<x/>", headers={**agency.admin.headers, "Content-Type": "application/xml"}
    )
    assert_problem(odd, 415, "unsupported-media-type")
