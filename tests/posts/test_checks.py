"""The post checks (service/posts/checks.py), pure: a draft and a preset's rules in, findings out.

No database: each test reads a preset's document from tenants/*.json (or a copy changed on purpose)
and calls `check()` at a chosen instant. The issue's scenarios are here by name: 美祢市社協 on a
Sunday at 02:00, 上尾市保育課's refused reply and allowed ministry repost, 愛媛県's bit.ly, 北海道教育委員会's
warned shortener; so are X's weighted length against twitter-text-parser, My Number's check digit,
telephone numbers, half-width katakana, and ranges that point at the right characters.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import unicodedata
import warnings
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from service.guidelines.service import document_errors
from service.kit.i18n import MESSAGES
from service.posts.checks import Found, check, find_urls, my_number_is_valid, render, x_weighted_length
from service.posts.schemas import Attachment, AttachmentKind, Interaction, PostContent, Source, SourceKind
from service.posts.shorteners import OWN_PLATFORM_ADDRESSES, SHORTENERS, shortener_of
from tests.support import preset_path

with warnings.catch_warnings():  # the parser imports pkg_resources, which warns about itself
    warnings.simplefilter("ignore")
    from twitter_text import extract_urls_with_indices, parse_tweet

TOKYO = ZoneInfo("Asia/Tokyo")
PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]
# A Wednesday that is no holiday, at 10:00 in Tokyo: inside every preset's hours.
WEEKDAY = dt.datetime(2026, 6, 10, 10, 0, tzinfo=TOKYO)


@cache
def _preset(slug: str) -> str:
    return preset_path(slug).read_text(encoding="utf-8")


def rules(slug: str) -> dict[str, Any]:
    """A fresh copy of a preset's guideline document (tests may change it)."""
    document: dict[str, Any] = json.loads(_preset(slug))["guideline"]["document"]
    return document


def run(
    slug_or_document: str | dict[str, Any],
    platform: str = "facebook",
    at: dt.datetime = WEEKDAY,
    **content: Any,
) -> list[Found]:
    document = rules(slug_or_document) if isinstance(slug_or_document, str) else slug_or_document
    # Presets that restrict categories get an allowed one unless the test says otherwise.
    if document["posting"]["allowed_content"]["restricted"]:
        content.setdefault("category", document["posting"]["allowed_content"]["categories"][0])
    return check(PostContent(**content), document, platform=platform, at=at, time_zone=TOKYO)


def codes(found: list[Found]) -> list[str]:
    return [f.code for f in found]


def only(found: list[Found], code: str) -> Found:
    matching = [f for f in found if f.code == code]
    assert len(matching) == 1, found
    return matching[0]


