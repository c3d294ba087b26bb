"""Issue 14: a post goes each preset's way through the API and the workers, its rules visibly applied.

美祢市社協: Sunday 02:00 refused unless an emergency with a reason, then reported and listed for review.
上尾市保育課: a reply refused, a ministry's repost allowed on the 課長's decision, the division told after.
愛媛県: a bit.ly link refused, a range post published after two checkers and listed in the head's
periodic review, a contractor's post held for the agency's check.
小山高専: two checkers before posting, no approval.
北海道教育委員会: a shortener warned, not refused; the closure step "delete the posts" checked against them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from litestar import Litestar

from service.kit.clock import FrozenClock
from tests.support import (
    Agency,
    Staff,
    agency_from_preset,
    apply,
    assert_problem,
    events,
    get,
    login,
    open_account,
    staff,
)
from tests.support.api import bearer
from tests.support.posts import attest_all, plain_post, published_post

JST = dt.timezone(dt.timedelta(hours=9))


async def again(client: httpx.AsyncClient, person: Staff) -> dict[str, str]:
    """Fresh headers for someone after the clock moved (access tokens last minutes)."""
    return bearer((await login(client, person.user["login_id"], person.password))["access_token"])


async def team(client: httpx.AsyncClient, platform: dict[str, str], agency: Agency) -> dict[str, Staff]:
    unit = agency.unit()
    return {
        "head": await staff(client, platform, agency.id, ["unit_head"], unit_id=unit["id"]),
        "operator": await staff(client, platform, agency.id, ["operator"], unit_id=unit["id"]),
        "colleague": await staff(client, platform, agency.id, ["operator"], unit_id=unit["id"]),
    }


async def run_by(client: httpx.AsyncClient, agency: Agency, people: dict[str, Staff]) -> dict[str, Any]:
    """An active account of the agency's last unit, operated by the team's two operators."""
    operators = [people["operator"].user["id"], people["colleague"].user["id"]]
    return await open_account(client, agency, operator_ids=operators)


async def draft(
    client: httpx.AsyncClient, agency: Agency, headers: dict[str, str], account_id: str, **content: Any
) -> dict[str, Any]:
    response = await client.post(agency.url("/posts"), json=plain_post(agency, account_id, **content), headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def act(
    client: httpx.AsyncClient, agency: Agency, post: dict[str, Any], action: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    return await client.post(agency.url(f"/posts/{post['id']}/{action}"), json=body, headers=headers)


def codes(post: dict[str, Any], severity: str | None = None) -> list[str]:
    return [f["code"] for f in post["findings"] if severity is None or f["severity"] == severity]


async def test_mine_shakyo_sunday_2am_only_as_an_emergency_then_reported(
    client: httpx.AsyncClient, platform: dict[str, str], clock: FrozenClock
) -> None:
    mine = await agency_from_preset(client, platform, "mine-shakyo")
    people = await team(client, platform, mine)
    account = await run_by(client, mine, people)
    sunday_2am = dt.datetime(2026, 4, 5, 2, 0, tzinfo=JST)
    clock.set(sunday_2am)
    operator, head = await again(client, people["operator"]), await again(client, people["head"])

    night = await draft(client, mine, operator, account["id"])
    [hours] = [f for f in night["findings"] if f["code"] == "outside_hours"]
    assert (hours["severity"], hours["rule"], hours["basis"]) == ("blocking", "/posting/hours", ["3(1)ウ"])
    refused = await act(client, mine, night, "submit", operator, attest_all(mine))
    problem = assert_problem(refused, 422, "post-rules-broken")
    assert [f["rule"] for f in problem["findings"]] == ["/posting/hours"]
    assert (await get(client, mine, f"/posts/{night['id']}", operator))["state"] == "draft"  # nothing changed

    no_reason = await draft(client, mine, operator, account["id"], emergency=True)
    assert "emergency_reason_missing" in codes(no_reason, "blocking")

    emergency = await draft(
        client, mine, operator, account["id"], emergency=True, emergency_reason="大雨で避難所を開設"
    )
    assert codes(emergency, "blocking") == []
    assert "emergency_out_of_hours" in codes(emergency, "warning")
    submitted = await act(client, mine, emergency, "submit", operator, attest_all(mine))
    assert submitted.json()["awaiting"] == "approval", submitted.text
    own = await act(client, mine, emergency, "approve", operator, {})
    assert own.status_code == 403
    approved = await act(client, mine, emergency, "approve", head, {})
    assert approved.json()["awaiting"] == "publication", approved.text
    published = await act(client, mine, emergency, "publish", operator, {"url": "https://www.facebook.com/x/posts/1"})
    assert (published.json()["state"], published.json()["awaiting"]) == ("published", "review"), published.text

    reported = [
        e
        for e in await events(client, mine, platform, "post.emergency_published")
        if e["subject_id"] == emergency["id"]
    ]
    assert [e["data"]["reason"] for e in reported] == ["大雨で避難所を開設"]
    queue = await get(client, mine, "/posts?needs=review", head)
    assert [p["id"] for p in queue["items"]] == [emergency["id"]]


async def test_ageo_reply_refused_ministry_repost_by_the_kacho_and_the_division_told(
    client: httpx.AsyncClient, platform: dict[str, str], app: Litestar, worker: Any
) -> None:
    ageo = await agency_from_preset(client, platform, "ageo-hoikuka")
    people = await team(client, platform, ageo)
    account = await run_by(client, ageo, people)
    operator, head = people["operator"].headers, people["head"].headers

    reply = await draft(
        client, ageo, operator, account["id"], interaction="reply", source={"account": "https://x.com/someone"}
    )
    [rule] = [f for f in reply["findings"] if f["severity"] == "blocking"]
    assert (rule["rule"], rule["basis"]) == ("/interaction/replies", ["5(1)カ"])
    assert_problem(await act(client, ageo, reply, "submit", operator, attest_all(ageo)), 422, "post-rules-broken")

    uncategorised = await draft(client, ageo, operator, account["id"], category=None)
    assert "category_missing" in codes(uncategorised, "blocking")

    repost = await draft(
        client, ageo, operator, account["id"], interaction="repost", text="",
        source={"account": "https://x.com/MHLWitter", "kind": "government_agency", "name": "厚生労働省"},
    )  # fmt: skip
    assert codes(repost, "blocking") == []
    assert "repost_exception" in codes(repost, "warning")
    assert repost["approver_roles"] == ["unit_head"]
    await act(client, ageo, repost, "submit", operator, attest_all(ageo))
    approved = await act(client, ageo, repost, "approve", head, {"note": "厚労省の周知に協力"})
    assert approved.json()["awaiting"] == "publication", approved.text
    published = await act(client, ageo, repost, "publish", operator, {"url": "https://x.com/i/status/1"})
    assert published.status_code == 200, published.text

    from tests.support import settle

    await settle(app, worker)
    [told] = [e for e in await events(client, ageo, platform, "post.published") if e["subject_id"] == repost["id"]]
    assert told["data"]["reported"] is True
    mail = (await get(client, ageo, "/mail?limit=200", platform))["items"]
    assert people["head"].user["email"] in [m["to_address"] for m in mail if "投稿の報告" in m["subject"]]


async def test_ehime_shortener_refused_range_post_two_checkers_then_the_heads_review(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    operator, colleague, head = (people[k].headers for k in ("operator", "colleague", "head"))

    short = await draft(client, ehime, operator, account["id"], text="詳しくは https://bit.ly/3abcDEF をご覧ください。")
    [link] = [f for f in short["findings"] if f["code"] == "url_shortener"]
    assert (link["severity"], link["rule"], link["basis"]) == (
        "blocking",
        "/posting/url_shorteners",
        ["第2の5(3)オ(イ)"],
    )
    assert short["content"]["text"][link["start"] : link["end"]] == "https://bit.ly/3abcDEF"

    ranged = await draft(client, ehime, operator, account["id"], in_range=True)
    assert (ranged["in_range"], ranged["checkers_required"], ranged["approver_roles"]) == (True, 2, [])
    after_author = (await act(client, ehime, ranged, "submit", operator, attest_all(ehime))).json()
    assert after_author["awaiting"] == "check"
    twice = await act(client, ehime, ranged, "checks", operator, attest_all(ehime))
    assert assert_problem(twice, 409, "conflict")["reason"] == "post-already-checked"
    partial = await act(client, ehime, ranged, "checks", colleague, {"attest": ["privacy"]})
    assert {e["pointer"] for e in assert_problem(partial, 422, "validation-error")["errors"]} == {"/attest"}
    checked = (await act(client, ehime, ranged, "checks", colleague, attest_all(ehime))).json()
    assert (checked["state"], checked["awaiting"]) == ("approved", "publication")  # no head needed
    published = (await act(client, ehime, ranged, "publish", operator, {"url": "https://x.com/i/status/2"})).json()
    assert published["awaiting"] == "review"

    assert [p["id"] for p in (await get(client, ehime, "/posts?needs=review", head))["items"]] == [ranged["id"]]
    refused = await client.post(ehime.url("/post-reviews"), json={"unit_id": ehime.unit()["id"]}, headers=operator)
    assert refused.status_code == 403
    reviewed = await client.post(
        ehime.url("/post-reviews"), json={"unit_id": ehime.unit()["id"], "note": "問題なし"}, headers=head
    )
    assert reviewed.status_code == 201, reviewed.text
    assert reviewed.json()["post_count"] == 1
    assert (await get(client, ehime, "/posts?needs=review", head))["items"] == []
    assert (await get(client, ehime, f"/posts/{ranged['id']}", head))["review_id"] == reviewed.json()["id"]


async def test_ehime_a_contractors_post_waits_for_the_agencys_check(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    agreement = await client.post(
        ehime.url("/agreements"),
        json={
            "unit_id": ehime.unit()["id"], "contractor_name": "株式会社えひめ広告", "kind": "outsourcing",
            "reference": f"R-{uuid.uuid4().hex[:6]}", "starts_on": "2026-04-01", "ends_on": "2027-03-31",
            "account_ids": [account["id"]], "clauses": {},
        },
        headers=ehime.admin.headers,
    )  # fmt: skip
    assert agreement.status_code == 201, agreement.text
    vendor = await staff(client, platform, ehime.id, ["contractor"], agreement_id=agreement.json()["id"])

    post = await draft(client, ehime, vendor.headers, account["id"])
    assert post["by_contractor"] is True
    waiting = (await act(client, ehime, post, "submit", vendor.headers, attest_all(ehime))).json()
    assert waiting["awaiting"] == "agency_check"
    assert_problem(await act(client, ehime, post, "approve", people["head"].headers, {}), 409, "conflict")
    checked = (await act(client, ehime, post, "checks", people["operator"].headers, attest_all(ehime))).json()
    assert checked["awaiting"] == "approval"
    approved = (await act(client, ehime, post, "approve", people["head"].headers, {})).json()
    assert approved["awaiting"] == "publication"


async def test_oyama_two_checkers_and_no_approval(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    oyama = await agency_from_preset(client, platform, "oyama-kosen")
    people = await team(client, platform, oyama)
    account = await run_by(client, oyama, people)
    post = await draft(client, oyama, people["operator"].headers, account["id"])
    assert (post["checkers_required"], post["approver_roles"]) == (2, [])
    alone = (await act(client, oyama, post, "submit", people["operator"].headers, attest_all(oyama))).json()
    assert (alone["state"], alone["awaiting"]) == ("submitted", "check")
    early = await act(client, oyama, post, "publish", people["operator"].headers, {})
    assert assert_problem(early, 409, "conflict")["reason"] == "post-state"
    second = (await act(client, oyama, post, "checks", people["colleague"].headers, attest_all(oyama))).json()
    assert (second["state"], second["awaiting"]) == ("approved", "publication")


async def test_hokkaido_shortener_warned_and_the_deletion_step_checked_against_the_posts(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    hokkaido = await agency_from_preset(client, platform, "hokkaido-boe")
    people = await team(client, platform, hokkaido)
    account = await run_by(client, hokkaido, people)
    warned = await draft(
        client, hokkaido, people["operator"].headers, account["id"], text="申込は https://bit.ly/3xyz から"
    )
    assert [f["severity"] for f in warned["findings"] if f["code"] == "url_shortener"] == ["warning"]

    post = await published_post(
        client, hokkaido, account["id"], author=people["operator"].headers, approver=people["head"].headers
    )
    await apply(client, hokkaido, account["id"], kind="closure", closure_reason="役目を終えたため")
    [running] = (await get(client, hokkaido, f"/closures?account_id={account['id']}", platform))["items"]
    step = hokkaido.url(f"/closures/{running['id']}/steps/delete_posts_and_comments/confirm")
    blocked = await client.post(step, headers=hokkaido.admin.headers)
    problem = assert_problem(blocked, 409, "conflict")
    assert (problem["reason"], problem["post_ids"]) == ("posts-not-deleted", [post["id"]])
    deleted = await act(client, hokkaido, post, "deletion", people["operator"].headers, {})
    assert deleted.json()["deleted_at"] is not None, deleted.text
    confirmed = await client.post(step, headers=hokkaido.admin.headers)
    assert confirmed.status_code in {200, 204}, confirmed.text


async def test_an_edit_voids_checks_and_approvals_and_etags_guard_it(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    operator, head = people["operator"].headers, people["head"].headers
    post = await draft(client, ehime, operator, account["id"])
    await act(client, ehime, post, "submit", operator, attest_all(ehime))
    approved = await act(client, ehime, post, "approve", head, {})
    assert approved.json()["state"] == "approved"
    url = ehime.url(f"/posts/{post['id']}")
    body = {"text": "日時を訂正しました。"}
    assert_problem(await client.patch(url, json=body, headers=operator), 428, "precondition-required")
    assert_problem(
        await client.patch(url, json=body, headers={**operator, "If-Match": '"1"'}), 412, "precondition-failed"
    )
    edited = await client.patch(url, json=body, headers={**operator, "If-Match": approved.headers["etag"]})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["state"], edited.json()["awaiting"]) == ("draft", None)
    assert [s["current"] for s in edited.json()["signoffs"]] == [False, False]
    publish = await act(client, ehime, post, "publish", operator, {})
    assert assert_problem(publish, 409, "conflict")["reason"] == "post-state"


async def test_a_publication_in_the_future_is_refused_and_last_post_at_reads_published_posts(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    operator, head = people["operator"].headers, people["head"].headers
    post = await draft(client, ehime, operator, account["id"])
    assert (await get(client, ehime, f"/accounts/{account['id']}", operator))[
        "last_post_at"
    ] is None  # drafts don't count
    await act(client, ehime, post, "submit", operator, attest_all(ehime))
    await act(client, ehime, post, "approve", head, {})
    future = await act(client, ehime, post, "publish", operator, {"published_at": "2026-04-02T10:00:00+09:00"})
    assert [e["pointer"] for e in assert_problem(future, 422, "validation-error")["errors"]] == ["/published_at"]
    done = await act(client, ehime, post, "publish", operator, {"published_at": "2026-04-01T09:00:00+09:00"})
    assert done.status_code == 200, done.text
    assert (await get(client, ehime, f"/accounts/{account['id']}", operator))["last_post_at"] == "2026-04-01T00:00:00Z"


async def test_the_check_endpoint_stores_nothing_and_other_tenants_see_nothing(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    checked = await client.post(
        ehime.url("/post-checks"),
        json={"account_id": account["id"], "text": "https://bit.ly/x 090-1234-5678"},
        headers={**people["operator"].headers, "Accept-Language": "en"},
    )
    assert checked.status_code == 200, checked.text
    assert {"url_shortener", "mobile_phone_number"} <= {f["code"] for f in checked.json()["findings"]}
    assert all(f["message"].isascii() for f in checked.json()["findings"])
    assert (await get(client, ehime, "/posts", platform))["items"] == []

    post = await draft(client, ehime, people["operator"].headers, account["id"])
    other = await agency_from_preset(client, platform, "oyama-kosen")
    assert_problem(await client.get(ehime.url(f"/posts/{post['id']}"), headers=other.admin.headers), 404, "not-found")
    assert_problem(await client.get(other.url(f"/posts/{post['id']}"), headers=other.admin.headers), 404, "not-found")
    auditor = await staff(client, platform, ehime.id, ["auditor"])
    assert (await get(client, ehime, f"/posts/{post['id']}", auditor.headers))["id"] == post["id"]
    refused = await client.post(ehime.url("/posts"), json=plain_post(ehime, account["id"]), headers=auditor.headers)
    assert_problem(refused, 403, "forbidden")


async def test_an_unpublished_approved_post_is_reminded_and_range_posts_fall_due_for_review(
    client: httpx.AsyncClient, platform: dict[str, str], time: Any
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    operator, colleague, head = (people[k].headers for k in ("operator", "colleague", "head"))
    late = await draft(client, ehime, operator, account["id"], planned_at="2026-04-01T10:00:00+09:00")
    await act(client, ehime, late, "submit", operator, attest_all(ehime))
    await act(client, ehime, late, "approve", head, {})
    ranged = await draft(client, ehime, operator, account["id"], in_range=True)
    await act(client, ehime, ranged, "submit", operator, attest_all(ehime))
    await act(client, ehime, ranged, "checks", colleague, attest_all(ehime))
    published = await act(client, ehime, ranged, "publish", operator, {})
    assert published.json()["awaiting"] == "review", published.text

    await time.to("2026-04-01T02:30:00+00:00")  # 11:30 in Tokyo: within the two hours' grace
    assert [e for e in await events(client, ehime, platform, "post.publication_overdue")] == []
    await time.to("2026-04-01T03:00:01+00:00")
    [overdue] = await events(client, ehime, platform, "post.publication_overdue")
    assert overdue["subject_id"] == late["id"]
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    told = {m["to_address"] for m in mail if "まだ公開されていません" in m["subject"]}
    assert told == {people["operator"].user["email"], people["head"].user["email"]}

    await time.to("2026-05-01T01:00:00+00:00")  # a month after the range post
    [due] = await events(client, ehime, platform, "post.review_due")
    assert (due["subject_id"], due["data"]["count"]) == (ehime.unit()["id"], 1)
    mail = (await get(client, ehime, "/mail?limit=200", platform))["items"]
    assert people["head"].user["email"] in {m["to_address"] for m in mail if "定期確認" in m["subject"]}


async def test_the_check_endpoint_answers_for_the_minute_it_is_asked(
    client: httpx.AsyncClient, platform: dict[str, str], clock: FrozenClock
) -> None:
    """The same body checked at 17:15 and at 17:16 in Tokyo: in hours, then not (愛媛県 8:30–17:15)."""
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    body = {"account_id": account["id"], "text": "本日のお知らせです。"}
    answers = []
    for moment in ("2026-04-01T17:15:00+09:00", "2026-04-01T17:16:00+09:00", "2026-04-01T17:15:30+09:00"):
        clock.set(dt.datetime.fromisoformat(moment))
        headers = await again(client, people["operator"])
        checked = await client.post(ehime.url("/post-checks"), json=body, headers=headers)
        assert checked.status_code == 200, checked.text
        answers.append([f["code"] for f in checked.json()["findings"] if f["severity"] == "blocking"])
    assert answers == [[], ["outside_hours"], []]


async def test_a_rejection_sends_it_back_and_a_correction_is_a_post_of_its_own(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    """Rejection carries a reason and an edit makes the post a draft again; a published post is
    corrected by a new post naming it (上尾市 4(3)ウ), which, once published, the original points to."""
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    people = await team(client, platform, ehime)
    account = await run_by(client, ehime, people)
    operator, head = people["operator"].headers, people["head"].headers
    post = await draft(client, ehime, operator, account["id"])
    await act(client, ehime, post, "submit", operator, attest_all(ehime))
    assert_problem(await act(client, ehime, post, "reject", head, {}), 422, "validation-error")
    rejected = await act(client, ehime, post, "reject", head, {"reason": "日付が誤っています"})
    assert (rejected.json()["state"], rejected.json()["reason"]) == ("rejected", "日付が誤っています")
    early = await client.post(ehime.url(f"/posts/{post['id']}/corrections"), json=plain_post(ehime, account["id"]),
                              headers=operator)  # fmt: skip
    assert assert_problem(early, 409, "conflict")["reason"] == "post-state"
    edited = await client.patch(ehime.url(f"/posts/{post['id']}"), json={"text": "4月2日のお知らせです。"},
                                headers={**operator, "If-Match": rejected.headers["etag"]})  # fmt: skip
    assert edited.json()["state"] == "draft", edited.text
    await act(client, ehime, post, "submit", operator, attest_all(ehime))
    await act(client, ehime, post, "approve", head, {})
    await act(client, ehime, post, "publish", operator, {})

    other = await open_account(client, ehime, operator_ids=[people["operator"].user["id"]])
    elsewhere = await client.post(ehime.url(f"/posts/{post['id']}/corrections"), json=plain_post(ehime, other["id"]),
                                  headers=operator)  # fmt: skip
    assert [e["pointer"] for e in assert_problem(elsewhere, 422, "validation-error")["errors"]] == ["/account_id"]
    made = await client.post(
        ehime.url(f"/posts/{post['id']}/corrections"),
        json=plain_post(ehime, account["id"], text="訂正：4月2日のお知らせです。"),
        headers=operator,
    )
    assert made.status_code == 201, made.text
    correction = made.json()
    assert (correction["state"], correction["corrects_id"]) == ("draft", post["id"])
    await act(client, ehime, correction, "submit", operator, attest_all(ehime))
    await act(client, ehime, correction, "approve", head, {})
    await act(client, ehime, correction, "publish", operator, {})
    assert (await get(client, ehime, f"/posts/{post['id']}", operator))["corrected_by_id"] == correction["id"]
