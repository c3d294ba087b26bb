"""Posts through the workflow, for tests that need one published (monitoring, closures, audit…)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.registers import Agency


def attest_all(agency: Agency) -> dict[str, Any]:
    """The attestation a checker gives: none of the tenant's prohibited categories is in the post."""
    return {"attest": list(agency.config["posting"]["prohibited_content"]["categories"])}


def plain_post(agency: Agency, account_id: str, **content: Any) -> dict[str, Any]:
    """A post that breaks none of the agency's rules (give `planned_at` within its hours)."""
    body: dict[str, Any] = {"account_id": account_id, "text": "今週末の催しのお知らせです。"}
    allowed = agency.config["posting"]["allowed_content"]
    if allowed["restricted"]:
        body["category"] = "events" if "events" in allowed["categories"] else allowed["categories"][0]
    return {**body, **content}


async def published_post(
    client: httpx.AsyncClient,
    agency: Agency,
    account_id: str,
    *,
    author: dict[str, str],
    approver: dict[str, str],
    published_at: str | None = None,
    **content: Any,
) -> dict[str, Any]:
    """Draft, submit, check (by the approver where more checkers are needed), approve where the rules
    ask, publish: the whole way. `author` and `approver` are two different callers' headers."""
    created = await client.post(agency.url("/posts"), json=plain_post(agency, account_id, **content), headers=author)
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    submitted = await client.post(agency.url(f"/posts/{post_id}/submit"), json=attest_all(agency), headers=author)
    assert submitted.status_code == 200, submitted.text
    post = submitted.json()
    if post["awaiting"] in {"check", "agency_check"}:
        checked = await client.post(agency.url(f"/posts/{post_id}/checks"), json=attest_all(agency), headers=approver)
        assert checked.status_code == 200, checked.text
        post = checked.json()
    if post["awaiting"] == "approval":
        approved = await client.post(agency.url(f"/posts/{post_id}/approve"), json={}, headers=approver)
        assert approved.status_code == 200, approved.text
        post = approved.json()
    assert post["awaiting"] == "publication", post
    body: dict[str, Any] = {"url": f"https://x.com/i/status/{post_id[-12:]}"}
    if published_at is not None:
        body["published_at"] = published_at
    published = await client.post(agency.url(f"/posts/{post_id}/publish"), json=body, headers=author)
    assert published.status_code == 200, published.text
    result: dict[str, Any] = published.json()
    return result
