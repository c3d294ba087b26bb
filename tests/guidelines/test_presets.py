"""The five seed organisations' presets: valid, loadable twice to the same result, and each one's
distinctive rules readable back through the API exactly as the seed states them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.guidelines.presets import load_preset, preset_files, read_preset
from service.kit.clock import FrozenClock
from service.kit.db import Database
from tests.support import preset_path

SLUGS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]


def test_there_is_one_preset_per_seed() -> None:
    assert [p.stem for p in preset_files(preset_path("x").parent)] == SLUGS


@pytest.fixture(scope="module")
async def loaded(db: Database, clock: FrozenClock) -> dict[str, Any]:
    results = {}
    for slug in SLUGS:
        async with db.unit_of_work() as session:
            results[slug] = await load_preset(session, clock, read_preset(preset_path(slug)))
    return results


async def test_loading_again_changes_nothing(loaded: dict[str, Any], db: Database, clock: FrozenClock) -> None:
    for slug in SLUGS:
        # (Another test's `koshiki run` may have loaded the presets first.)
        assert loaded[slug].guideline_version in {1, None}
        async with db.unit_of_work() as session:
            again = await load_preset(session, clock, read_preset(preset_path(slug)))
        assert not again.tenant_created
        assert again.units_created == 0
        assert again.units_updated == 0
        assert again.guideline_version is None


async def guideline(client: httpx.AsyncClient, platform: dict[str, str], slug: str, on: str = "2026-06-01") -> Any:
    tenant = (await client.get(f"/v1/tenants?slug={slug}", headers=platform)).json()["items"][0]
    response = await client.get(f"/v1/tenants/{tenant['id']}/guideline?on={on}", headers=platform)
    assert response.status_code == 200, response.text
    return response.json()["document"]


async def test_mine_posts_only_0830_to_1715_except_emergencies(
    loaded: dict[str, Any], client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    doc = await guideline(client, platform, "mine-shakyo")
    hours = doc["posting"]["hours"]
    assert hours["restricted"] is True
    assert hours["windows"] == [{"start": "08:30", "end": "17:15"}]
    assert hours["emergency_exception"] is True
    assert "3(1)ウ" in hours["basis"]
    assert doc["platforms"]["allowed"] == ["facebook", "instagram"]
    assert doc["posting"]["approval"]["approver_role"] == "unit_head"


async def test_ehime_passwords_and_outsourcing_clauses(
    loaded: dict[str, Any], client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    doc = await guideline(client, platform, "ehime-pref")
    password = doc["security"]["account_password"]
    assert password["min_length"] == 8
    assert sorted(password["required_classes"]) == ["digit", "lower", "symbol", "upper"]
    assert password["rotation"] == {"mode": "periodic", "interval_months": 12}
    clauses = {c["clause"]: c["basis"] for c in doc["outsourcing"]["required_clauses"]}
    assert set(clauses) == {
        "security_policy_compliance",
        "posting_staff_and_devices",
        "copyright_to_agency",
        "login_id_handling",
        "prior_check_of_posts",
    }
    assert all(basis for basis in clauses.values())
    assert doc["outsourcing"]["copyright_owner"] == "agency"
    assert len(doc["opening"]["required_documents"]["usage_policy"]["items"]) == 8
    assert doc["opening"]["required_documents"]["account_policy"]["must_be_disclosed"] is True
    assert doc["posting"]["url_shorteners"]["policy"] == "prohibited"


async def test_oyama_declares_continuation_by_the_end_of_march(
    loaded: dict[str, Any], client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    doc = await guideline(client, platform, "oyama-kosen")
    declaration = doc["renewal"]["continuation_declaration"]
    assert declaration["required"] is True
    assert declaration["deadline"] == {"month": 3, "day": 31}
    assert declaration["declared_to"] == "general_administrator"
    assert doc["interaction"]["questions"] == {
        **doc["interaction"]["questions"],
        "answered": False,
        "must_state_on_account": True,
    }
    assert doc["opening"]["application"]["kinds"] == ["new", "change", "closure"]
    # The 2025-06-11 revision applies from 2025-04-01.
    assert (await guideline(client, platform, "oyama-kosen", on="2025-04-01"))["source"]["revised_on"] == "2025-06-11"


async def test_ageo_makes_no_replies_reposts_or_follows(
    loaded: dict[str, Any], client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    interaction = (await guideline(client, platform, "ageo-hoikuka"))["interaction"]
    assert interaction["replies"]["policy"] == "not_allowed"
    assert interaction["reposts"]["policy"] == "not_allowed"
    assert interaction["follows"]["policy"] == "not_allowed"
    assert set(interaction["reposts"]["exceptions"]) == {"government_agencies", "local_governments"}


async def test_hokkaido_shared_mailbox_and_posts_deleted_at_closure(
    loaded: dict[str, Any], client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    doc = await guideline(client, platform, "hokkaido-boe")
    assert doc["opening"]["signup_mailbox"]["policy"] == "unit_shared_mailbox"
    assert doc["opening"]["profile_link_to_register"]["required"] is True
    steps = [s["step"] for s in doc["closure"]["steps"]]
    assert "delete_posts_and_comments" in steps
    assert "unit_head_confirms_deletion" in steps
    assert "remove_from_register" in steps


async def test_hokkaido_units_carry_their_shared_mailboxes(
    loaded: dict[str, Any], client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    tenant = (await client.get("/v1/tenants?slug=hokkaido-boe", headers=platform)).json()["items"][0]
    units = (await client.get(f"/v1/tenants/{tenant['id']}/units", headers=platform)).json()["items"]
    assert units
    assert all(u["shared_mailbox"] and u["shared_mailbox"].endswith("@example.jp") for u in units)
    assert any(u["parent_id"] for u in units)


def test_a_broken_preset_names_every_problem(tmp_path: Any) -> None:
    import json

    from service.guidelines.presets import PresetError

    preset = json.loads(preset_path("ehime-pref").read_text(encoding="utf-8"))
    preset["tenant"]["kind"] = "castle"
    preset["guideline"]["document"]["posting"]["hours"]["windows"] = "always"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(preset), encoding="utf-8")
    with pytest.raises(PresetError) as caught:
        read_preset(broken)
    pointers = {e.pointer for e in caught.value.errors}
    assert pointers == {"/tenant/kind", "/guideline/document/posting/hours/windows"}