def at_tokyo(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


# ---- posting hours --------------------------------------------------------------------------------------


SUNDAY_0200 = at_tokyo(2026, 6, 7, 2, 0)


def test_mine_sunday_0200_is_refused_without_an_emergency() -> None:
    found = run("mine-shakyo", at=SUNDAY_0200, text="秋のバザーのお知らせです。")
    hours = only(found, "outside_hours")
    assert hours.severity == "blocking"
    assert hours.rule == "/posting/hours"
    assert hours.basis == ("3(1)ウ",)
    assert hours.pointer == "/planned_at"
    assert hours.params == {"local_time": "2026-06-07 02:00", "hours": "08:30-17:15"}


def test_mine_sunday_0200_emergency_needs_a_reason() -> None:
    found = run("mine-shakyo", at=SUNDAY_0200, text="避難所を開設しました。", emergency=True)
    assert codes(found) == ["emergency_reason_missing"]
    assert found[0].severity == "blocking"
    assert found[0].pointer == "/emergency_reason"
    blank = run("mine-shakyo", at=SUNDAY_0200, text="避難所を開設しました。", emergency=True, emergency_reason="  ")
    assert codes(blank) == ["emergency_reason_missing"]


def test_mine_sunday_0200_emergency_with_a_reason_is_a_warning_reported_afterwards() -> None:
    found = run(
        "mine-shakyo",
        at=SUNDAY_0200,
        text="避難所を開設しました。",
        emergency=True,
        emergency_reason="大雨による避難指示",
    )
    assert codes(found) == ["emergency_out_of_hours"]
    assert found[0].severity == "warning"
    assert found[0].params["local_time"] == "2026-06-07 02:00"


def test_an_emergency_is_no_exception_where_the_rules_allow_none() -> None:
    document = rules("mine-shakyo")
    document["posting"]["hours"]["emergency_exception"] = False
    found = run(document, at=SUNDAY_0200, emergency=True, emergency_reason="大雨")
    assert [(f.code, f.severity) for f in found] == [("outside_hours", "blocking")]


@pytest.mark.parametrize(
    ("hour", "minute", "inside"),
    [(8, 29, False), (8, 30, True), (12, 0, True), (17, 15, True), (17, 16, False), (23, 59, False)],
)
def test_a_window_includes_both_its_ends_to_the_minute(hour: int, minute: int, inside: bool) -> None:
    found = run("mine-shakyo", at=at_tokyo(2026, 6, 10, hour, minute))
    assert ("outside_hours" not in codes(found)) is inside


def test_the_last_minute_of_a_window_counts_to_its_end() -> None:
    assert run("mine-shakyo", at=at_tokyo(2026, 6, 10, 17, 15).replace(second=59)) == []


def test_hours_are_read_in_the_tenants_time_zone() -> None:
    monday_0900_tokyo = dt.datetime(2026, 6, 8, 0, 0, tzinfo=dt.UTC)
    monday_1730_tokyo = dt.datetime(2026, 6, 8, 8, 30, tzinfo=dt.UTC)
    assert run("ehime-pref", at=monday_0900_tokyo) == []
    late = only(run("ehime-pref", at=monday_1730_tokyo), "outside_hours")
    assert late.params["local_time"] == "2026-06-08 17:30"


def test_a_naive_planned_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check(
            PostContent(), rules("mine-shakyo"), platform="facebook", at=dt.datetime(2026, 6, 10, 10), time_zone=TOKYO
        )


def test_weekdays_only_refuses_a_saturday_where_every_day_does_not() -> None:
    saturday = at_tokyo(2026, 6, 13, 10)
    assert codes(run("ehime-pref", at=saturday)) == ["outside_days"]
    assert codes(run("ageo-hoikuka", at=saturday)) == ["outside_days"]
    assert run("mine-shakyo", at=saturday) == []


def test_public_holidays_come_from_the_japanese_calendar() -> None:
    substitute_holiday = at_tokyo(2026, 5, 6, 10)  # 3 May 2026 is a Sunday: Wednesday the 6th is off
    found = run("ehime-pref", at=substitute_holiday)
    assert codes(found) == ["public_holiday"]
    assert found[0].params["holiday"]
    assert run("mine-shakyo", at=substitute_holiday) == []  # 美祢市社協 sets no days


def test_year_end_holidays_only_where_configured() -> None:
    monday_29_december = at_tokyo(2025, 12, 29, 10)
    assert codes(run("ageo-hoikuka", at=monday_29_december)) == ["year_end_holidays"]
    assert run("ehime-pref", at=monday_29_december) == []  # 愛媛県's template does not exclude them
    assert codes(run("ageo-hoikuka", at=at_tokyo(2026, 1, 5, 10))) == []


def test_unrestricted_hours_check_nothing() -> None:
    for slug in ("hokkaido-boe", "oyama-kosen"):
        assert [f for f in run(slug, at=SUNDAY_0200) if f.rule == "/posting/hours"] == []


# ---- URL shorteners and external links --------------------------------------------------------------------


def test_ehime_refuses_bit_ly_pointing_at_the_url() -> None:
    text = "詳しくはhttps://bit.ly/3AbCdEf。（外部サイト）"
    found = run("ehime-pref", text=text)
    shortener = only(found, "url_shortener")
    assert shortener.severity == "blocking"
    assert shortener.rule == "/posting/url_shorteners"
    assert shortener.basis == ("第2の5(3)オ(イ)",)
    assert shortener.pointer == "/text"
    assert text[shortener.start : shortener.end] == "https://bit.ly/3AbCdEf"
    assert shortener.params == {"host": "bit.ly"}


def test_hokkaido_warns_of_a_shortener_without_refusing() -> None:
    found = run("hokkaido-boe", text="申込みはこちら bit.ly/3AbCdEf")
    assert [(f.code, f.severity) for f in found] == [("url_shortener", "warning")]


def test_tenants_that_allow_shorteners_hear_nothing() -> None:
    for slug in ("ageo-hoikuka", "mine-shakyo", "oyama-kosen"):
        assert "url_shortener" not in codes(run(slug, text="https://bit.ly/3AbCdEf"))


def test_attached_links_point_at_their_index() -> None:
    found = run("ehime-pref", text="外部サイトです", links=["https://www.pref.ehime.jp/", "https://tinyurl.com/abc"])
    shortener = only(found, "url_shortener")
    assert (shortener.pointer, shortener.start, shortener.end) == ("/links/1", None, None)


@pytest.mark.parametrize(
    ("host", "shortener"),
    [
        ("bit.ly", "bit.ly"),
        ("BIT.LY", "bit.ly"),
        ("t.co", "t.co"),  # pasted from another post: hides where it leads
        ("maps.app.goo.gl", "goo.gl"),
        ("amzn.to", "amzn.to"),
        ("forms.gle", "forms.gle"),
        ("lin.ee", None),  # LINE's own add-friend address
        ("youtu.be", None),  # a YouTube video by its id
        ("www.city.ageo.lg.jp", None),
        ("notbit.ly", None),
    ],
)
def test_the_shortener_list_decisions(host: str, shortener: str | None) -> None:
    assert shortener_of(host) == shortener


def test_own_platform_addresses_are_kept_off_the_list() -> None:
    assert not OWN_PLATFORM_ADDRESSES & SHORTENERS
    assert all("." in host and host == host.lower() for host in SHORTENERS)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("詳しくはhttps://example.jp/a/b.html。次のお知らせ", "https://example.jp/a/b.html"),
        ("（www.pref.ehime.jp）", "www.pref.ehime.jp"),
        ("https://example.jp/path日本語", "https://example.jp/path"),
        ("https://example.jp/a_b?x=1&y=2、続き", "https://example.jp/a_b?x=1&y=2"),
        ("URL: https://example.jp/x. Next", "https://example.jp/x"),
        ("https://ja.wikipedia.org/wiki/A_(B)」", "https://ja.wikipedia.org/wiki/A_(B)"),
        ("「bit.ly/abc」", "bit.ly/abc"),
        ("https://example.com:8080/x\u3000全角スペース", "https://example.com:8080/x"),
    ],
)
def test_a_url_ends_at_full_width_characters_spaces_and_trailing_punctuation(text: str, url: str) -> None:
    found = find_urls(text)
    assert [u.url for u in found] == [url]
    assert text[found[0].start : found[0].end] == url


