"""The account password policy (`security.service.policy_failures`) on its own: each rule of
`security.account_password`, with the presets' real rules (tenants/*.json). No database, no server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.kit.errors import Msg
from service.security.service import policy_failures
from tests.support import preset_path

PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]


@pytest.fixture(autouse=True)
def _fresh_login_throttle() -> None:
    """Nothing here logs in or touches the database (this replaces the suite's own fixture)."""


def rules_of(slug: str) -> dict[str, Any]:
    rules: dict[str, Any] = json.loads(preset_path(slug).read_text(encoding="utf-8"))["guideline"]["document"][
        "security"
    ]["account_password"]
    return rules


def failed(rules: dict[str, Any], password: str, names: list[str] | None = None) -> list[str]:
    return [rule for rule, _ in policy_failures(rules, password, names or [])]


def missing(ja: str, en: str) -> tuple[str, Msg]:
    return ("required_classes", Msg("account-password.missing-classes", {"classes": ja, "classes_en": en}))


EHIME = rules_of("ehime-pref")  # 8 characters or more, upper, lower, digits and symbols
MINE = rules_of("mine-shakyo")  # nothing guessable


def test_what_the_presets_ask() -> None:
    assert {k: EHIME[k] for k in ("min_length", "required_classes", "avoid_guessable")} == {
        "min_length": 8,
        "required_classes": ["upper", "lower", "digit", "symbol"],
        "avoid_guessable": False,
    }
    assert {k: MINE[k] for k in ("min_length", "required_classes", "avoid_guessable")} == {
        "min_length": None,
        "required_classes": [],
        "avoid_guessable": True,
    }


@pytest.mark.parametrize("slug", ["ageo-hoikuka", "hokkaido-boe", "oyama-kosen"])
def test_presets_without_password_rules_accept_anything(slug: str) -> None:
    for password in ("", "a", "password", "aaaa", "Ehime_Pref"):
        assert policy_failures(rules_of(slug), password, ["ehime_pref"]) == []


def test_no_rules_at_all_accept_anything() -> None:
    assert policy_failures({}, "", []) == []


@pytest.mark.parametrize("slug", PRESETS)
def test_a_strong_password_meets_every_preset(slug: str) -> None:
    assert policy_failures(rules_of(slug), "Kq7#vR2!mZ9@wL4$", ["ehime_pref", "愛媛県広報広聴課"]) == []


# ---- min_length ---------------------------------------------------------------------------------------


def test_min_length() -> None:
    assert policy_failures(EHIME, "Ab1!xyz", []) == [("min_length", Msg("account-password.too-short", {"limit": 8}))]
    assert policy_failures(EHIME, "Ab1!xyzw", []) == []
    # Characters, not bytes: eight Japanese and ASCII characters together are eight.
    assert failed(EHIME, "Ab1!広報広聴") == []


# ---- required_classes -----------------------------------------------------------------------------------


def test_each_missing_class_is_named_in_the_rules_order() -> None:
    assert policy_failures(EHIME, "abcdefg1!", []) == [missing("英大文字", "upper-case letters")]
    assert policy_failures(EHIME, "ABCDEFG1!", []) == [missing("英小文字", "lower-case letters")]
    assert policy_failures(EHIME, "Abcdefgh!", []) == [missing("数字", "digits")]
    assert policy_failures(EHIME, "Abcdefgh1", []) == [missing("記号", "symbols")]
    assert policy_failures(EHIME, "abcdefgh", []) == [
        missing("英大文字、数字、記号", "upper-case letters, digits, symbols")
    ]
    reordered = {**EHIME, "required_classes": ["symbol", "digit"]}
    assert policy_failures(reordered, "abcdefgh", []) == [missing("記号、数字", "symbols, digits")]


def test_what_counts_as_a_symbol() -> None:
    only_symbol = {"required_classes": ["symbol"]}
    assert failed(only_symbol, "abc def") == ["required_classes"]  # a space is not a symbol
    assert failed(only_symbol, "abc\tdef") == ["required_classes"]
    for symbol in "!#$%&-_@・「":
        assert failed(only_symbol, f"abc{symbol}def") == [], symbol
    assert failed(only_symbol, "広報広聴課") == ["required_classes"]  # letters of any script are letters


def test_short_and_missing_classes_are_both_reported() -> None:
    assert failed(EHIME, "abc") == ["min_length", "required_classes"]


# ---- avoid_guessable ------------------------------------------------------------------------------------


def test_common_passwords_are_guessable() -> None:
    for password in ("password", "Password", "PASSWORD123", "qwerty!", "password1!"):
        assert policy_failures(MINE, password, []) == [("avoid_guessable", Msg("account-password.guessable"))], password


def test_repetitive_passwords_are_guessable() -> None:
    for password in ("aaaaaaaaaaaa", "abababababab", "abcdabcdabcd"):  # fewer than five different characters
        assert failed(MINE, password) == ["avoid_guessable"], password
    assert failed(MINE, "abcdeabcde") == []


def test_the_accounts_names_are_guessable() -> None:
    names = ["ehime_pref", "愛媛県広報広聴課"]
    contains_name = [("avoid_guessable", Msg("account-password.contains-name"))]
    assert policy_failures(MINE, "xEHIME_Pref-2026!", names) == contains_name  # in any case
    assert policy_failures(MINE, "2026愛媛県広報広聴課です", names) == contains_name
    assert policy_failures(MINE, "xEhime-Pref-2026!", names) == []
    # Names shorter than three characters are not looked for.
    assert policy_failures(MINE, "zq-ab-wrtx-19", ["ab"]) == []
    assert policy_failures(MINE, "zq-abc-wrtx-19", ["abc"]) == contains_name


def test_guessable_is_said_once_and_before_a_name() -> None:
    assert policy_failures(MINE, "password", ["password"]) == [("avoid_guessable", Msg("account-password.guessable"))]


def test_guessable_only_where_the_configuration_asks() -> None:
    assert failed(EHIME, "Password1!", ["ehime_pref"]) == []  # meets 愛媛県's rules, which do not ask
    assert failed({**EHIME, "avoid_guessable": True}, "Password1!") == ["avoid_guessable"]
    assert failed({**EHIME, "avoid_guessable": True}, "Xehime_pref1!", ["ehime_pref"]) == ["avoid_guessable"]
