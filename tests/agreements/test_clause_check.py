"""The clause check (`agreements.service.check`) on its own: each finding, against the presets'
real configurations (tenants/*.json) and variants of them that the guideline schema accepts.
No database, no server."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from service.agreements.schemas import (
    Clauses,
    CopyrightClause,
    LoginIdClause,
    PostingStaff,
    PostingStaffClause,
    Stated,
)
from service.agreements.service import check
from service.guidelines.service import document_errors
from tests.support import preset_path

PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]
EHIME_BASIS = {
    "security_policy_compliance": ["第2の3(2)ア"],
    "posting_staff_and_devices": ["第2の3(2)イ"],
    "copyright_to_agency": ["第2の3(2)ウ"],
    "login_id_handling": ["第2の3(2)エ"],
    "prior_check_of_posts": ["第2の3(2)オ"],
}


@pytest.fixture(autouse=True)
def _fresh_login_throttle() -> None:
    """Nothing here logs in or touches the database (this replaces the suite's own fixture)."""


def preset(slug: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(preset_path(slug).read_text(encoding="utf-8"))["guideline"]["document"]
    return document


def variant(slug: str, **outsourcing: Any) -> dict[str, Any]:
    """A preset's configuration with its outsourcing rules changed, still a valid configuration."""
    document = copy.deepcopy(preset(slug))
    document["outsourcing"].update(outsourcing)
    assert document_errors(document) == []
    return document


def complete(**entries: Any) -> Clauses:
    """An agreement stating every clause any configuration asks for, in conforming terms."""
    clauses = {
        "security_policy_compliance": Stated(stated=True, article="第3条"),
        "posting_staff_and_devices": PostingStaffClause(
            stated=True, article="第4条", staff=[PostingStaff(name="山田 花子", devices=["広報課PC-1"])]
        ),
        "copyright": CopyrightClause(stated=True, article="第5条", owner="agency"),
        "login_ids": LoginIdClause(stated=True, article="第6条", contractor_ids_exclusive=True, at_end="revoke"),
        "prior_check_of_posts": Stated(stated=True, article="第7条"),
        "periodic_usage_report": Stated(stated=True, article="第8条"),
    }
    return Clauses(**{**clauses, **entries})


def codes(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["clause"], f["code"]) for f in findings]


@pytest.mark.parametrize("slug", PRESETS)
def test_a_complete_agreement_meets_every_preset(slug: str) -> None:
    assert check(preset(slug), complete()) == []


def test_without_a_configuration_nothing_is_required() -> None:
    assert check(None, Clauses()) == []


def test_presets_without_required_clauses_find_nothing_missing() -> None:
    for slug in ("ageo-hoikuka", "mine-shakyo", "oyama-kosen"):
        assert check(preset(slug), Clauses()) == [], slug


def test_missing_each_required_clause_with_its_basis() -> None:
    findings = check(preset("ehime-pref"), Clauses())
    assert findings == [
        {"clause": clause, "code": "missing", "basis": basis, "params": {}} for clause, basis in EHIME_BASIS.items()
    ]
    assert check(preset("hokkaido-boe"), Clauses()) == [
        {"clause": "periodic_usage_report", "code": "missing", "basis": ["3(1)②ウ"], "params": {}}
    ]


def test_a_clause_not_stated_is_missing_and_nothing_more_is_said_of_it() -> None:
    clauses = complete(
        copyright=CopyrightClause(stated=False),  # no article, no owner: still only "missing"
        security_policy_compliance=Stated(stated=False, article="第3条"),
    )
    assert codes(check(preset("ehime-pref"), clauses)) == [
        ("security_policy_compliance", "missing"),
        ("copyright_to_agency", "missing"),
    ]


def test_no_article() -> None:
    clauses = complete(
        security_policy_compliance=Stated(stated=True),
        prior_check_of_posts=Stated(stated=True, article=""),
    )
    findings = check(preset("ehime-pref"), clauses)
    assert codes(findings) == [("security_policy_compliance", "no-article"), ("prior_check_of_posts", "no-article")]
    assert findings[0]["basis"] == ["第2の3(2)ア"]
    assert codes(check(preset("hokkaido-boe"), complete(periodic_usage_report=Stated(stated=True)))) == [
        ("periodic_usage_report", "no-article")
    ]


def test_posting_staff_not_submitted() -> None:
    clauses = complete(posting_staff_and_devices=PostingStaffClause(stated=True, article="第4条"))
    assert check(preset("ehime-pref"), clauses) == [
        {
            "clause": "posting_staff_and_devices",
            "code": "posting-staff-not-submitted",
            "basis": ["第2の3(2)イ"],
            "params": {},
        },
    ]
    # Both can be wrong at once.
    clauses = complete(posting_staff_and_devices=PostingStaffClause(stated=True))
    assert codes(check(preset("ehime-pref"), clauses)) == [
        ("posting_staff_and_devices", "no-article"),
        ("posting_staff_and_devices", "posting-staff-not-submitted"),
    ]


def test_copyright_owner_unstated() -> None:
    clauses = complete(copyright=CopyrightClause(stated=True, article="第5条"))
    assert codes(check(preset("ehime-pref"), clauses)) == [("copyright_to_agency", "copyright-owner-unstated")]


def test_copyright_not_agency_only_where_no_other_owner_is_allowed() -> None:
    strict = variant("ehime-pref", other_copyright_owner_allowed=False)
    for owner in ("contractor", "shared"):
        clauses = complete(copyright=CopyrightClause(stated=True, article="第5条", owner=owner, terms="折半"))
        assert codes(check(strict, clauses)) == [("copyright_to_agency", "copyright-not-agency")], owner
        # 愛媛県: copyright goes to the prefecture "in principle", so another owner is acceptable.
        assert check(preset("ehime-pref"), clauses) == [], owner
    assert check(strict, complete()) == []


def test_copyright_shared_without_terms() -> None:
    clauses = complete(copyright=CopyrightClause(stated=True, article="第5条", owner="shared"))
    assert check(preset("ehime-pref"), clauses) == [
        {
            "clause": "copyright_to_agency",
            "code": "copyright-shared-without-terms",
            "basis": ["第2の3(2)ウ"],
            "params": {},
        },
    ]
    blank_terms = complete(copyright=CopyrightClause(stated=True, article="第5条", owner="shared", terms=""))
    assert codes(check(preset("ehime-pref"), blank_terms)) == [
        ("copyright_to_agency", "copyright-shared-without-terms")
    ]


def test_login_ids_not_exclusive() -> None:
    for exclusive in (None, False):
        clauses = complete(
            login_ids=LoginIdClause(stated=True, article="第6条", contractor_ids_exclusive=exclusive, at_end="revoke")
        )
        assert codes(check(preset("ehime-pref"), clauses)) == [("login_id_handling", "login-ids-not-exclusive")]
        # Where the configuration does not ask for it, nothing is missing.
        assert check(variant("ehime-pref", contractor_ids_exclusive=False), clauses) == []


def test_login_ids_end_unstated() -> None:
    clauses = complete(login_ids=LoginIdClause(stated=True, article="第6条", contractor_ids_exclusive=True))
    assert codes(check(preset("ehime-pref"), clauses)) == [("login_id_handling", "login-ids-end-unstated")]
    # Even where the configuration leaves what happens open, the agreement must say it.
    assert preset("ehime-pref")["outsourcing"]["contractor_login_ids_at_end"] == "unspecified"


def test_login_ids_end_differs_from_what_the_configuration_names() -> None:
    revoking = variant("ehime-pref", contractor_login_ids_at_end="revoke")
    for at_end in ("hand_over", "agency_changes_password"):
        clauses = complete(
            login_ids=LoginIdClause(stated=True, article="第6条", contractor_ids_exclusive=True, at_end=at_end)
        )
        assert check(revoking, clauses) == [
            {
                "clause": "login_id_handling",
                "code": "login-ids-end-differs",
                "basis": ["第2の3(2)エ"],
                "params": {"expected": "revoke"},
            },
        ]
        assert check(preset("ehime-pref"), clauses) == []  # unspecified: any answer will do
    assert check(revoking, complete()) == []


def test_several_login_id_findings_at_once() -> None:
    clauses = complete(login_ids=LoginIdClause(stated=True))
    assert codes(check(preset("ehime-pref"), clauses)) == [
        ("login_id_handling", "no-article"),
        ("login_id_handling", "login-ids-not-exclusive"),
        ("login_id_handling", "login-ids-end-unstated"),
    ]


@pytest.mark.parametrize("slug", PRESETS)
def test_outsourcing_not_allowed(slug: str) -> None:
    forbidden = variant(slug, allowed=False, required_clauses=[], basis=["第9条"])
    assert check(forbidden, complete()) == [
        {"clause": "outsourcing", "code": "outsourcing-not-allowed", "basis": ["第9条"], "params": {}}
    ]
    assert check(forbidden, Clauses()) == check(forbidden, complete())
    assert check(preset(slug), complete()) == []  # every preset allows it