def test_mail_addresses_and_file_names_are_not_urls() -> None:
    assert find_urls("hoiku@city.ageo.lg.jp まで") == []
    assert find_urls("ftp://example.com") == []


def test_ehime_asks_that_outside_links_say_so() -> None:
    text = "協会の案内です。\nhttps://www.example.or.jp/event\n詳しくは上記へ"
    link = only(run("ehime-pref", text=text), "external_link_unmarked")
    assert link.severity == "warning"
    assert link.basis == ("第2の5(3)オ(ア)",)
    assert text[link.start : link.end] == "https://www.example.or.jp/event"
    assert link.params == {"host": "www.example.or.jp"}


@pytest.mark.parametrize(
    "text",
    [
        "協会のサイト（外部サイト）はこちら\nhttps://www.example.or.jp/event",
        "https://www.example.or.jp/event （外部リンク）",
        "Details (external site): https://www.example.or.jp/event",
        "県のページ https://www.pref.ehime.jp/page/1",  # the prefecture's own site
        "県のページ pref.ehime.jp",
    ],
)
def test_a_marked_or_own_link_needs_no_notice(text: str) -> None:
    assert "external_link_unmarked" not in codes(run("ehime-pref", text=text))


def test_the_marker_must_be_near_the_link() -> None:
    text = "外部サイト" + "あ" * 60 + "https://www.example.or.jp/event"
    assert "external_link_unmarked" in codes(run("ehime-pref", text=text))


def test_attached_outside_links_need_the_marker_somewhere_in_the_text() -> None:
    unmarked = run("ehime-pref", text="お知らせ", links=["https://www.example.or.jp/"])
    assert only(unmarked, "external_link_unmarked").pointer == "/links/0"
    assert run("ehime-pref", text="外部サイトのお知らせ", links=["https://www.example.or.jp/"]) == []
    assert run("ehime-pref", text="お知らせ", links=["https://www.pref.ehime.jp/a"]) == []


def test_no_notice_where_the_tenant_does_not_ask_for_one() -> None:
    assert run("hokkaido-boe", text="https://www.example.or.jp/") == []
    assert run("mine-shakyo", text="https://www.example.or.jp/") == []


# ---- personal data --------------------------------------------------------------------------------------


def test_an_office_number_is_a_warning_a_mobile_number_blocks() -> None:
    text = "問い合わせ：保育課 048-775-5111（担当携帯 090-1234-5678）"
    found = run("ageo-hoikuka", text=text)
    office = only(found, "phone_number")
    mobile = only(found, "mobile_phone_number")
    assert (office.severity, mobile.severity) == ("warning", "blocking")
    assert text[office.start : office.end] == "048-775-5111"
    assert text[mobile.start : mobile.end] == "090-1234-5678"
    assert office.rule == mobile.rule == "/posting/prohibited_content"
    assert "5(2)カ" in mobile.basis
    assert mobile.params == {"number": "090-1234-5678"}


@pytest.mark.parametrize(
    "number",
    ["０４８－７７５－５１１１", "(048)775-5111", "0487755111", "TEL048-775-5111", "+81-48-775-5111", "0120-123-456"],
)
def test_telephone_numbers_as_they_are_written(number: str) -> None:
    text = f"お問い合わせは{number}まで"
    phone = only(run("hokkaido-boe", text=text), "phone_number")
    assert number.removeprefix("TEL") in text[phone.start : phone.end]


def test_a_mobile_number_only_warns_where_privacy_is_not_prohibited() -> None:
    document = rules("hokkaido-boe")
    document["posting"]["prohibited_content"]["categories"].remove("privacy")
    assert only(run(document, text="携帯 080-1234-5678"), "mobile_phone_number").severity == "warning"


def test_dates_and_other_numbers_are_not_telephone_numbers() -> None:
    text = "令和7年4月1日 10:00〜11:30、定員20名、参加費1,000円、受付番号 2025-0401-0001"
    assert run("hokkaido-boe", text=text) == []


def test_a_number_inside_a_url_is_not_a_telephone_number() -> None:
    assert run("hokkaido-boe", text="https://example.jp/page/0487755111") == []


def test_mail_addresses_an_agencys_warns_a_phones_blocks() -> None:
    text = "連絡先 hoiku@city.ageo.lg.jp または taro.yamada@docomo.ne.jp"
    found = run("ageo-hoikuka", text=text)
    agency = only(found, "email_address")
    phone = only(found, "mobile_email_address")
    assert (agency.severity, phone.severity) == ("warning", "blocking")
    assert text[agency.start : agency.end] == "hoiku@city.ageo.lg.jp"
    assert text[phone.start : phone.end] == "taro.yamada@docomo.ne.jp"


