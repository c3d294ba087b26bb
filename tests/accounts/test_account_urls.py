"""Account URLs and handles: every spelling of one account gives one key, different accounts differ."""

from __future__ import annotations

import inspect
import re
import socket
import string
import uuid
from typing import Any

import httpx
import msgspec
import pytest

from service.accounts import urls
from service.accounts.urls import (
    PLATFORMS,
    AccountRef,
    Platform,
    UnrecognisedAccount,
    account_keys,
    parse_account,
    with_user_id,
)
from service.kit.i18n import MESSAGES
from tests.support import assert_problem, bearer, create_tenant

CHANNEL_ID = "UCxXbB3-ZxU_ejqbdpTsGt9A"  # "UC" and 22 characters


@pytest.fixture(autouse=True)
def no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing reads the text only: any look-up or connection fails the test (tests through the API
    are spared: the service under them talks to its database)."""
    if "client" in request.fixturenames:
        return

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parse_account must not use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def forms(key: str, *values: str | tuple[str, Platform]) -> list[Any]:
    """One parametrize row per spelling: (value, platform given or None, expected key)."""
    rows = []
    for value in values:
        text, platform = value if isinstance(value, tuple) else (value, None)
        rows.append(pytest.param(text, platform, key, id=f"{key}<-{text}|{platform}"))
    return rows


SAME_ACCOUNT = [
    *forms(
        "x:handle:ageo_city",
        "https://twitter.com/Ageo_City/status/123?s=20",
        "https://x.com/Ageo_City",
        "HTTPS://X.COM/ageo_city/",
        "x.com/Ageo_City?ref_src=twsrc%5Etfw&t=AbC123",
        "https://mobile.twitter.com/Ageo_City/with_replies",
        "http://mobile.x.com/Ageo_City",
        "https://www.twitter.com/AGEO_CITY#top",
        "https://www.x.com/Ageo_City/media?lang=ja",
        "https://twitter.com/#!/Ageo_City",
        "//x.com/Ageo_City",
        "x.com:443/Ageo_City",
        "  https://x.com/Ageo_City\n",
        ("https://x.com/Ageo_City", "x"),
        ("@Ageo_City", "x"),
        ("ageo_city", "x"),
        ("＠Ａｇｅｏ_Ｃｉｔｙ", "x"),  # typed with a Japanese IME
    ),
    *forms(
        "facebook:handle:mineshishakyo",
        "https://www.facebook.com/mineshishakyo/",
        "https://facebook.com/mineshishakyo",
        "HTTPS://M.FACEBOOK.COM/MineShiShakyo/?locale=ja_JP",
        "mbasic.facebook.com/mineshishakyo?fbclid=IwAR0abcdef",
        "https://web.facebook.com/mineshishakyo/posts/123456",
        "https://business.facebook.com/mineshishakyo?ref=page_internal",
        "https://fb.com/mineshishakyo",
        "https://ja-jp.facebook.com/mineshishakyo",
        "https://www.facebook.com/pg/mineshishakyo/posts/",
        "https://www.facebook.com/#!/mineshishakyo",
        # Facebook ignores dots in usernames: these are the same username.
        "https://www.facebook.com/mineshi.shakyo",
        ("mineshishakyo", "facebook"),
        ("@Mineshi.Shakyo", "facebook"),
    ),
    *forms(
        "facebook:id:100064123456789",
        "https://www.facebook.com/profile.php?id=100064123456789",
        "https://m.facebook.com/profile.php?id=100064123456789&sk=about",
        "https://www.facebook.com/people/Some-Name/100064123456789/",
        "https://www.facebook.com/p/Some-Name-100064123456789/",
        "https://www.facebook.com/pages/Some-Name/100064123456789",
        "https://www.facebook.com/100064123456789",
        ("100064123456789", "facebook"),
    ),
    *forms(
        "instagram:handle:mineshakyo",
        "https://www.instagram.com/mineshakyo/?igshid=abc",
        "instagram.com/MineShakyo",
        "HTTPS://M.INSTAGRAM.COM/mineshakyo/?utm_source=ig_web_copy_link",
        "https://www.instagram.com/stories/mineshakyo/3012345678901234567/",
        "https://www.instagram.com/_u/mineshakyo",
        "https://www.instagram.com/mineshakyo/reels/",
        ("@MineShakyo", "instagram"),
    ),
    *forms(
        "youtube:handle:ageocity",
        "https://www.youtube.com/@AgeoCity",
        "youtube.com/@ageocity/videos",
        "HTTPS://M.YOUTUBE.COM/@AgeoCity?si=AbCdEf",
        "https://music.youtube.com/@AgeoCity",
        "https://www.youtube.com/%40AgeoCity/",
        # Legacy custom URLs and usernames are taken as the handle of the same name.
        "https://www.youtube.com/c/AgeoCity",
        "https://www.youtube.com/user/AgeoCity?feature=share",
        ("@AgeoCity", "youtube"),
        ("AgeoCity", "youtube"),
    ),
    *forms(
        "youtube:handle:上尾市",
        "https://www.youtube.com/@%E4%B8%8A%E5%B0%BE%E5%B8%82",
        "https://www.youtube.com/@上尾市/featured",
        ("@上尾市", "youtube"),
    ),
    *forms(
        f"youtube:id:{CHANNEL_ID}",
        f"https://www.youtube.com/channel/{CHANNEL_ID}/",
        f"m.youtube.com/channel/{CHANNEL_ID}/featured?view_as=subscriber",
        f"HTTPS://WWW.YOUTUBE.COM/channel/{CHANNEL_ID}",
        f"https://music.youtube.com/channel/{CHANNEL_ID}?si=x",
        (CHANNEL_ID, "youtube"),
    ),
    *forms(
        "line:handle:abc1234",
        "https://line.me/R/ti/p/@abc1234",
        "https://line.me/R/ti/p/%40abc1234",
        "https://page.line.me/abc1234",
        "line://ti/p/@abc1234",
        "LINE.ME/R/ti/p/@ABC1234?from=page&openQrModal=true",
        "https://line.me/ti/p/@abc1234",
        "https://page.line.me/?accountId=abc1234",
        "https://line.me/R/oaMessage/@abc1234/?hello",
        ("@abc1234", "line"),
        ("abc1234", "line"),
        ("＠abc1234", "line"),
    ),
    *forms(
        "tiktok:handle:ageo_city",
        "https://www.tiktok.com/@ageo_city",
        "tiktok.com/@Ageo_City/video/7234567890123456789?is_from_webapp=1&sender_device=pc",
        "https://m.tiktok.com/@ageo_city/",
        "HTTPS://WWW.TIKTOK.COM/@AGEO_CITY?lang=ja-JP",
        "https://www.tiktok.com/@ageo_city/live",
        ("@ageo_city", "tiktok"),
    ),
    *forms(
        "other:url:city.ageo.lg.jp/page/sns.html",
        "https://www.city.ageo.lg.jp/page/sns.html",
        "city.ageo.lg.jp/page/sns.html/?utm_source=x",
        "HTTP://WWW.CITY.AGEO.LG.JP/page/sns.html#top",
        ("https://city.ageo.lg.jp:443/page/sns.html", "other"),
    ),
]


@pytest.mark.parametrize(("value", "platform", "key"), SAME_ACCOUNT)
def test_every_spelling_of_an_account_gives_its_key(value: str, platform: Platform | None, key: str) -> None:
    ref = parse_account(value, platform)
    assert ref.key == key
    assert ref.platform == key.split(":")[0]


def test_enough_spellings_per_platform() -> None:
    counts: dict[str, int] = {}
    for row in SAME_ACCOUNT:
        counts[row.values[2].split(":")[0]] = counts.get(row.values[2].split(":")[0], 0) + 1
    minimum = {"x": 6, "facebook": 6, "instagram": 4, "youtube": 4, "line": 4, "tiktok": 3}
    assert all(counts[platform] >= n for platform, n in minimum.items()), counts


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://x.com/Ageo_City", "https://x.com/Ageo_City2"),
        ("https://x.com/Ageo_City", "https://x.com/Ageo_Cit"),
        ("https://x.com/ageo", "https://www.instagram.com/ageo"),
        ("https://x.com/ageocity", "https://www.tiktok.com/@ageocity"),
        ("https://www.facebook.com/ageo.city", "https://www.facebook.com/ageo.city2"),
        ("https://www.facebook.com/profile.php?id=100064", "https://www.facebook.com/profile.php?id=100065"),
        # Unlike Facebook, Instagram keeps dots: these are two accounts.
        ("https://www.instagram.com/mine.shakyo", "https://www.instagram.com/mineshakyo"),
        ("https://www.instagram.com/mine_shakyo", "https://www.instagram.com/mineshakyo"),
        # Channel ids are case-sensitive.
        (f"https://www.youtube.com/channel/{CHANNEL_ID}", f"https://www.youtube.com/channel/{CHANNEL_ID[:-1]}a"),
        ("https://www.youtube.com/@AgeoCity", "https://www.youtube.com/@AgeoCity2"),
        ("https://line.me/R/ti/p/@abc1234", "https://line.me/R/ti/p/@abc1235"),
        # Short codes are case-sensitive.
        ("https://lin.ee/AbCd123", "https://lin.ee/abcd123"),
        ("https://vm.tiktok.com/ZSabc12/", "https://vm.tiktok.com/ZSABC12/"),
        ("https://vm.tiktok.com/ZSabc12/", "https://vt.tiktok.com/ZSabc12/"),
        # Paths of other sites keep their case.
        ("https://example.jp/Page", "https://example.jp/page"),
        ("https://example.jp/a", "https://example.jp/b"),
        ("https://example.jp/a", "https://example.jp:8443/a"),
    ],
)
def test_different_accounts_give_different_keys(first: str, second: str) -> None:
    assert parse_account(first).key != parse_account(second).key


def test_keys_of_distinct_accounts_are_all_distinct() -> None:
    values = [
        "https://x.com/Ageo_City",
        "https://x.com/i/user/783214",
        "https://www.facebook.com/ageocity",
        "https://www.facebook.com/profile.php?id=783214",
        "https://www.instagram.com/ageocity",
        "https://www.youtube.com/@ageocity",
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
        "https://line.me/R/ti/p/@ageocity",
        "https://lin.ee/AgeoCity",
        "https://www.tiktok.com/@ageocity",
        "https://vm.tiktok.com/AgeoCity",
        "https://www.city.ageo.lg.jp/ageocity",
    ]
    keys = [parse_account(value).key for value in values]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("value", "platform", "key", "user_id"),
    [
        ("https://x.com/i/user/783214", None, "x:id:783214", "783214"),
        ("https://twitter.com/i/user/783214/", None, "x:id:783214", "783214"),
        ("https://mobile.twitter.com/i/user/0783214", None, "x:id:783214", "783214"),
        ("https://www.facebook.com/profile.php?id=100064", None, "facebook:id:100064", "100064"),
        ("https://www.facebook.com/people/Some-Name/100064/", None, "facebook:id:100064", "100064"),
        ("https://www.facebook.com/pages/Some-Name/123456/", None, "facebook:id:123456", "123456"),
        ("https://www.facebook.com/p/Some-Name-61550000000000/", None, "facebook:id:61550000000000", "61550000000000"),
        ("100064", "facebook", "facebook:id:100064", "100064"),
        (f"https://www.youtube.com/channel/{CHANNEL_ID}", None, f"youtube:id:{CHANNEL_ID}", CHANNEL_ID),
        (CHANNEL_ID, "youtube", f"youtube:id:{CHANNEL_ID}", CHANNEL_ID),
    ],
)
def test_permanent_id_forms_give_id_keys(value: str, platform: Platform | None, key: str, user_id: str) -> None:
    ref = parse_account(value, platform)
    assert (ref.key, ref.platform_user_id, ref.handle) == (key, user_id, None)


@pytest.mark.parametrize(
    ("value", "platform"),
    [
        ("https://x.com/Ageo_City", None),
        ("https://www.facebook.com/mineshishakyo", None),
        ("https://www.instagram.com/mineshakyo", None),
        ("https://www.youtube.com/@AgeoCity", None),
        ("https://www.youtube.com/c/AgeoCity", None),
        ("https://line.me/R/ti/p/@abc1234", None),  # a LINE ID can be changed: not permanent
        ("https://lin.ee/AbCd123", None),
        ("https://www.tiktok.com/@ageo_city", None),
        ("https://www.city.ageo.lg.jp/", None),
        ("12345", "x"),  # all-digit X handles exist: bare digits stay a handle
        (f"@{CHANNEL_ID}", "youtube"),  # "@" makes it a handle
    ],
)
def test_handle_and_link_forms_carry_no_permanent_id(value: str, platform: Platform | None) -> None:
    ref = parse_account(value, platform)
    assert ref.platform_user_id is None
    assert ":id:" not in ref.key


@pytest.mark.parametrize(
    ("value", "platform", "canonical", "handle"),
    [
        ("https://twitter.com/Ageo_City/status/123?s=20", None, "https://x.com/Ageo_City", "Ageo_City"),
        ("@Ageo_City", "x", "https://x.com/Ageo_City", "Ageo_City"),
        ("https://x.com/i/user/783214", None, "https://x.com/i/user/783214", None),
        (
            "https://m.facebook.com/mineshishakyo/?ref=bookmarks",
            None,
            "https://www.facebook.com/mineshishakyo",
            "mineshishakyo",
        ),
        ("https://www.facebook.com/Mineshi.Shakyo/", None, "https://www.facebook.com/Mineshi.Shakyo", "Mineshi.Shakyo"),
        (
            "https://www.facebook.com/people/Some-Name/100064/",
            None,
            "https://www.facebook.com/profile.php?id=100064",
            None,
        ),
        (
            "https://www.instagram.com/MineShakyo/?igshid=abc",
            None,
            "https://www.instagram.com/mineshakyo",
            "mineshakyo",
        ),
        ("https://m.youtube.com/@Handle/videos?si=x", None, "https://www.youtube.com/@Handle", "Handle"),
        ("@上尾市", "youtube", "https://www.youtube.com/@%E4%B8%8A%E5%B0%BE%E5%B8%82", "上尾市"),
        (
            f"https://m.youtube.com/channel/{CHANNEL_ID}/about",
            None,
            f"https://www.youtube.com/channel/{CHANNEL_ID}",
            None,
        ),
        ("https://www.youtube.com/c/AgeoCity/", None, "https://www.youtube.com/c/AgeoCity", "AgeoCity"),
        ("https://www.youtube.com/user/AgeoCity", None, "https://www.youtube.com/user/AgeoCity", "AgeoCity"),
        ("line://ti/p/@ABC1234", None, "https://line.me/R/ti/p/@abc1234", "abc1234"),
        ("https://page.line.me/abc1234", None, "https://line.me/R/ti/p/@abc1234", "abc1234"),
        ("https://lin.ee/AbCd123/", None, "https://lin.ee/AbCd123", None),
        ("https://www.tiktok.com/@Ageo_City/video/1", None, "https://www.tiktok.com/@ageo_city", "ageo_city"),
        ("https://vm.tiktok.com/ZSabc12/", None, "https://vm.tiktok.com/ZSabc12", None),
        ("https://www.tiktok.com/t/ZTabc12/", None, "https://www.tiktok.com/t/ZTabc12", None),
        ("http://WWW.City.Ageo.LG.JP/sns/?utm_source=x#a", None, "https://www.city.ageo.lg.jp/sns", None),
        ("https://example.jp/お知らせ/", None, "https://example.jp/%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B", None),
        ("https://example.jp:8443/a", None, "https://example.jp:8443/a", None),
    ],
)
def test_canonical_urls_and_handles(value: str, platform: Platform | None, canonical: str, handle: str | None) -> None:
    ref = parse_account(value, platform)
    assert (ref.canonical_url, ref.handle) == (canonical, handle)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("https://lin.ee/AbCd123", "line:url:lin.ee/AbCd123"),
        ("https://vm.tiktok.com/ZSabc12/", "tiktok:url:vm.tiktok.com/ZSabc12"),
        ("https://vt.tiktok.com/ZSabc12", "tiktok:url:vt.tiktok.com/ZSabc12"),
        ("https://www.tiktok.com/t/ZTabc12/", "tiktok:url:tiktok.com/t/ZTabc12"),
        ("https://www.City.Ageo.lg.jp/Page/SNS/?ref=top#x", "other:url:city.ageo.lg.jp/Page/SNS"),
        ("https://example.jp", "other:url:example.jp"),
        ("https://example.jp/%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B", "other:url:example.jp/お知らせ"),
        ("www.city.ageo.lg.jp", "other:url:city.ageo.lg.jp"),
    ],
)
def test_link_keys(value: str, key: str) -> None:
    assert parse_account(value).key == key


NOT_ACCOUNTS = [
    # X: its own pages, posts without a handle, impossible handles
    "https://x.com/home",
    "https://x.com/i/flow/login",
    "https://x.com/i/web/status/123",
    "https://x.com/i/user/abc",
    "https://x.com/search?q=%E4%B8%8A%E5%B0%BE",
    "https://x.com/hashtag/上尾",
    "https://twitter.com/intent/tweet?text=hi",
    "https://twitter.com/share?url=https://example.jp",
    "https://x.com/settings/profile",
    "https://x.com/explore",
    "https://x.com/notifications",
    "https://x.com/messages",
    "https://x.com/compose/post",
    "https://x.com/login",
    "https://x.com/signup",
    "https://x.com/tos",
    "https://x.com/privacy",
    "https://x.com/",
    "https://x.com/Ageo_City_123456",  # 16 characters
    "https://x.com/Ageo-City",
    "https://x.com/@Ageo_City",
    # Facebook: groups, events, videos, sharing, and id forms without an id
    "https://www.facebook.com/groups/123456789/",
    "https://www.facebook.com/groups/ageo.city",
    "https://www.facebook.com/events/123456/",
    "https://www.facebook.com/watch/?v=123456",
    "https://www.facebook.com/share/p/AbCdEf/",
    "https://www.facebook.com/sharer/sharer.php?u=https://example.jp",
    "https://www.facebook.com/sharer.php?u=https://example.jp",
    "https://www.facebook.com/login/",
    "https://www.facebook.com/help/123",
    "https://www.facebook.com/pages/Some-Name",
    "https://www.facebook.com/pages/category/Government-Organization/",
    "https://www.facebook.com/marketplace/",
    "https://www.facebook.com/gaming/",
    "https://www.facebook.com/stories/123456/",
    "https://www.facebook.com/reel/123456",
    "https://www.facebook.com/photo.php?fbid=123",
    "https://www.facebook.com/permalink.php?story_fbid=1&id=2",
    "https://www.facebook.com/profile.php",
    "https://www.facebook.com/profile.php?id=abc",
    "https://www.facebook.com/p/Some-Name/",
    "https://www.facebook.com/people/Some-Name/",
    "https://www.facebook.com/",
    "https://www.facebook.com/ageo_city",
    # Instagram: posts, reels, explore, settings
    "https://www.instagram.com/p/Cabc123XyZ/",
    "https://www.instagram.com/reel/Cabc123XyZ/?igshid=x",
    "https://www.instagram.com/reels/Cabc123XyZ/",
    "https://www.instagram.com/tv/Cabc123XyZ/",
    "https://www.instagram.com/explore/tags/ageo/",
    "https://www.instagram.com/accounts/login/",
    "https://www.instagram.com/stories/highlights/123/",
    "https://www.instagram.com/direct/inbox/",
    "https://www.instagram.com/",
    "https://www.instagram.com/abcdefghijklmnopqrstuvwxyz12345",  # 31 characters
    # YouTube: videos, lists, searches
    "https://youtu.be/dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ?si=abc",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    "https://www.youtube.com/live/dQw4w9WgXcQ",
    "https://www.youtube.com/embed/dQw4w9WgXcQ",
    "https://www.youtube.com/playlist?list=PL123",
    "https://www.youtube.com/results?search_query=ageo",
    "https://www.youtube.com/channel/UCtooshort",
    "https://www.youtube.com/channel/",
    "https://www.youtube.com/@ab",  # handles have at least 3 characters
    "https://www.youtube.com/AgeoCity",  # bare legacy vanity URLs are not read
    "https://www.youtube.com/",
    # LINE: personal QR codes, LINE's own pages, empty links
    "https://line.me/R/ti/p/~ageo_user",
    "https://line.me/R/ti/p/abc1234",
    "https://line.me/",
    "https://line.me/ja/",
    "https://lin.ee/",
    "https://lin.ee/AbCd/123",
    "https://liff.line.me/1234567890-AbCdEfGh",
    "line://msg/text/hello",
    # TikTok: videos without a handle, tags, discovery
    "https://www.tiktok.com/",
    "https://www.tiktok.com/tag/ageo",
    "https://www.tiktok.com/discover/ageo",
    "https://www.tiktok.com/music/song-123",
    "https://www.tiktok.com/explore",
    "https://www.tiktok.com/foryou",
    "https://www.tiktok.com/search?q=ageo",
    "https://m.tiktok.com/v/7234567890123456789.html",
    "https://www.tiktok.com/embed/v2/7234567890123456789",
    "https://vm.tiktok.com/",
    # Platform hosts that serve no accounts, and platform short links we cannot follow
    "https://help.x.com/ja",
    "https://t.co/AbCd123",
    "https://developers.facebook.com/docs",
    "https://fb.me/ageo.city",
    "https://fb.watch/AbCd/",
    "https://help.instagram.com/",
    "https://studio.youtube.com/channel/UC",
    "https://ads.tiktok.com/",
    # Not a URL of anything
    "",
    "   ",
    "javascript:alert(1)",
    "JavaScript://x.com/%0aalert(1)",
    "data:text/html,<b>hi</b>",
    "mailto:info@city.ageo.lg.jp",
    "tel:0487751111",
    "ftp://example.jp/a",
    "https://",
    "https:///Ageo_City",
    "https:x.com/Ageo_City",
    "http://localhost/a",
    "http://192.168.0.1/",
    "https://x.com@evil.example/Ageo_City",
    "https://user:pass@example.jp/",
    "https://例え.jp/a",  # internationalised hosts are out of scope
    "https://example.jp:99999/",
    "https://example.jp/%00",
    "https://example.jp/%ff",
    "https://example.jp/a b",
    "not a url",
]


@pytest.mark.parametrize("value", NOT_ACCOUNTS)
def test_non_account_urls_are_refused(value: str) -> None:
    with pytest.raises(UnrecognisedAccount) as raised:
        parse_account(value)
    assert str(raised.value)  # a reason the caller can show


def test_the_length_limit() -> None:
    at_limit = "https://example.jp/" + "a" * (2000 - len("https://example.jp/"))
    assert parse_account(at_limit).platform == "other"
    with pytest.raises(UnrecognisedAccount, match="2000"):
        parse_account(at_limit + "a")
    with pytest.raises(UnrecognisedAccount, match="2000"):
        parse_account("@" + "a" * 2000, "x")


@pytest.mark.parametrize(
    ("value", "platform"),
    [
        ("https://x.com/Ageo_City", "facebook"),
        ("https://www.facebook.com/mineshishakyo", "instagram"),
        ("https://www.instagram.com/mineshakyo", "x"),
        ("https://www.youtube.com/@AgeoCity", "tiktok"),
        ("https://www.tiktok.com/@ageo_city", "youtube"),
        ("https://lin.ee/AbCd123", "tiktok"),
        ("line://ti/p/@abc1234", "x"),
        ("www.facebook.com/mineshishakyo", "line"),
        ("https://www.city.ageo.lg.jp/", "x"),
        ("https://x.com/Ageo_City", "other"),
    ],
)
def test_a_url_of_another_platform_is_refused(value: str, platform: Platform) -> None:
    with pytest.raises(UnrecognisedAccount):
        parse_account(value, platform)


@pytest.mark.parametrize("value", ["@Ageo_City", "Ageo_City", "@abc1234", "abc1234", "＠abc1234", "@上尾市"])
def test_a_bare_handle_needs_a_platform(value: str) -> None:
    with pytest.raises(UnrecognisedAccount, match="platform"):
        parse_account(value)


@pytest.mark.parametrize(
    ("value", "platform"),
    [
        ("@", "x"),
        ("@Ageo City", "x"),
        ("Ageo_City_123456", "x"),
        ("home", "x"),
        ("@ageo-city", "x"),
        ("groups", "facebook"),
        ("...", "facebook"),
        ("mine-shakyo", "instagram"),
        ("...", "instagram"),
        ("@ab", "youtube"),
        ("@abc!", "line"),
        ("@ageo-city!", "tiktok"),
        ("ageo", "other"),
        ("anything", "mastodon"),  # a platform the register does not know
    ],
)
def test_invalid_bare_handles_are_refused(value: str, platform: Platform) -> None:
    with pytest.raises(UnrecognisedAccount):
        parse_account(value, platform)


def test_account_keys_of_parsed_refs() -> None:
    handle = parse_account("https://x.com/Ageo_City")
    by_id = parse_account("https://x.com/i/user/783214")
    assert account_keys(handle) == ("x:handle:ageo_city",)
    assert account_keys(by_id) == ("x:id:783214",)
    assert account_keys(parse_account("https://lin.ee/AbCd123")) == ("line:url:lin.ee/AbCd123",)


def test_account_keys_add_the_id_key_to_a_handle_whose_id_is_known() -> None:
    handle = parse_account("https://x.com/Ageo_City")
    by_id = parse_account("https://x.com/i/user/783214")
    learned = msgspec.structs.replace(handle, platform_user_id="783214")
    assert account_keys(learned) == ("x:handle:ageo_city", "x:id:783214")
    # A record stored under both keys is found from either spelling.
    assert handle.key in account_keys(learned)
    assert by_id.key in account_keys(learned)

    channel = AccountRef(
        "youtube", "youtube:handle:ageocity", "AgeoCity", CHANNEL_ID, "https://www.youtube.com/@AgeoCity"
    )
    assert account_keys(channel) == ("youtube:handle:ageocity", f"youtube:id:{CHANNEL_ID}")


def test_account_keys_do_not_repeat_an_id_key() -> None:
    ref = parse_account("https://www.facebook.com/profile.php?id=100064")
    assert ref.platform_user_id == "100064"
    assert account_keys(ref) == ("facebook:id:100064",)


def test_refs_are_frozen_values() -> None:
    ref = parse_account("https://x.com/Ageo_City")
    assert ref == AccountRef("x", "x:handle:ageo_city", "Ageo_City", None, "https://x.com/Ageo_City")
    assert hash(ref) == hash(parse_account("https://twitter.com/Ageo_City"))
    with pytest.raises(AttributeError):
        ref.key = "x:handle:other"  # type: ignore[misc]
    assert msgspec.json.decode(msgspec.json.encode(ref), type=AccountRef) == ref


def test_platforms() -> None:
    assert PLATFORMS == ("x", "facebook", "instagram", "youtube", "line", "tiktok", "other")


# ---- why a value is refused, in the caller's language ---------------------------------------------------

PLATFORM_NAMES_SHOWN = {"X", "Facebook", "Instagram", "YouTube", "LINE", "TikTok"}
# ASCII words a Japanese reason may hold besides platform names and what the caller wrote.
# (The platforms' own codes are listed where an unknown platform is refused.)
JAPANESE_MAY_QUOTE = {"URL", "ID", "UC", "https", "youtu", "be", *PLATFORMS}


def foreign_words(japanese: str, *quoted: str) -> set[str]:
    """The ASCII words in a Japanese text that are neither platform names nor quoted from `quoted`
    (in any case: a scheme or host is quoted lower-cased)."""
    allowed = {word.lower() for word in PLATFORM_NAMES_SHOWN | JAPANESE_MAY_QUOTE}
    for value in quoted:
        allowed |= set(re.findall(r"[a-z]+", value.lower()))
    return {word for word in re.findall(r"[A-Za-z]+", japanese) if word.lower() not in allowed}


def codes_raised_in_urls() -> set[str]:
    return set(re.findall(r'UnrecognisedAccount\(\s*"([a-z0-9-]+)"', inspect.getsource(urls)))


def test_every_refusal_has_a_reason_code_with_japanese_and_english_text() -> None:
    source = inspect.getsource(urls)
    # Every raise names a code as a literal (no English sentence, no f-string).
    calls = re.findall(r"UnrecognisedAccount\((.)", source)
    assert calls.count('"') == len(calls) - 1  # the one other is `class UnrecognisedAccount(ValueError)`
    codes = codes_raised_in_urls()
    assert len(codes) >= 25
    keys = {f"account.why.{code}" for code in codes} | {f"account.platform.{p}" for p in PLATFORMS}
    for key in sorted(keys):
        assert key in MESSAGES, key
        ja, en = MESSAGES[key]
        assert ja, key
        assert en, key
        assert en.isascii(), (key, en)
        fields = {name for _, name, _, _ in string.Formatter().parse(ja) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(en) if name}, key
        if key.startswith("account.why."):
            assert not foreign_words(ja.format(**dict.fromkeys(fields, ""))), (key, ja)
    # Nothing in the catalog is left over from a code no longer raised.
    catalog = {key.removeprefix("account.why.") for key in MESSAGES if key.startswith("account.why.")}
    assert catalog == codes


def test_a_refusal_carries_its_code_and_params_and_reads_as_english() -> None:
    with pytest.raises(UnrecognisedAccount) as raised:
        parse_account("https://x.com/Ageo_City", "facebook")
    refusal = raised.value
    assert refusal.code == "wrong-platform"
    assert refusal.message.key == "account.why.wrong-platform"
    assert refusal.message.render("ja") == "X の URL です。Facebook のアカウントの URL を入力してください。"
    assert str(refusal) == "This URL is on X, not Facebook: give the account's URL on Facebook."
    with pytest.raises(UnrecognisedAccount) as raised:
        with_user_id(parse_account("https://example.jp/ageo"), "no good")
    assert raised.value.message.render("ja").startswith("その他のサービス")
    assert "another platform" in str(raised.value)


@pytest.mark.parametrize("value", NOT_ACCOUNTS)
def test_every_refusal_speaks_both_languages(value: str) -> None:
    with pytest.raises(UnrecognisedAccount) as raised:
        parse_account(value)
    assert not foreign_words(raised.value.message.render("ja"), value)
    assert str(raised.value).isascii()


@pytest.fixture(scope="module")
async def agency(client: httpx.AsyncClient, platform_token: str) -> dict[str, Any]:
    return await create_tenant(client, bearer(platform_token))


REFUSALS = [
    ("https://x.com/home", {}, "/url"),
    ("https://x.com/Ageo_City", {"platform": "facebook"}, "/url"),
    ("https://x.com/Ageo_City", {"platform": "other"}, "/url"),
    ("https://www.city.ageo.lg.jp/", {"platform": "x"}, "/url"),
    ("kochi_koho", {}, "/url"),
    ("Ageo_City_123456", {"platform": "x"}, "/url"),
    ("@ab", {"platform": "youtube"}, "/url"),
    ("ageo", {"platform": "other"}, "/url"),
    ("https://youtu.be/dQw4w9WgXcQ", {}, "/url"),
    ("https://help.x.com/ja", {}, "/url"),
    ("javascript:alert(1)", {}, "/url"),
    ("https://example.jp/%ff", {}, "/url"),
    ("https://x.com/Ageo_City", {"platform_user_id": "not-a-number"}, "/platform_user_id"),
    ("https://www.city.ageo.lg.jp/", {"platform_user_id": "no good"}, "/platform_user_id"),
]


def english_reason(value: str, extra: dict[str, Any]) -> str:
    """What the English detail should say: `str()` of the refusal (the catalog's English)."""
    with pytest.raises(UnrecognisedAccount) as raised:
        ref = parse_account(value, extra.get("platform"))
        if "platform_user_id" in extra:
            with_user_id(ref, extra["platform_user_id"])
    return f"Not recognisable as an account URL or handle: {raised.value}"


@pytest.mark.parametrize(("value", "extra", "pointer"), REFUSALS)
async def test_registering_says_why_in_the_callers_language(
    client: httpx.AsyncClient,
    platform: dict[str, str],
    agency: dict[str, Any],
    value: str,
    extra: dict[str, Any],
    pointer: str,
) -> None:
    body = {"unit_id": str(uuid.uuid4()), "url": value, "display_name": "広報", "operating_body": "direct", **extra}
    details = {}
    for lang in ("ja", "en"):
        response = await client.post(
            f"/v1/tenants/{agency['id']}/accounts", json=body, headers={**platform, "Accept-Language": lang}
        )
        problem = assert_problem(response, 422, "validation-error")
        [error] = problem["errors"]
        assert (error["pointer"], error["code"]) == (pointer, "unrecognised_account")
        details[lang] = error["detail"]
    assert details["ja"].startswith("公式アカウントの URL またはハンドルとして認識できません：")
    assert not foreign_words(details["ja"], value, *extra.values()), details["ja"]
    assert details["en"].isascii(), details["en"]
    assert details["en"] == english_reason(value, extra)


@pytest.mark.parametrize(
    "params",
    [
        {"url": "https://x.com/home"},
        {"url": "https://x.com/Ageo_City", "platform": "instagram"},
        {"url": "https://x.com/Ageo_City", "platform": "other"},
        {"url": "kochi_koho"},
        {"url": "https://youtu.be/dQw4w9WgXcQ"},
        {"handle": "Ageo_City_123456", "platform": "x"},
        {"handle": "ageo", "platform": "other"},
    ],
)
async def test_verifying_says_why_in_the_callers_language(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    details = {}
    for lang in ("ja", "en"):
        response = await client.get("/v1/public/verify", params=params, headers={"Accept-Language": lang})
        [error] = assert_problem(response, 422, "validation-error")["errors"]
        assert (error["parameter"], error["code"]) == ("url" if "url" in params else "handle", "unrecognised_account")
        details[lang] = error["detail"]
    assert not foreign_words(details["ja"], *params.values()), details["ja"]
    assert details["en"].isascii(), details["en"]
    with pytest.raises(UnrecognisedAccount) as raised:
        parse_account(params.get("url") or params["handle"], params.get("platform"))  # type: ignore[arg-type]
    assert details["en"] == f"Not recognisable as an account URL or handle: {raised.value}"
