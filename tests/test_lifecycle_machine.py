"""Random lifecycles: hypothesis drives sequences of the operations an agency and the workers carry
out on accounts over time, through the API and the workers, and checks after every step what must
never break.

The agency runs on 小山高専's rules with a 30-day announcement period added (points 30, 7 and 1 day
before the end) and two steps someone must confirm, so one tenant exercises renewals and closures
both. Operations: open an account (on one of three platform handles, so re-opening a closed handle
and claiming a live one both happen), declare continue or discontinue, apply for a closure (approved
at once), record an announcement, confirm a step, withdraw, close at once, record a contractor
agreement (with its contractor user and login ID), renew it, let its contractor look, move the
clock (sweep and workers), redeliver a deadline already carried out.

Invariants: one live record per platform account; no closed account in the register as official;
no deadline pending for a closed account, a withdrawn closure, or a completed one (its purge
aside); a withdrawn closure never completes; a closure completes once (one event); an agreement
past its end is ended, with nothing left pending and no contractor login ID still active; a
contractor sees only their agreement's accounts and only while it is in force; and no request ever
answers 5xx.

The machine runs on a thread of its own and sends each call to the test's event loop, where the
app, the client and the workers live.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import os
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import text

from service.accounts.models import LIVE
from service.kit.db import set_tenant
from service.kit.queue import enqueue
from tests.support import (
    START,
    Agency,
    Time,
    agency_from_preset,
    bearer,
    compliant_account,
    login,
    long_lived_admin,
    open_account,
    record,
    settle,
    staff,
    x_handle,
)

ANNOUNCED_CLOSURE = {
    "required": True,
    "period_days": 30,
    "points_days_before": [30, 7, 1],
    "basis": ["テスト"],
}
EXTRA_STEPS = [{"step": "announce_stop", "basis": ["テスト"]}, {"step": "delete_account", "basis": ["テスト"]}]
CLOSURE_STEPS = ("closure_application", "announce_stop", "delete_account")
# What a refused operation may answer: the state does not allow it, or the input does not fit it.
REFUSED = {403, 404, 409, 422}
DONE = {200, 201}
T = TypeVar("T")
JST = dt.timezone(dt.timedelta(hours=9))


async def announcing_agency(client: httpx.AsyncClient, platform: dict[str, str], db: Any, clock: Any) -> Agency:
    agency = await agency_from_preset(client, platform, "oyama-kosen")
    document = copy.deepcopy(agency.config)
    document["closure"]["announcement"] = ANNOUNCED_CLOSURE
    document["closure"]["steps"] = document["closure"]["steps"] + EXTRA_STEPS
    response = await record(client, platform, agency.id, document)
    assert response.status_code == 201, response.text
    agency.config = document
    # The general administrator acts through a token that outlives the years the machine moves across.
    await long_lived_admin(agency, db, clock)
    return agency


async def test_random_lifecycles_keep_the_invariants(
    client: httpx.AsyncClient, platform: dict[str, str], app: Any, worker: Any, db: Any, clock: Any
) -> None:
    loop = asyncio.get_running_loop()

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clock.set(START)
            self.agency = run(announcing_agency(client, platform, db, clock))
            self.headers = self.agency.admin.headers
            self.time = Time(app, worker)
            self.handles = [x_handle() for _ in range(3)]
            self.accounts: list[str] = []
            self.withdrawn: set[str] = set()
            self.contractors: dict[str, tuple[str, str]] = {}  # agreement -> (login ID, password)

        # ---- helpers (on the loop) ---------------------------------------------------------------

        def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = run(client.request(method, self.agency.url(path), headers=self.headers, **kwargs))
            assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text}"
            return response

        def closures(self) -> list[dict[str, Any]]:
            return self.call("GET", "/closures?limit=200").json()["items"]  # type: ignore[no-any-return]

        def query(self, sql: str, **params: Any) -> list[Any]:
            async def go() -> list[Any]:
                async with db.unit_of_work() as session:
                    await set_tenant(session, uuid.UUID(self.agency.id))
                    return list((await session.execute(text(sql), {"tenant": self.agency.id, **params})).all())

            return run(go())

        def approve_closure(self, application: dict[str, Any]) -> None:
            if application["state"] == "submitted":
                response = self.call("POST", f"/applications/{application['id']}/approve")
                assert response.status_code in DONE | REFUSED, response.text

        # ---- operations ----------------------------------------------------------------------------

        @rule(handle=st.integers(0, 2))
        def open(self, handle: int) -> None:
            url = f"https://x.com/{self.handles[handle]}"
            live = self.query(
                "SELECT id FROM accounts WHERE tenant_id = :tenant AND canonical_url = :url AND status <> 'closed'",
                url=url,
            )
            if live:
                # The handle is held by a live record: a second one is refused, whoever asks.
                body = compliant_account(self.agency, self.agency.unit(), url)
                assert self.call("POST", "/accounts", json=body).status_code == 409
                return
            self.accounts.append(run(open_account(client, self.agency, url=url))["id"])

        @precondition(lambda self: self.accounts)
        @rule(pick=st.integers(0, 99), continues=st.booleans())
        def declare(self, pick: int, continues: bool) -> None:
            account = self.accounts[pick % len(self.accounts)]
            listed = self.call("GET", f"/continuation-declarations?account_id={account}&limit=200").json()["items"]
            open_ones = [d for d in listed if d["state"] in ("pending", "overdue")]
            if not open_ones:
                return
            response = self.call(
                "POST",
                f"/continuation-declarations/{open_ones[0]['id']}/declare",
                json={"decision": "continue" if continues else "discontinue"},
            )
            assert response.status_code in DONE | REFUSED, response.text
            if response.status_code == 200 and not continues and response.json().get("application_id"):
                self.approve_closure(self.call("GET", f"/applications/{response.json()['application_id']}").json())

        @precondition(lambda self: self.accounts)
        @rule(pick=st.integers(0, 99))
        def apply_for_closure(self, pick: int) -> None:
            account = self.accounts[pick % len(self.accounts)]
            body = {"kind": "closure", "account_id": account, "applicant_title": "主任", "purpose": "廃止",
                    "closure_reason": "事業の終了"}  # fmt: skip
            created = self.call("POST", "/applications", json=body)
            if created.status_code != 201:
                assert created.status_code in REFUSED, created.text
                return
            submitted = self.call("POST", f"/applications/{created.json()['id']}/submit")
            assert submitted.status_code in DONE | REFUSED, submitted.text
            if submitted.status_code == 200:
                self.approve_closure(submitted.json())

        @rule(pick=st.integers(0, 99), days=st.sampled_from([30, 7, 1]))
        def announce(self, pick: int, days: int) -> None:
            closures = self.closures()
            if closures:
                closure = closures[pick % len(closures)]
                body = {"channel": "account", "days_before": days, "url": "https://x.com/a/status/1"}
                response = self.call("POST", f"/closures/{closure['id']}/announcements", json=body)
                assert response.status_code in DONE | REFUSED, response.text

        @rule(pick=st.integers(0, 99), step=st.sampled_from(CLOSURE_STEPS))
        def confirm(self, pick: int, step: str) -> None:
            closures = self.closures()
            if closures:
                closure = closures[pick % len(closures)]
                response = self.call("POST", f"/closures/{closure['id']}/steps/{step}/confirm")
                assert response.status_code in DONE | REFUSED, response.text

        @rule(pick=st.integers(0, 99))
        def withdraw(self, pick: int) -> None:
            closures = self.closures()
            if closures:
                closure = closures[pick % len(closures)]
                response = self.call("POST", f"/closures/{closure['id']}/withdraw", json={"reason": "継続が決まった"})
                assert response.status_code in DONE | REFUSED, response.text
                if response.status_code == 200:
                    self.withdrawn.add(closure["id"])

        @precondition(lambda self: self.accounts)
        @rule(pick=st.integers(0, 99))
        def close_now(self, pick: int) -> None:
            account = self.accounts[pick % len(self.accounts)]
            response = self.call("POST", f"/accounts/{account}/close-now", json={"reason": "乗っ取りの疑い"})
            assert response.status_code in DONE | REFUSED, response.text

        @rule(days=st.integers(1, 120), hours=st.integers(0, 23))
        def move_time(self, days: int, hours: int) -> None:
            moment = clock.now() + dt.timedelta(days=days, hours=hours)
            run(self.time.to(moment.isoformat()))

        @rule()
        def until_something_is_due(self) -> None:
            [(due,)] = self.query("SELECT min(due_at) FROM deadlines WHERE tenant_id = :tenant AND state = 'pending'")
            if due is not None:
                run(self.time.to((max(due, clock.now()) + dt.timedelta(minutes=1)).isoformat()))

        @precondition(lambda self: self.accounts)
        @rule(pick=st.integers(0, 99), days=st.integers(0, 90))
        def make_agreement(self, pick: int, days: int) -> None:
            """An agreement from today for `days`, its contractor user and one contractor login ID."""
            account = self.accounts[pick % len(self.accounts)]
            today = clock.now().astimezone(JST).date()
            body = {"unit_id": self.agency.unit()["id"], "contractor_name": "委託先", "kind": "outsourcing",
                    "reference": x_handle(), "starts_on": today.isoformat(),
                    "ends_on": (today + dt.timedelta(days=days)).isoformat(), "account_ids": [account], "clauses": {}}  # fmt: skip
            response = self.call("POST", "/agreements", json=body)
            assert response.status_code in DONE | REFUSED, response.text
            if response.status_code != 201:
                return
            agreement = response.json()["id"]
            login_id = self.call("POST", f"/agreements/{agreement}/login-ids",
                                 json={"account_id": account, "login_id": x_handle(), "holder": "contractor"})  # fmt: skip
            assert login_id.status_code == 201, login_id.text
            person = run(staff(client, self.headers, self.agency.id, ["contractor"], agreement_id=agreement))
            self.contractors[agreement] = (person.user["login_id"], person.password)

        @precondition(lambda self: self.contractors)
        @rule(pick=st.integers(0, 99), days=st.integers(1, 60))
        def renew_agreement(self, pick: int, days: int) -> None:
            agreement = sorted(self.contractors)[pick % len(self.contractors)]
            current = self.call("GET", f"/agreements/{agreement}").json()
            ends_on = dt.date.fromisoformat(current["ends_on"]) + dt.timedelta(days=days)
            response = self.call("POST", f"/agreements/{agreement}/renew", json={"ends_on": ends_on.isoformat()})
            assert response.status_code in DONE | REFUSED, response.text
            assert (response.status_code == 200) == (current["state"] == "active"), response.text

        @precondition(lambda self: self.contractors)
        @rule(pick=st.integers(0, 99))
        def contractor_looks(self, pick: int) -> None:
            """A contractor sees the accounts of their agreement, and only while it is in force."""
            agreement = sorted(self.contractors)[pick % len(self.contractors)]
            login_id, password = self.contractors[agreement]
            tokens = run(login(client, login_id, password))
            seen = run(client.get(self.agency.url("/accounts"), headers=bearer(tokens["access_token"])))
            current = self.call("GET", f"/agreements/{agreement}").json()
            if current["in_force"]:
                assert seen.status_code == 200, seen.text
                assert {a["id"] for a in seen.json()["items"]} <= set(current["account_ids"])
            else:
                assert seen.status_code == 403, seen.text

        @rule(pick=st.integers(0, 999))
        def redeliver(self, pick: int) -> None:
            done = self.query("SELECT id FROM deadlines WHERE tenant_id = :tenant AND state = 'done' ORDER BY id")
            if not done:
                return
            deadline_id = str(done[pick % len(done)][0])

            async def again() -> None:
                async with db.unit_of_work() as session:
                    await set_tenant(session, uuid.UUID(self.agency.id))
                    await enqueue(session, "run_deadlines", tenant_id=uuid.UUID(self.agency.id), now=clock.now(),
                                  deadline_ids=[deadline_id])  # fmt: skip
                await settle(app, worker)

            run(again())

        # ---- what must always hold -----------------------------------------------------------------

        @invariant()
        def one_live_record_per_platform_account(self) -> None:
            doubled = self.query(
                "SELECT account_key FROM accounts WHERE status = ANY(:live) GROUP BY account_key HAVING count(*) > 1",
                live=sorted(LIVE),
            )
            assert doubled == []

        @invariant()
        def no_closed_account_is_official(self) -> None:
            # A closed record's platform account shows as official only if a live record holds it again.
            published = self.query(
                """
                SELECT a.canonical_url FROM accounts a
                  JOIN published_accounts p ON p.account_key = a.account_key AND p.status <> 'closed'
                 WHERE a.tenant_id = :tenant AND a.status = 'closed'
                   AND NOT EXISTS (SELECT 1 FROM accounts b WHERE b.account_key = a.account_key
                                      AND b.status = ANY(:live))
                """,
                live=sorted(LIVE),
            )
            assert published == []

        @invariant()
        def nothing_pending_for_what_is_over(self) -> None:
            left = self.query(
                """
                SELECT d.kind, d.subject_kind, d.subject_id FROM deadlines d
                  LEFT JOIN accounts a ON d.subject_kind = 'account' AND a.id::text = d.subject_id
                  LEFT JOIN closures c ON d.subject_kind = 'closure' AND c.id::text = d.subject_id
                 WHERE d.tenant_id = :tenant AND d.state IN ('pending', 'queued')
                   AND (a.status = 'closed' OR c.state = 'withdrawn'
                        OR (c.state = 'completed' AND d.kind <> 'closure.purge'))
                """
            )
            assert left == []

        @invariant()
        def withdrawn_stays_withdrawn_and_completion_happens_once(self) -> None:
            states = dict(self.query("SELECT id::text, state FROM closures WHERE tenant_id = :tenant"))
            assert all(states[c] == "withdrawn" for c in self.withdrawn)
            completed = self.query(
                "SELECT subject_id, count(*) FROM events WHERE tenant_id = :tenant AND type = 'closure.completed' "
                "GROUP BY subject_id"
            )
            assert all(n == 1 for _, n in completed), completed
            assert {s for s, _ in completed} == {c for c, state in states.items() if state == "completed"}

        @invariant()
        def an_agreement_past_its_end_is_ended_and_leaves_nothing_behind(self) -> None:
            overdue = self.query(
                "SELECT a.id FROM agreements a JOIN tenants t ON t.id = a.tenant_id WHERE a.tenant_id = :tenant "
                "AND a.state = 'active' AND (a.ends_on + 1)::timestamp AT TIME ZONE t.time_zone <= :now",
                now=clock.now(),
            )
            assert overdue == []
            left = self.query(
                "SELECT d.kind FROM agreements a JOIN deadlines d ON d.subject_kind = 'agreement' "
                "AND d.subject_id = a.id::text AND d.state IN ('pending', 'queued') "
                "WHERE a.tenant_id = :tenant AND a.state = 'ended'"
            )
            assert left == []
            usable = self.query(
                "SELECT l.login_id FROM login_ids l JOIN agreements a ON a.id = l.agreement_id "
                "WHERE a.tenant_id = :tenant AND a.state = 'ended' AND l.holder = 'contractor' AND l.state = 'active'"
            )
            assert usable == []

        def teardown(self) -> None:
            # What the run reached, for `pytest --hypothesis-show-statistics`.
            for (state,) in self.query("SELECT DISTINCT state FROM closures WHERE tenant_id = :tenant"):
                event(f"a closure reached {state}")
            if self.query(
                "SELECT 1 FROM continuation_declarations WHERE tenant_id = :tenant AND overdue_at IS NOT NULL"
            ):
                event("a declaration went overdue")
            for (state,) in self.query("SELECT DISTINCT state FROM agreements WHERE tenant_id = :tenant"):
                event(f"an agreement reached {state}")
            # The register itself (one request per run: it is rate limited per address).
            register = run(client.get(f"/v1/public/tenants/{self.agency.slug}/register")).json()
            live = {url for (url,) in self.query(
                "SELECT canonical_url FROM accounts WHERE tenant_id = :tenant AND status IN ('active', 'suspended', 'closing')"
            )}  # fmt: skip
            assert {a["url"] for a in register["accounts"]} == live, register
            # What this run left scheduled is not the next run's business.
            self.query(
                "UPDATE deadlines SET state = 'cancelled' WHERE tenant_id = :tenant AND state = 'pending' RETURNING id"
            )
            run(settle(app, worker))

    await asyncio.to_thread(
        run_state_machine_as_test,
        Lifecycle,
        settings=settings(
            max_examples=int(os.environ.get("LIFECYCLE_EXAMPLES", "12")),  # more to search harder
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