def test_a_full_width_at_sign_is_still_an_address() -> None:
    text = "info＠example.jp"
    assert only(run("hokkaido-boe", text=text), "email_address").end == len(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("所在地 〒362-8501 上尾市本町3-1-1 です", "〒362-8501 上尾市本町3-1-1"),
        ("〒790-8570　愛媛県松山市一番町4-4-2", "〒790-8570　愛媛県松山市一番町4-4-2"),
        ("上尾市本町3-1-1（〒362-8501）", "上尾市本町3-1-1（〒362-8501"),
        ("362-8501 上尾市本町3-1-1", "362-8501 上尾市本町3-1-1"),
    ],
)
def test_postal_codes_with_an_address(text: str, address: str) -> None:
    found = only(run("hokkaido-boe", text=text), "postal_address")
    assert found.severity == "warning"
    assert text[found.start : found.end] == address


@pytest.mark.parametrize("text", ["〒362-8501", "受付番号 362-8501 です", "電話 048-775-5111"])
def test_a_postal_code_alone_is_not_an_address(text: str) -> None:
    assert "postal_address" not in codes(run("hokkaido-boe", text=text))


def _check_digit(first_eleven: str) -> int:
    """My Number's check digit, written from the ordinance's table of weights (left to right: 6 5 4
    3 2 7 6 5 4 3 2), independently of the service's loop."""
    weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    remainder = sum(int(d) * w for d, w in zip(first_eleven, weights, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def test_my_number_check_digit_agrees_with_the_table_of_weights() -> None:
    rng = random.Random(12)
    for _ in range(2000):
        first = "".join(rng.choice("0123456789") for _ in range(11))
        right = _check_digit(first)
        assert my_number_is_valid(f"{first}{right}")
        assert not my_number_is_valid(f"{first}{(right + 1) % 10}")
    assert my_number_is_valid("123456789018")
    assert not my_number_is_valid("12345678901")  # eleven digits
    assert not my_number_is_valid("12345678901a")


@pytest.mark.parametrize("written", ["123456789018", "1234 5678 9018", "1234-5678-9018", "１２３４５６７８９０１８"])
def test_my_number_blocks_everywhere(written: str) -> None:
    text = f"番号は{written}です"
    for slug in PRESETS:
        found = only(run(slug, text=text), "my_number")
        assert found.severity == "blocking"
        assert text[found.start : found.end] == written


@pytest.mark.parametrize(
    "text",
    [
        "番号は123456789019です",  # the check digit is wrong
        "法人番号 1234567890123",  # thirteen digits: a corporate number, which is public
        "https://example.jp/123456789018",
    ],
)
def test_other_twelve_digit_numbers_are_not_my_number(text: str) -> None:
    assert "my_number" not in codes(run("hokkaido-boe", text=text))


def test_ageo_warns_of_a_date_and_a_place_together() -> None:
    text = "本日はよい天気です。明日10時から中央公園で園児がお散歩します。"
    found = only(run("ageo-hoikuka", text=text), "location_identifying")
    assert found.severity == "warning"
    assert text[found.start : found.end] == "明日10時から中央公園"
    assert "5(2)カ" in found.basis


@pytest.mark.parametrize("text", ["明日はよい天気です。", "中央公園の桜が満開です。", "明日は雨。中央公園は閉園です。"])
def test_a_date_or_a_place_alone_is_no_location(text: str) -> None:
    assert "location_identifying" not in codes(run("ageo-hoikuka", text=text))


def test_only_tenants_that_prohibit_it_hear_of_locations() -> None:
    assert "location_identifying" not in codes(run("ehime-pref", text="明日10時から中央公園でお散歩します。"))


# ---- machine-dependent characters -------------------------------------------------------------------------


def test_ehime_refuses_half_width_katakana_pointing_at_the_run() -> None:
    text = "イベントのｶﾞｲﾄﾞﾌﾞｯｸを配ります"
    found = only(run("ehime-pref", text=text), "machine_dependent_characters")
    assert found.severity == "blocking"
    assert found.rule == "/posting/accessible_text"
    assert found.basis == ("第2の5(1)カ",)
    assert text[found.start : found.end] == "ｶﾞｲﾄﾞﾌﾞｯｸ"
    assert found.params == {"chars": "ｶﾞｲﾄﾞﾌﾞｯｸ", "suggestion": "ガイドブック"}


@pytest.mark.parametrize(
    ("chars", "suggestion"),
    [("①", "1"), ("㈱", "(株)"), ("㍻", "平成"), ("Ⅳ", "IV"), ("㌔", "キロ"), ("№", "No"), ("﨑", "崎"), ("❸", "3")],
)
def test_machine_dependent_characters_and_what_to_write(chars: str, suggestion: str) -> None:
    text = f"山{chars}田"
    found = only(run("ehime-pref", text=text), "machine_dependent_characters")
    assert (found.start, found.end) == (1, 1 + len(chars))
    assert found.params["suggestion"] == suggestion


def test_ordinary_japanese_is_not_machine_dependent() -> None:
    text = "令和7年度、〜「保育」（こども）・第1回 ＡＢＣ"  # full-width Latin and a wave dash are fine
    assert run("ehime-pref", text=text) == []


def test_only_tenants_asking_for_accessible_text_hear_of_it() -> None:
    for slug in ("ageo-hoikuka", "hokkaido-boe", "mine-shakyo", "oyama-kosen"):
        assert "machine_dependent_characters" not in codes(run(slug, text="①ｶﾀｶﾅ㈱"))


# ---- length ----------------------------------------------------------------------------------------------

_JA = ["上尾市保育課です。", "令和7年度の入所申込みを受け付けます", "ｶﾀｶﾅ", "ABC abc 123", "、", "。", "（詳細）", "「お知らせ」", "が",
       "か\u3099", "café", "—", "‘quoted’", "…", "①", "㈱", "𠮷野家", "#保育", "@ageo_hoiku", "¥1,000", "Ａ", "　", "™", "※",
       "〒362-8501", "TEL 048-775-5111", "Ω", "ß", "→", "★", "♪", "〜", "e\u0301", "\u200b", "\t", "Ⅳ", "ﾞ", "한국어", "中文"]  # fmt: skip
_EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇯🇵", "❤️", "1️⃣", "#️⃣", "©", "®", "‼️", "☺", "☀️", "👩🏽\u200d💻", "🏳️\u200d🌈",
          "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "🙇\u200d♀️", "✨", "🌸", "⚠️", "📢", "🈁", "㊗️"]  # fmt: skip
_WITH_SCHEME = ["https://www.city.ageo.lg.jp/page/12345.html", "https://bit.ly/3xYzAbC", "https://example.jp/a_b-c/(d)",
                "https://example.com:8080/x", "https://www.pref.ehime.jp/h12345/kouhou/", "http://example.org/a.pdf",
                "https://forms.gle/AbCdEf123", "https://lin.ee/abcd", "https://youtu.be/dQw4w9WgXcQ",
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1s", "https://example.jp/x.", "https://example.jp/x!?",
                "https://example.jp/search?q=a,b.", "https://ja.wikipedia.org/wiki/A_(B)", "HTTPS://EXAMPLE.COM"]  # fmt: skip
_BARE = ["example.com/path?q=1&r=2", "x.gd/ab", "is.gd/x", "t.co/abc", "www.pref.ehime.jp", "google.com", "abc.def.com",
         "www.city.ageo.lg.jp"]  # fmt: skip


def _post(rng: random.Random) -> str:
    """A post as agencies write them: Japanese with emoji, URLs after a space, a line break or a word
    and ended by a space, a line break or (after a path) Japanese text. Bare domains stand after a space
    or a line break: glued to the word before them, twitter-text takes that word into the domain and
    drops the link when the word is not a valid IDN label for Python's codec (an emoji, say), a
    quirk of the port that X does not share."""
    parts: list[str] = []
    for _ in range(rng.randint(1, 40)):
        draw = rng.random()
        if draw < 0.55:
            parts.append(rng.choice(_JA))
        elif draw < 0.75:
            parts.append(rng.choice(_EMOJI))
        elif draw < 0.9:
            parts += [
                rng.choice(["", " ", "\n", "\r\n", "：", "→", "（", "「", "詳しくは", "こちら"]),
                rng.choice(_WITH_SCHEME),
                rng.choice([" ", "\n", "）", "」", "。", "をご覧ください", "、"]),
            ]
        else:
            parts += [rng.choice([" ", "\n"]), rng.choice(_BARE), rng.choice([" ", "\n", "\r\n"])]
    return "".join(parts)


def test_x_weighted_length_matches_twitter_text_on_many_posts() -> None:
    rng = random.Random(280)
    for _ in range(3000):
        text = _post(rng)
        assert x_weighted_length(text) == parse_tweet(text).weightedLength, text


def test_x_points_where_twitter_text_stops_being_valid() -> None:
    rng = random.Random(141)
    compared = 0
    while compared < 300:
        text = _post(rng) + _post(rng)
        if x_weighted_length(text) <= 280 or "\r" in text or unicodedata.normalize("NFC", text) != text:
            continue
        found = only(run("hokkaido-boe", platform="x", text=text), "x_text_too_long")
        assert found.start is not None
        # twitter-text gives the last valid character's offset in UTF-16 code units.
        assert len(text[: found.start].encode("utf-16-le")) // 2 == parse_tweet(text).validRangeEnd + 1, text
        compared += 1


def test_urls_are_found_where_twitter_text_finds_them() -> None:
    rng = random.Random(23)
    for _ in range(1000):
        text = _post(rng)
        assert [(u.start, u.end) for u in find_urls(text)] == [
            tuple(u["indices"]) for u in extract_urls_with_indices(text)
        ], text


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("あ" * 140, 280),
        ("a" * 280, 280),
        ("保育課" + "https://www.city.ageo.lg.jp/" + "a" * 200, 6 + 23),  # the a…a are its path
        ("保育課 https://www.city.ageo.lg.jp/ " + "a" * 200, 6 + 1 + 23 + 1 + 200),
        ("👨\u200d👩\u200d👧", 2),  # a family: one emoji
        ("🇯🇵", 2),
        ("1️⃣", 2),
        ("©", 2),
        ("café\r\n", 5),
        ("か\u3099", 2),  # NFC: が
    ],
)
def test_x_weights(text: str, weight: int) -> None:
    assert x_weighted_length(text) == weight == parse_tweet(text).weightedLength


