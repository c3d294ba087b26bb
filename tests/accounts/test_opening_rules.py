"""The opening rules (`accounts.service.unmet_rules`) on their own: every rule, against each of the
five presets' configurations (tenants/*.json), over a snapshot of an account instead of rows.
No database, no server; tests/applications/test_opening.py drives the same rules through the API."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from service.accounts.service import DocumentSnapshot, OpeningSnapshot, UnmetRule, unmet_rules
from service.guidelines.service import document_errors
from service.kit.errors import Msg
from tests.support import preset_path

PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]
MAILBOX = "koho@example.jp"


@pytest.fixture(autouse=True)
def _fresh_login_throttle() -> None:
    """Nothing here logs in or touches the database (this replaces the suite's own fixture)."""


def preset(slug: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(preset_path(slug).read_text(encoding="utf-8"))["guideline"]["document"]
    return document


def written(*items: str, disclosed: bool = False) -> DocumentSnapshot:
    return DocumentSnapshot(written=frozenset(items), disclosed=disclosed)


def ready(config: dict[str, Any]) -> OpeningSnapshot:
    """An account meeting every opening rule of the configuration."""
    documents = {
        kind: written(*rule["items"], disclosed=True)
        for kind, rule in config["opening"]["required_documents"].items()
        if rule["required"]
    }
    return OpeningSnapshot(
        platform=config["platforms"]["allowed"][0],
        operating_body="direct",
        manager_present=True,
        operators_present=True,
        documents=documents,
        unit_shared_mailbox=MAILBOX,
        signup_mailbox=MAILBOX,
        verified_badge=True,
        profile_links_register=True,
    )


def changed(account: OpeningSnapshot, **fields: Any) -> OpeningSnapshot:
    return dataclasses.replace(account, **fields)


def rules(unmet: list[UnmetRule]) -> list[str]:
    return [u.rule for u in unmet]


def document_rule(kind: str, basis: list[str], missing: list[str]) -> UnmetRule:
    return UnmetRule(
        f"/opening/required_documents/{kind}",
        Msg("account.rule.document", {"document": Msg(f"document.{kind}")}),
        basis,
        missing,
    )


@pytest.mark.parametrize("slug", PRESETS)
def test_an_account_meeting_every_rule_may_open(slug: str) -> None:
    assert unmet_rules(preset(slug), ready(preset(slug))) == []


def test_without_a_configuration_nothing_may_open() -> None:
    assert unmet_rules(None, ready(preset("ehime-pref"))) == [UnmetRule("/", Msg("account.rule.no-configuration"))]


# ---- /platforms/allowed -------------------------------------------------------------------------------


def test_a_platform_the_configuration_does_not_allow() -> None:
    ageo = preset("ageo-hoikuka")  # X only
    assert unmet_rules(ageo, changed(ready(ageo), platform="facebook")) == [
        UnmetRule("/platforms/allowed", Msg("account.rule.platform", {"platform": "facebook"}), ["1", "2(2)"])
    ]
    mine = preset("mine-shakyo")  # Facebook and Instagram only
    assert unmet_rules(mine, changed(ready(mine), platform="instagram")) == []
    assert rules(unmet_rules(mine, changed(ready(mine), platform="x"))) == ["/platforms/allowed"]


@pytest.mark.parametrize("slug", ["ehime-pref", "hokkaido-boe", "oyama-kosen"])
def test_presets_allowing_every_platform(slug: str) -> None:
    config = preset(slug)
    for platform in ("x", "facebook", "instagram", "youtube", "line", "tiktok", "other"):
        assert "/platforms/allowed" not in rules(unmet_rules(config, changed(ready(config), platform=platform)))


# ---- /opening/required_documents ------------------------------------------------------------------------


@pytest.mark.parametrize("slug", PRESETS)
def test_each_required_document_missing_names_all_its_items(slug: str) -> None:
    config = preset(slug)
    required = {kind: rule for kind, rule in config["opening"]["required_documents"].items() if rule["required"]}
    for kind, rule in required.items():
        account = changed(ready(config), documents={k: d for k, d in ready(config).documents.items() if k != kind})
        unmet = unmet_rules(config, account)
        assert unmet[0] == document_rule(kind, rule.get("basis", []), rule["items"])
        # An account policy that must be disclosed is not disclosed either.
        assert rules(unmet[1:]) == (
            ["/opening/required_documents/account_policy/must_be_disclosed"] if rule.get("must_be_disclosed") else []
        )
    # A document no rule asks for changes nothing.
    for kind in {"usage_policy", "operations_manual", "account_policy"} - required.keys():
        assert unmet_rules(config, changed(ready(config), documents={**ready(config).documents, kind: written()})) == []


def test_what_the_presets_ask_so_every_rule_is_met_and_missed_above() -> None:
    required = {
        slug: sorted(k for k, r in preset(slug)["opening"]["required_documents"].items() if r["required"])
        for slug in PRESETS
    }
    assert required == {
        "ageo-hoikuka": [],
        "ehime-pref": ["account_policy", "operations_manual", "usage_policy"],
        "hokkaido-boe": ["usage_policy"],
        "mine-shakyo": ["account_policy", "usage_policy"],
        "oyama-kosen": [],
    }
    linked = [s for s in PRESETS if preset(s)["opening"]["profile_link_to_register"]["required"]]
    assert linked == ["ehime-pref", "hokkaido-boe"]
    assert [s for s in PRESETS if preset(s)["role_titles"]["operations_manager"]] == ["ehime-pref", "oyama-kosen"]


@pytest.mark.parametrize("slug", ["ehime-pref", "hokkaido-boe", "mine-shakyo"])
def test_a_document_with_items_left_out_names_those_items(slug: str) -> None:
    config = preset(slug)
    rule = config["opening"]["required_documents"]["usage_policy"]
    first, *rest = rule["items"]
    account = changed(ready(config), documents={**ready(config).documents, "usage_policy": written(*rest[1:])})
    assert unmet_rules(config, account) == [document_rule("usage_policy", rule["basis"], [first, rest[0]])]


def test_an_empty_document_misses_every_item_but_exists() -> None:
    config = preset("ehime-pref")
    manual = config["opening"]["required_documents"]["operations_manual"]
    account = changed(ready(config), documents={**ready(config).documents, "operations_manual": written()})
    assert unmet_rules(config, account) == [document_rule("operations_manual", manual["basis"], manual["items"])]


def test_the_account_policy_must_be_disclosed_where_the_configuration_says() -> None:
    ehime = preset("ehime-pref")
    policy = ehime["opening"]["required_documents"]["account_policy"]
    undisclosed = written(*policy["items"], disclosed=False)
    account = changed(ready(ehime), documents={**ready(ehime).documents, "account_policy": undisclosed})
    assert unmet_rules(ehime, account) == [
        UnmetRule(
            "/opening/required_documents/account_policy/must_be_disclosed",
            Msg("account.rule.policy-disclosed"),
            policy["basis"],
        )
    ]
    # 美祢市社協 requires an account policy but not its disclosure.
    mine = preset("mine-shakyo")
    items = mine["opening"]["required_documents"]["account_policy"]["items"]
    account = changed(ready(mine), documents={**ready(mine).documents, "account_policy": written(*items)})
    assert unmet_rules(mine, account) == []


# ---- /opening/signup_mailbox/policy ---------------------------------------------------------------------


def test_the_units_shared_mailbox_where_the_configuration_asks_for_it() -> None:
    hokkaido = preset("hokkaido-boe")
    account = ready(hokkaido)
    assert unmet_rules(hokkaido, changed(account, signup_mailbox="yamada@example.jp")) == [
        UnmetRule("/opening/signup_mailbox/policy", Msg("account.rule.shared-mailbox", {"mailbox": MAILBOX}), ["3(2)"])
    ]
    assert rules(unmet_rules(hokkaido, changed(account, signup_mailbox=None))) == ["/opening/signup_mailbox/policy"]
    assert unmet_rules(hokkaido, changed(account, signup_mailbox=MAILBOX.upper())) == []  # case does not matter
    # A unit without a shared mailbox: nothing can match it, and the message says there is none.
    for signup in (None, MAILBOX):
        unmet = unmet_rules(hokkaido, changed(account, unit_shared_mailbox=None, signup_mailbox=signup))
        assert [u.message for u in unmet] == [Msg("account.rule.shared-mailbox", {"mailbox": "-"})]


@pytest.mark.parametrize("slug", ["ageo-hoikuka", "ehime-pref", "mine-shakyo", "oyama-kosen"])
def test_any_mailbox_will_do_elsewhere(slug: str) -> None:
    config = preset(slug)
    assert unmet_rules(config, changed(ready(config), unit_shared_mailbox=None, signup_mailbox=None)) == []


# ---- /opening/profile_link_to_register and /opening/verified_badge ----------------------------------------


@pytest.mark.parametrize("slug", PRESETS)
def test_the_profile_link_to_the_register(slug: str) -> None:
    config = preset(slug)
    link = config["opening"]["profile_link_to_register"]
    unmet = unmet_rules(config, changed(ready(config), profile_links_register=False))
    if link["required"]:
        assert unmet == [
            UnmetRule("/opening/profile_link_to_register/required", Msg("account.rule.profile-link"), link["basis"])
        ]
    else:
        assert unmet == []


def test_the_verified_badge_where_required_for_the_platform() -> None:
    hokkaido = preset("hokkaido-boe")  # required on X only
    assert unmet_rules(hokkaido, changed(ready(hokkaido), verified_badge=False)) == [
        UnmetRule("/opening/verified_badge/policy", Msg("account.rule.verified-badge"), ["※アカウント"])
    ]
    assert unmet_rules(hokkaido, changed(ready(hokkaido), platform="facebook", verified_badge=False)) == []
    # Required on every platform where the configuration names none.
    everywhere = copy.deepcopy(hokkaido)
    everywhere["opening"]["verified_badge"]["platforms"] = []
    assert document_errors(everywhere) == []
    account = changed(ready(everywhere), platform="facebook", verified_badge=False)
    assert rules(unmet_rules(everywhere, account)) == ["/opening/verified_badge/policy"]


@pytest.mark.parametrize("slug", ["ageo-hoikuka", "ehime-pref", "mine-shakyo", "oyama-kosen"])
def test_a_badge_recommended_or_not_required_is_not_a_rule(slug: str) -> None:
    config = preset(slug)
    assert config["opening"]["verified_badge"]["policy"] in {"recommended", "not_required"}
    assert unmet_rules(config, changed(ready(config), verified_badge=False)) == []


# ---- /outsourcing/allowed -----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", PRESETS)
def test_outsourced_operation_where_the_configuration_forbids_it(slug: str) -> None:
    config = preset(slug)
    forbidding = copy.deepcopy(config)
    forbidding["outsourcing"].update(allowed=False, required_clauses=[], basis=["第9条"])
    assert document_errors(forbidding) == []
    for body in ("outsourced", "designated_manager"):
        assert unmet_rules(config, changed(ready(config), operating_body=body)) == []  # every preset allows it
        assert unmet_rules(forbidding, changed(ready(forbidding), operating_body=body)) == [
            UnmetRule("/outsourcing/allowed", Msg("account.rule.outsourcing"), ["第9条"])
        ]
    for body in ("direct", "committee"):
        assert unmet_rules(forbidding, changed(ready(forbidding), operating_body=body)) == []


# ---- /role_titles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", PRESETS)
def test_the_operations_manager_where_the_configuration_names_one(slug: str) -> None:
    config = preset(slug)
    unmet = unmet_rules(config, changed(ready(config), manager_present=False))
    if config["role_titles"]["operations_manager"]:
        assert unmet == [UnmetRule("/role_titles/operations_manager", Msg("account.rule.manager"), ["別紙様式"])]
    else:
        assert unmet == []


@pytest.mark.parametrize("slug", PRESETS)
def test_at_least_one_operator_everywhere(slug: str) -> None:
    config = preset(slug)
    assert unmet_rules(config, changed(ready(config), operators_present=False)) == [
        UnmetRule("/role_titles/operator", Msg("account.rule.operator"), ["別紙様式"])
    ]


def test_every_unmet_rule_is_named_in_the_configurations_order() -> None:
    ehime = preset("ehime-pref")
    nothing = OpeningSnapshot(
        platform="x", operating_body="direct", manager_present=False, operators_present=False, documents={},
        unit_shared_mailbox=None, signup_mailbox=None, verified_badge=False, profile_links_register=False,
    )  # fmt: skip
    assert rules(unmet_rules(ehime, nothing)) == [
        "/opening/required_documents/usage_policy",
        "/opening/required_documents/operations_manual",
        "/opening/required_documents/account_policy",
        "/opening/required_documents/account_policy/must_be_disclosed",
        "/opening/profile_link_to_register/required",
        "/role_titles/operations_manager",
        "/role_titles/operator",
    ]
    hokkaido = preset("hokkaido-boe")
    assert rules(unmet_rules(hokkaido, nothing)) == [
        "/opening/required_documents/usage_policy",
        "/opening/signup_mailbox/policy",
        "/opening/profile_link_to_register/required",
        "/opening/verified_badge/policy",
        "/role_titles/operator",
    ]
