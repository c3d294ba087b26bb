"""The public register and verification: what anyone may see without logging in, and nothing more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from litestar import Litestar

from service.kit.ratelimit import RateLimiter
from tests.support import (
    Agency,
    agency_from_preset,
    apply,
    assert_problem,
    bearer,
    compliant_account,
    create_account,
    open_account,
    x_handle,
)

TODAY = dt.date(2026, 4, 1)


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, platform_token: str) -> dict[str, Any]:
    """Oyama with an account in every public state but closing; Ehime with a closing one."""
    platform = bearer(platform_token)
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    handles = {name: x_handle() for name in ("active", "suspended", "closed", "closing", "draft", "fake", "pending")}
    active = await open_account(
        client, oyama, f"https://x.com/{handles['active']}", display_name="<script>alert(1)</script>広報"
    )
    suspended = await open_account(client, oyama, f"https://www.youtube.com/@{handles['suspended']}")
    await client.post(
        oyama.url(f"/accounts/{suspended['id']}/suspend"), json={"reason": "乗っ取り"}, headers=oyama.admin.headers
    )
    closed = await open_account(client, oyama, f"https://www.facebook.com/{handles['closed']}")
    closure = await apply(client, oyama, closed["id"], kind="closure", closure_reason="統合")
    approved = await client.post(oyama.url(f"/applications/{closure['id']}/approve"), headers=oyama.admin.headers)
    assert approved.status_code == 200, approved.text
    await create_account(client, oyama, compliant_account(oyama, oyama.unit(), f"https://x.com/{handles['draft']}"))
    pending = await create_account(
        client, oyama, compliant_account(oyama, oyama.unit(), f"https://x.com/{handles['pending']}")
    )
    await apply(client, oyama, pending["id"])
    warning = await client.post(
        oyama.url("/impersonation-warnings"),
        json={
            "url": f"https://x.com/{handles['fake']}",
            "note_ja": "学校名をかたる偽アカウント",
            "note_en": "Poses as the college",
        },
        headers=oyama.admin.headers,
    )
    assert warning.status_code == 201, warning.text

    closing = await open_account(client, ehime, f"https://www.instagram.com/{handles['closing']}/")
    report = await apply(client, ehime, closing["id"], kind="closure", closure_reason="事業終了")
    assert report["state"] == "approved"
    return {"oyama": oyama, "ehime": ehime, "handles": handles, "active": active, "platform": platform}


async def register(client: httpx.AsyncClient, agency: Agency) -> dict[str, Any]:
    response = await client.get(f"/v1/public/tenants/{agency.slug}/register")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_register_lists_official_closed_and_fake_accounts(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    oyama, h = world["oyama"], world["handles"]
    body = await register(client, oyama)
    assert body["agency"]["slug"] == oyama.slug
    assert body["agency"]["name_ja"] == "小山工業高等専門学校"
    assert body["agency"]["register_page_url"].endswith(f"/v1/public/tenants/{oyama.slug}/register.html")
    listed = {a["handle"]: a for a in body["accounts"]}
    assert set(listed) == {h["active"], h["suspended"]}
    assert listed[h["active"]]["status"] == "official"
    assert listed[h["active"]]["opened_on"] == TODAY.isoformat()
    assert [a["status"] for a in body["accounts"] if a["platform"] == "youtube"] == ["suspended"]
    assert [(a["platform"], a["status"], a["closed_on"]) for a in body["closed"]] == [
        ("facebook", "formerly_official", TODAY.isoformat())
    ]
    assert [(w["url"], w["note_ja"]) for w in body["warnings"]] == [
        (f"https://x.com/{h['fake']}", "学校名をかたる偽アカウント")
    ]
    # Published facts only: no ids, people, mailboxes or staff notes.
    assert set(body["accounts"][0]) == {
        "platform", "display_name", "url", "handle", "unit_ja", "unit_en", "purpose", "status",
        "opened_on", "closing_on", "closed_on", "account_policy_url",
    }  # fmt: skip
    assert h["draft"] not in str(body)
    assert h["pending"] not in str(body)
    assert "@example.jp" not in str(body)

    closing = (await register(client, world["ehime"]))["accounts"]
    assert [(a["status"], a["closing_on"]) for a in closing] == [
        ("closing", (TODAY + dt.timedelta(days=30)).isoformat())
    ]


async def test_the_register_page_is_accessible_japanese_html(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    oyama = world["oyama"]
    response = await client.get(f"/v1/public/tenants/{oyama.slug}/register.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="ja">' in page
    assert "<title>小山工業高等専門学校 公式ソーシャルメディアアカウント一覧</title>" in page
    assert '<th scope="col">' in page
    assert '旧公式アカウント（<time datetime="2026-04-01">2026年4月1日</time>に運用終了）' in page
    assert "なりすましアカウントにご注意ください" in page
    assert "一時停止中" in page
    # Names are text, never markup.
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;広報" in page
    # A closed account's page is not linked: its handle may be someone else's now.
    closed_url = f"https://www.facebook.com/{world['handles']['closed']}"
    assert closed_url in page
    assert f'href="{closed_url}"' not in page
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    embedded = await client.get(f"/v1/public/tenants/{oyama.slug}/register.html?embed=true")
    assert "<h1>" not in embedded.text
    assert "旧公式アカウント" in embedded.text

    closing = (await client.get(f"/v1/public/tenants/{world['ehime'].slug}/register.html")).text
    assert '<time datetime="2026-05-01">2026年5月1日</time>に運用終了予定' in closing


async def test_an_unknown_agency_is_a_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/public/tenants/no-such-agency/register"), 404, "not-found")
    assert_problem(await client.get("/v1/public/tenants/no-such-agency/register.html"), 404, "not-found")


async def verdict(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/v1/public/verify", params=params)
    assert response.status_code == 200, (params, response.text)
    result: dict[str, Any] = response.json()
    return result


def forms(platform: str, handle: str) -> list[dict[str, str]]:
    """The spellings a citizen might paste for one account."""
    upper = handle.upper()
    by_platform = {
        "x": [
            f"https://x.com/{handle}", f"http://twitter.com/{upper}", f"https://mobile.twitter.com/{handle}?s=20&t=abc",
            f"x.com/{handle}/", f"https://www.twitter.com/{handle}/status/1234567890?ref_src=twsrc",
            f"https://twitter.com/#!/{handle}",
        ],
        "facebook": [
            f"https://www.facebook.com/{handle}", f"https://m.facebook.com/{handle}/?ref=bookmarks",
            f"fb.com/{handle}", f"https://ja-jp.facebook.com/{upper}/",
        ],
        "instagram": [
            f"https://www.instagram.com/{handle}/", f"instagram.com/{upper}?igshid=abc123",
            f"https://www.instagram.com/{handle}/reels/",
        ],
        "youtube": [f"https://www.youtube.com/@{handle}", f"https://m.youtube.com/@{handle}/videos?si=x"],
    }  # fmt: skip
    urls = [{"url": u} for u in by_platform[platform]]
    return [*urls, {"platform": platform, "handle": handle}, {"platform": platform, "handle": f"@{handle}"}]


@pytest.mark.parametrize(
    ("state", "platform", "expected"),
    [
        ("active", "x", "official"),
        ("suspended", "youtube", "suspended"),
        ("closing", "instagram", "closing"),
        ("closed", "facebook", "formerly_official"),
        ("draft", "x", "unknown"),
        ("pending", "x", "unknown"),
        ("never", "x", "unknown"),
    ],
)
async def test_verification_under_every_url_form(
    client: httpx.AsyncClient, world: dict[str, Any], state: str, platform: str, expected: str
) -> None:
    handle = world["handles"].get(state, "nobody_here_1")
    for params in forms(platform, handle):
        answer = await verdict(client, **params)
        assert answer["verdict"] == expected, (params, answer)
        if expected == "unknown":
            assert answer["agency"] is None
            assert answer["account"] is None
            continue
        owner = world["ehime"] if state == "closing" else world["oyama"]
        assert answer["agency"]["slug"] == owner.slug
        assert answer["agency"]["register_url"].endswith(f"/v1/public/tenants/{owner.slug}/register")
        assert answer["query"]["platform"] == platform


async def test_verification_says_when_and_warns_of_fakes(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    h = world["handles"]
    closed = await verdict(client, url=f"https://www.facebook.com/{h['closed']}")
    assert closed["account"]["closed_on"] == TODAY.isoformat()
    assert "2026年4月1日" in closed["message_ja"]
    assert "1 April 2026" in closed["message_en"]
    closing = await verdict(client, url=f"https://www.instagram.com/{h['closing']}")
    assert closing["account"]["closing_on"] == "2026-05-01"
    assert "愛媛県" in closing["message_ja"]
    fake = await verdict(client, url=f"https://twitter.com/{h['fake']}?s=21")
    assert fake["verdict"] == "unknown"
    [notice] = fake["impersonation_warnings"]
    assert notice["agency"]["slug"] == world["oyama"].slug
    assert notice["note_en"] == "Poses as the college"
    official = await verdict(client, url=f"https://x.com/{h['active']}")
    assert set(official["account"]) == {"platform", "display_name", "url", "closing_on", "closed_on"}


async def test_a_handle_taken_over_after_closure_answers_for_its_new_holder(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    h = world["handles"]
    # Oyama's closed Facebook page name now belongs to another agency's live account.
    newcomer = await agency_from_preset(client, world["platform"], "mine-shakyo")
    await open_account(client, newcomer, f"https://www.facebook.com/{h['closed']}")
    answer = await verdict(client, url=f"https://www.facebook.com/{h['closed']}")
    assert (answer["verdict"], answer["agency"]["slug"]) == ("official", newcomer.slug)


async def test_answers_are_cacheable(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    for path in (
        f"/v1/public/verify?url=https://x.com/{world['handles']['active']}",
        f"/v1/public/tenants/{world['oyama'].slug}/register",
        f"/v1/public/tenants/{world['oyama'].slug}/register.html",
    ):
        first = await client.get(path)
        assert first.headers["cache-control"] == "public, max-age=60"
        etag = first.headers["etag"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        stale = await client.get(path, headers={"If-None-Match": '"something-else"'})
        assert stale.status_code == 200
        assert stale.content == first.content


async def test_the_answer_changes_when_the_register_does(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    oyama = world["oyama"]
    account = await open_account(client, oyama)
    path = f"/v1/public/verify?url={account['canonical_url']}"
    before = await client.get(path)
    await client.post(
        oyama.url(f"/accounts/{account['id']}/suspend"), json={"reason": "x"}, headers=oyama.admin.headers
    )
    after = await client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["verdict"] == "suspended"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "url"),
        ("?handle=someone", "url"),
        ("?url=https://x.com/home", "url"),
        ("?url=https://evil.example/", None),
        ("?platform=x&handle=has%20space", "handle"),
        ("?platform=myspace&handle=a", "platform"),
    ],
)
async def test_questions_it_cannot_answer_are_422(client: httpx.AsyncClient, query: str, parameter: str | None) -> None:
    response = await client.get(f"/v1/public/verify{query}")
    if parameter is None:  # a page on no known platform is a fine question: nobody holds it
        assert response.json()["verdict"] == "unknown"
        return
    problem = assert_problem(response, 422, "validation-error")
    assert [e["parameter"] for e in problem["errors"]] == [parameter]


async def test_lookups_are_rate_limited_per_address(client: httpx.AsyncClient, app: Litestar) -> None:
    kept = app.state.public_limiter
    app.state.public_limiter = RateLimiter(3)
    try:
        answers = [await client.get("/v1/public/verify?platform=x&handle=someone") for _ in range(4)]
    finally:
        app.state.public_limiter = kept
    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    problem = assert_problem(answers[3], 429, "too-many-requests")
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    assert "秒後" in problem["detail"]


def test_the_limiter_counts_per_window() -> None:
    now = [120.0]
    limiter = RateLimiter(2, now=lambda: now[0])
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, None]
    assert limiter.hit("a") == 60
    now[0] = 150.5
    assert limiter.hit("a") == 30
    now[0] = 180.0  # a new window
    assert limiter.hit("a") is None


async def test_a_connection_lost_under_a_hot_read_is_unavailable_and_replaced(
    settings: Any, test_database: Any
) -> None:
    """The hot reads use the driver directly, so their pool must drop a connection the server
    killed, and the caller must see 'database unavailable' (503), not a crash."""
    import asyncio

    import asyncpg

    from service.kit.db import Database

    own = Database(settings.require_database_url(), pool_size=1, read_pool_size=1, name="koshiki-lost-connection")
    try:
        [(pid,)] = await own.fetch("SELECT pg_backend_pid()")
        slow = asyncio.create_task(own.fetch("SELECT pg_sleep(5)"))
        await asyncio.sleep(0.3)
        admin = await asyncpg.connect(test_database.admin_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        with pytest.raises(ConnectionError):
            await slow
        [(one,)] = await own.fetch("SELECT 1")
        assert one == 1
    finally:
        await own.dispose()