def test_an_emoji_newer_than_the_parsers_list_counts_as_one() -> None:
    # ❤️‍🔥 (Unicode 13.1) is one emoji on X; twitter-text-parser's Unicode 12 list counts its parts.
    assert x_weighted_length("❤️\u200d🔥") == 2


def test_x_refuses_141_full_width_characters_from_the_141st() -> None:
    assert run("ehime-pref", platform="x", text="あ" * 140) == []
    text = "あ" * 141
    found = only(run("ehime-pref", platform="x", text=text), "x_text_too_long")
    assert found.severity == "blocking"
    assert (found.start, found.end) == (140, 141)
    assert found.params == {"length": "282", "limit": "280"}


def test_x_counts_a_long_url_as_23() -> None:
    text = "保育課のお知らせ " + "https://www.city.ageo.lg.jp/" + "a" * 300
    assert run("hokkaido-boe", platform="x", text=text) == []


def test_x_points_past_the_limit_in_the_text_as_written() -> None:
    text = "https://example.jp/abc " + "ア" * 130
    found = only(run("hokkaido-boe", platform="x", text=text), "x_text_too_long")
    # 23 + 1 + 2 × 128 = 280: the 129th ア goes past.
    assert found.start == len("https://example.jp/abc ") + 128


@pytest.mark.parametrize(
    ("platform", "fits", "too_long", "code", "start"),
    [
        ("instagram", "あ" * 2200, "あ" * 2201, "text_too_long", 2200),
        ("tiktok", "😀" * 1100, "😀" * 1100 + "a", "text_too_long", 1100),  # UTF-16: an emoji takes two
        ("line", "😀" * 2500, "😀" * 2500 + "a", "text_too_long", 2500),
        ("youtube", "あ" * 1666, "あ" * 1667, "youtube_text_too_long", 1666),  # 5,000 bytes of UTF-8
    ],
)
def test_other_platforms_limits(platform: str, fits: str, too_long: str, code: str, start: int) -> None:
    assert run("hokkaido-boe", platform=platform, text=fits) == []
    found = only(run("hokkaido-boe", platform=platform, text=too_long), code)
    assert (found.severity, found.start, found.end) == ("blocking", start, len(too_long))
    assert found.rule == "/platforms"


