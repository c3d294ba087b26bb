"""Concurrent closure actions: one lock order per account, so no deadlock, no 500, no torn state.

A closure belongs to its account: withdrawing it, confirming a step, recording an announcement,
closing the account at once and the closure's deadlines all lock the account first, then the
closure. 200 accounts of 愛媛県 announce their closure, and for each a withdrawal and an immediate
closure are sent at the same moment through the API; every pair must end with one consistent
story (withdrawn then closed at once, or closed at once with the planned closure superseded), and
no answer may be a 5xx. Then two deadline batches touching the same accounts in opposite orders
run side by side, held at the point where the old order deadlocked: both must complete.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from service.app import create_app
from service.config import Settings
from service.kit.clock import FrozenClock
from service.kit.db import Database
from tests.support import Agency, DatabaseUnderTest, agency_from_preset, apply, get, open_account, serving
from tests.support.figures import report

PAIRS = 200


@pytest.fixture
async def racing_client(settings: Settings, clock: FrozenClock, worker: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the suite's database with a pool wide enough for the pairs to really overlap."""
    db = Database(settings.require_database_url(), pool_size=24, read_pool_size=2, name="koshiki-races")
    app = create_app(settings, db=db, clock=clock)
    async with serving(app) as client:
        yield client
    await db.dispose()


async def announcing(client: httpx.AsyncClient, agency: Agency, gate: asyncio.Semaphore) -> tuple[str, str]:
    """An account opened, and its closure applied for: announcing, 30 days."""
    async with gate:
        account = await open_account(client, agency)
        await apply(client, agency, account["id"], kind="closure", closure_reason="事業の終了")
        [closure] = (await get(client, agency, f"/closures?account_id={account['id']}", agency.admin.headers))["items"]
        assert closure["state"] == "announcing"
        return account["id"], closure["id"]