def test_facebook_and_other_take_any_text_the_draft_can_hold() -> None:
    for platform in ("facebook", "other"):
        assert run("hokkaido-boe", platform=platform, text="あ" * 10_000) == []


# ---- interaction, category, photos, quotes ----------------------------------------------------------------

MINISTRY = Source(account="https://x.com/mhlw_go", kind=SourceKind.GOVERNMENT_AGENCY, name="厚生労働省")
CITY = Source(account="@ageo_city", kind=SourceKind.LOCAL_GOVERNMENT, name="上尾市")
SOMEONE = Source(account="@someone", kind=SourceKind.OTHER)


def test_ageo_refuses_a_reply() -> None:
    found = run(
        "ageo-hoikuka", platform="x", interaction=Interaction.REPLY, source=SOMEONE, text="ありがとうございます"
    )
    reply = only(found, "reply_not_allowed")
    assert (reply.severity, reply.rule, reply.pointer) == ("blocking", "/interaction/replies", "/interaction")
    assert reply.basis == ("5(1)カ",)


def test_ageo_reposts_a_ministry_on_the_heads_decision() -> None:
    found = run("ageo-hoikuka", platform="x", interaction=Interaction.REPOST, source=MINISTRY)
    assert codes(found) == ["repost_exception"]
    assert found[0].severity == "warning"
    assert found[0].params == {"role": "unit_head", "role_title": "保育課長", "source": "厚生労働省"}


def test_ageo_quotes_of_a_city_are_the_same_exception() -> None:
    found = run(
        "ageo-hoikuka", platform="x", interaction=Interaction.QUOTE, source=CITY, quotation_source="上尾市公式X"
    )
    assert codes(found) == ["repost_exception"]


def test_an_exception_without_its_role_falls_to_the_approver() -> None:
    document = rules("ageo-hoikuka")
    document["interaction"]["reposts"]["exception_approver_role"] = None
    found = only(run(document, platform="x", interaction=Interaction.REPOST, source=MINISTRY), "repost_exception")
    assert (found.params["role"], found.params["role_title"]) == ("unit_head", "保育課長")


def test_ageo_refuses_other_reposts_and_follows() -> None:
    assert codes(run("ageo-hoikuka", platform="x", interaction=Interaction.REPOST, source=SOMEONE)) == [
        "repost_not_allowed"
    ]
    assert codes(run("ageo-hoikuka", platform="x", interaction=Interaction.FOLLOW, source=MINISTRY)) == [
        "follow_not_allowed"
    ]


def test_an_interaction_without_its_source_is_refused() -> None:
    found = run("ehime-pref", interaction=Interaction.REPLY)
    source = only(found, "source_missing")
    assert (source.severity, source.pointer, source.rule) == ("blocking", "/source", "/interaction/replies")
    assert "source_missing" not in codes(run("ehime-pref", interaction=Interaction.REPLY, source=SOMEONE))


def test_case_by_case_is_a_warning() -> None:
    found = run("mine-shakyo", interaction=Interaction.REPOST, source=SOMEONE)
    assert [(f.code, f.severity) for f in found] == [("repost_case_by_case", "warning")]


def test_allowed_interactions_pass() -> None:
    for kind in (Interaction.REPLY, Interaction.REPOST, Interaction.FOLLOW):
        assert run("ehime-pref", interaction=kind, source=SOMEONE) == []
    assert codes(run("oyama-kosen", interaction=Interaction.REPLY, source=SOMEONE)) == ["reply_not_allowed"]


def test_restricted_categories() -> None:
    missing = only(run("ageo-hoikuka", category=None), "category_missing")
    assert (missing.severity, missing.pointer, missing.rule) == ("blocking", "/category", "/posting/allowed_content")
    wrong = only(run("ageo-hoikuka", category="public_relations"), "category_not_allowed")
    assert wrong.params == {"category": "public_relations"}
    assert run("ageo-hoikuka", category="events") == []
    assert run("ehime-pref", category=None) == []


def test_ehime_photos_need_consent_and_the_venues_permission() -> None:
    attachments = [
        Attachment(kind=AttachmentKind.PHOTO),
        Attachment(kind=AttachmentKind.PHOTO, people_appear=True),
        Attachment(kind=AttachmentKind.VIDEO, people_appear=True, consent_obtained=False),
        Attachment(kind=AttachmentKind.PHOTO, people_appear=True, consent_obtained=True),
        Attachment(kind=AttachmentKind.PHOTO, third_party_venue=True),
        Attachment(kind=AttachmentKind.PHOTO, third_party_venue=True, venue_permission_obtained=True),
        Attachment(kind=AttachmentKind.ILLUSTRATION, people_appear=True),
    ]
    found = run("ehime-pref", attachments=attachments)
    assert [(f.code, f.pointer) for f in found] == [
        ("photo_consent_missing", "/attachments/1"),
        ("photo_consent_missing", "/attachments/2"),
        ("venue_permission_missing", "/attachments/4"),
    ]
    assert all(f.severity == "blocking" for f in found)
    assert found[0].basis == ("第2の5(3)カ(ア)",)
    assert found[2].basis == ("第2の5(3)カ(イ)", "第2の5(3)カ(ウ)")


def test_photos_are_not_checked_where_nothing_is_required() -> None:
    attachments = [Attachment(kind=AttachmentKind.PHOTO, people_appear=True, third_party_venue=True)]
    assert run("mine-shakyo", attachments=attachments) == []


def test_ageo_quotes_name_their_source() -> None:
    found = run("ageo-hoikuka", contains_quotation=True, text="国の発表によれば…")
    quote = only(found, "quotation_source_missing")
    assert (quote.severity, quote.pointer, quote.basis) == ("blocking", "/quotation_source", ("5(1)ウ",))
    assert run("ageo-hoikuka", contains_quotation=True, quotation_source="こども家庭庁 報道発表") == []
    assert "quotation_source_missing" in codes(
        run("ageo-hoikuka", platform="x", interaction=Interaction.QUOTE, source=CITY)
    )
    assert run("ehime-pref", contains_quotation=True) == []


# ---- the whole: presets, order, messages, schema ----------------------------------------------------------


@pytest.mark.parametrize("slug", PRESETS)
def test_an_ordinary_post_passes_every_preset(slug: str) -> None:
    text = "【お知らせ】令和8年度の説明会を開催します。詳しくはホームページ（外部サイト）をご覧ください。\nhttps://www.example.lg.jp/info/123.html"
    assert run(slug, platform="x", text=text) == []


@pytest.mark.parametrize("slug", PRESETS)
def test_findings_are_in_a_stable_order(slug: str) -> None:
    attachments = [Attachment(kind=AttachmentKind.PHOTO, people_appear=True, third_party_venue=True)] * 12
    content = {
        "text": "携帯 090-1234-5678、https://bit.ly/abc ①、番号 123456789018、連絡 a@docomo.ne.jp",
        "links": ["https://bit.ly/x"] * 11,
        "attachments": attachments,
        "category": None,
        "interaction": Interaction.REPLY,
    }
    found = run(slug, platform="x", at=SUNDAY_0200, **content)
    again = run(slug, platform="x", at=SUNDAY_0200, **content)
    assert found == again
    keys = [
        (tuple(int(p) if p.isdigit() else p for p in f.pointer.split("/")[1:]), f.start or -1, f.code) for f in found
    ]

    def comparable(key: tuple[Any, ...]) -> tuple[Any, ...]:
        path, start, code = key
        return (tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in path), start, code)

    assert [comparable(k) for k in keys] == sorted(comparable(k) for k in keys)
    pointers = [f.pointer for f in found if f.pointer.startswith("/attachments/")]
    if pointers:
        assert pointers.index("/attachments/2") < pointers.index("/attachments/10")


def test_a_rule_without_basis_has_an_empty_one() -> None:
    document = rules("hokkaido-boe")
    del document["posting"]["url_shorteners"]["basis"]
    assert only(run(document, text="bit.ly/abc"), "url_shortener").basis == ()