async def test_withdrawal_and_immediate_closure_at_once_never_deadlock(
    racing_client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    client = racing_client
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    gate = asyncio.Semaphore(8)
    pairs = await asyncio.gather(*(announcing(client, ehime, gate) for _ in range(PAIRS)))
    headers = ehime.admin.headers

    async def race(account_id: str, closure_id: str) -> tuple[httpx.Response, httpx.Response]:
        withdraw, close_now = await asyncio.gather(
            client.post(ehime.url(f"/closures/{closure_id}/withdraw"), json={"reason": "継続"}, headers=headers),
            client.post(ehime.url(f"/accounts/{account_id}/close-now"), json={"reason": "乗っ取り"}, headers=headers),
        )
        return withdraw, close_now

    answers = await asyncio.gather(*(race(a, c) for a, c in pairs))

    statuses: collections.Counter[str] = collections.Counter()
    stories: collections.Counter[str] = collections.Counter()
    torn = []
    for (account_id, closure_id), (withdraw, close_now) in zip(pairs, answers, strict=True):
        statuses[f"withdraw {withdraw.status_code}"] += 1
        statuses[f"close-now {close_now.status_code}"] += 1
        for response in (withdraw, close_now):
            if response.status_code == 409:
                statuses[f"409 {response.json().get('reason')}"] += 1
        account = await get(client, ehime, f"/accounts/{account_id}", headers)
        closures = (await get(client, ehime, f"/closures?account_id={account_id}", headers))["items"]
        planned = next(c for c in closures if c["id"] == closure_id)
        immediate = [c for c in closures if c["kind"] == "immediate"]
        story = f"{account['status']}: planned {planned['state']}, immediate {[c['state'] for c in immediate]}"
        stories[story] += 1
        consistent = (
            account["closing_on"] is None
            and not any(c["state"] in {"announcing", "awaiting_steps"} for c in closures)
            and (
                # closed at once: the immediate closure completed; the planned one withdrawn
                # (the withdrawal came first) or superseded (the immediate closure did)
                (
                    account["status"] == "closed"
                    and [c["state"] for c in immediate] == ["completed"]
                    and planned["state"] == ("withdrawn" if withdraw.status_code == 200 else "superseded")
                )
                # or still active: withdrawn, and not closed at once
                or (account["status"] == "active" and planned["state"] == "withdrawn" and not immediate)
            )
        )
        if not consistent:
            torn.append((account_id, story, withdraw.status_code, close_now.status_code))

    server_errors = sum(n for key, n in statuses.items() if key.split()[-1].startswith("5"))
    report(
        "concurrent withdraw / close-now pairs",
        pairs=PAIRS,
        server_5xx=server_errors,
        answers=dict(sorted(statuses.items())),
        outcomes=dict(stories),
        inconsistent=len(torn),
    )
    bad = [
        (w.status_code, w.text[:200], c.status_code, c.text[:200])
        for w, c in answers
        if max(w.status_code, c.status_code) >= 500
    ]
    assert bad == [], bad[:3]
    assert torn == [], torn[:5]
    assert {w.status_code for w, _ in answers} <= {200, 409}
    assert {c.status_code for _, c in answers} <= {201, 409}


# ---- the deadline worker ---------------------------------------------------------------------------------


async def test_two_deadline_batches_touching_the_same_accounts_in_opposite_orders_do_not_deadlock(
    client: httpx.AsyncClient,
    platform: dict[str, str],
    test_database: DatabaseUnderTest,
    worker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dramatiq.asyncio import get_event_loop_thread

    from service.deadlines import service as deadlines
    from service.deadlines.tasks import run_deadlines

    ehime = await agency_from_preset(client, platform, "ehime-pref")
    gate = asyncio.Semaphore(2)
    (_, closure_a), (_, closure_b) = await asyncio.gather(
        announcing(client, ehime, gate), announcing(client, ehime, gate)
    )
    listed = (await get(client, ehime, "/deadlines?state=pending&limit=200", platform))["items"]

    def due(closure_id: str, days: int) -> str:
        return next(
            d["id"]
            for d in listed
            if d["subject_id"] == closure_id
            and d["kind"] == "closure.announcement"
            and d["payload"].get("days_before") == days
        )

    # Two messages of the same tenant, each with a deadline of each account, in opposite orders.
    first = [due(closure_a, 7), due(closure_b, 7)]
    second = [due(closure_b, 1), due(closure_a, 1)]
    owner = make_url(test_database.admin_url).set(database=test_database.name, drivername="postgresql")
    conn = await asyncpg.connect(owner.render_as_string(hide_password=False))
    try:
        await conn.execute(
            "UPDATE deadlines SET state = 'queued', queued_at = now() WHERE id = ANY($1::uuid[])", [*first, *second]
        )
    finally:
        await conn.close()

    # Each batch, once it has run its first deadline (and holds what that locked), waits for the
    # other to have run its first: where the old order made them wait for each other for good.
    batch_of = {uuid.UUID(i): n for n, ids in enumerate((first, second)) for i in ids}
    ran_first = {0: asyncio.Event(), 1: asyncio.Event()}
    original = deadlines.run_one

    async def run_one_then_wait(session: Any, deadline_id: uuid.UUID, *args: Any, **kwargs: Any) -> None:
        await original(session, deadline_id, *args, **kwargs)
        batch = batch_of[deadline_id]
        if not ran_first[batch].is_set():
            ran_first[batch].set()
            # Timing out: the other batch waits for this one's locks, so there is nothing to wait for.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ran_first[1 - batch].wait(), timeout=3)

    monkeypatch.setattr(deadlines, "run_one", run_one_then_wait)
    loop_thread = get_event_loop_thread()
    assert loop_thread is not None
    outcomes = await asyncio.gather(
        asyncio.to_thread(loop_thread.run_coroutine, run_deadlines(first, tenant_id=ehime.id)),
        asyncio.to_thread(loop_thread.run_coroutine, run_deadlines(second, tenant_id=ehime.id)),
        return_exceptions=True,
    )
    after = {d["id"]: d for d in (await get(client, ehime, "/deadlines?limit=200", platform))["items"]}
    states = [after[i]["state"] for i in (*first, *second)]
    errors = [after[i].get("last_error") for i in (*first, *second) if after[i].get("last_error")]
    report(
        "two deadline batches, same accounts, opposite orders",
        failed_batches=sum(isinstance(o, BaseException) for o in outcomes),
        states=states,
        errors=errors,
    )
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert states == ["done"] * 4
    assert errors == []