# One draft per finding code: every code the checks can give, and its message in both languages.
_EVERY_CODE: list[tuple[str, str, dt.datetime, dict[str, Any]]] = [
    ("mine-shakyo", "facebook", SUNDAY_0200, {}),
    ("mine-shakyo", "facebook", SUNDAY_0200, {"emergency": True}),
    ("mine-shakyo", "facebook", SUNDAY_0200, {"emergency": True, "emergency_reason": "大雨"}),
    ("ehime-pref", "facebook", at_tokyo(2026, 6, 13, 10), {}),
    ("ehime-pref", "facebook", at_tokyo(2026, 5, 6, 10), {}),
    ("ageo-hoikuka", "x", at_tokyo(2025, 12, 29, 10), {}),
    (
        "ehime-pref",
        "x",
        WEEKDAY,
        {
            "text": "https://bit.ly/a 048-775-5111 090-1234-5678 a@city.jp b@docomo.ne.jp 〒362-8501 上尾市本町1 "
            "123456789018 ①" + "あ" * 200
        },
    ),
    ("ageo-hoikuka", "x", WEEKDAY, {"text": "明日10時に中央公園で。", "category": None}),
    ("ageo-hoikuka", "x", WEEKDAY, {"category": "public_relations", "contains_quotation": True}),
    ("hokkaido-boe", "instagram", WEEKDAY, {"text": "あ" * 2201}),
    ("hokkaido-boe", "youtube", WEEKDAY, {"text": "あ" * 1667}),
    ("ageo-hoikuka", "x", WEEKDAY, {"interaction": Interaction.REPLY}),
    ("ageo-hoikuka", "x", WEEKDAY, {"interaction": Interaction.REPOST, "source": SOMEONE}),
    ("ageo-hoikuka", "x", WEEKDAY, {"interaction": Interaction.REPOST, "source": MINISTRY}),
    ("ageo-hoikuka", "x", WEEKDAY, {"interaction": Interaction.FOLLOW, "source": SOMEONE}),
    ("mine-shakyo", "facebook", WEEKDAY, {"interaction": Interaction.REPOST, "source": SOMEONE}),
    ("ehime-pref", "facebook", WEEKDAY, {"attachments": [Attachment(kind=AttachmentKind.PHOTO, people_appear=True, third_party_venue=True)]}),
]  # fmt: skip


def _every_finding() -> list[Found]:
    found: list[Found] = []
    for slug, platform, when, content in _EVERY_CODE:
        found += run(slug, platform=platform, at=when, **content)
    for kind, section in ((Interaction.REPLY, "replies"), (Interaction.FOLLOW, "follows")):
        document = rules("mine-shakyo")
        document["interaction"][section]["policy"] = "case_by_case"
        found += run(document, interaction=kind, source=SOMEONE)
    return found


def test_every_code_has_a_message_in_both_languages_and_every_message_a_code() -> None:
    found = _every_finding()
    catalog = {key.removeprefix("post.check.") for key in MESSAGES if key.startswith("post.check.")}
    assert {f.code for f in found} == catalog
    for finding in found:
        ja, en = render(finding, "ja"), render(finding, "en")
        assert "{" not in ja.message, finding
        assert "{" not in en.message, finding
        assert any("\u3040" <= ch <= "\u9fff" for ch in ja.message)
        assert ja.message != en.message
        assert MESSAGES[f"post.check.{finding.code}"][1].isascii()  # English: only what the draft says is not
        assert (ja.code, ja.rule, ja.basis, ja.severity, ja.pointer, ja.start, ja.end) == (
            finding.code,
            finding.rule,
            list(finding.basis),
            finding.severity,
            finding.pointer,
            finding.start,
            finding.end,
        )


def test_a_stored_finding_reads_back_the_same() -> None:
    for finding in _every_finding():
        stored = json.loads(msgspec.json.encode(finding))
        assert msgspec.convert(stored, Found) == finding


def test_render_fills_the_params() -> None:
    finding = only(run("ehime-pref", text="https://bit.ly/abc"), "url_shortener")
    assert "bit.ly" in render(finding, "ja").message
    assert render(finding, "en").message.startswith("bit.ly is a URL shortener")


def test_the_new_rules_are_optional_and_set_where_the_seeds_say_so() -> None:
    for slug in PRESETS:
        document = rules(slug)
        assert document_errors(document) == []
        for key in ("external_links", "accessible_text", "venue_permission_required", "quotes"):
            document["posting"].pop(key, None)
        assert document_errors(document) == [], slug
    ehime = rules("ehime-pref")["posting"]
    assert ehime["external_links"]["notice_required"] is True
    assert ehime["accessible_text"]["required"] is True
    assert ehime["venue_permission_required"]["required"] is True
    assert rules("ageo-hoikuka")["posting"]["quotes"]["source_required"] is True
    for slug in PRESETS:
        posting = rules(slug)["posting"]
        for key in ("external_links", "accessible_text", "venue_permission_required", "quotes"):
            if key in posting and any(v is True for v in posting[key].values()):
                assert posting[key]["basis"], (slug, key)
                assert posting[key]["note"], (slug, key)


def test_a_document_changed_under_the_check_is_not_shared() -> None:
    document = rules("ehime-pref")
    snapshot = copy.deepcopy(document)
    run(document, text="https://bit.ly/abc ①", at=SUNDAY_0200)
    assert document == snapshot
