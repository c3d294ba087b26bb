"""Events, mail and webhooks through the backbone; the continuation deadline across a fiscal year end."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from service.events.service import emit
from service.kit.db import set_tenant
from service.kit.queue import runtime
from service.scheduler import Scheduler
from tests.support import assert_problem, create_tenant, record, settle, staff

pytestmark = pytest.mark.backbone


class Receiver:
    """A webhook receiver on a free local port: records each request, answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


async def emit_event(app: Any, tenant_id: str, event_type: str = "deadline.due", **data: Any) -> uuid.UUID:
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant_id))
        event = await emit(
            session,
            tenant_id=uuid.UUID(tenant_id),
            type=event_type,
            subject_kind="tenant",
            subject_id=tenant_id,
            data={"deadline_kind": "continuation_declaration", "due_on": "2027-03-31", "days_before": 7, **data},
            now=app.state.clock.now(),
        )
        return event.id


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = [p.split("=", 1) for p in headers["Koshiki-Signature"].split(",")]
    timestamp = next(v for k, v in parts if k == "t")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


async def test_a_webhook_gets_signed_deliveries_of_its_event_types(
    app: Any,
    worker: Any,
    client: httpx.AsyncClient,
    platform: dict[str, str],
    tenant: dict[str, Any],
    receiver: Receiver,
) -> None:
    admin = await staff(client, platform, tenant["id"], ["general_administrator"])
    created = await client.post(
        f"/v1/tenants/{tenant['id']}/webhooks",
        json={"url": receiver.url, "event_types": ["deadline.due"]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert secret not in (await client.get(f"/v1/tenants/{tenant['id']}/webhooks", headers=admin.headers)).text
    event_id = await emit_event(app, tenant["id"])
    await emit_event(app, tenant["id"], "contract.ended")  # not subscribed
    await settle(app, worker)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = json.loads(request["body"])
    assert payload["id"] == str(event_id)
    assert payload["type"] == "deadline.due"
    assert request["headers"]["Koshiki-Event-Type"] == "deadline.due"
    assert verify(secret, request["headers"], request["body"])
    assert not verify("whsec_wrong", request["headers"], request["body"])
    deliveries = (
        await client.get(
            f"/v1/tenants/{tenant['id']}/webhooks/{created.json()['webhook']['id']}/deliveries", headers=admin.headers
        )
    ).json()["items"]
    assert deliveries[0]["state"] == "succeeded"
    assert deliveries[0]["last_status"] == 200
    assert deliveries[0]["last_duration_ms"] is not None


async def test_a_failing_endpoint_is_retried_then_dead_then_replayed(
    app: Any,
    worker: Any,
    client: httpx.AsyncClient,
    platform: dict[str, str],
    tenant: dict[str, Any],
    receiver: Receiver,
) -> None:
    receiver.status = 503
    hook = (
        await client.post(
            f"/v1/tenants/{tenant['id']}/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=platform
        )
    ).json()["webhook"]
    await emit_event(app, tenant["id"])
    await settle(app, worker)
    assert len(receiver.requests) == 9  # the first try and 8 retries, with backoff
    delivery = (
        await client.get(f"/v1/tenants/{tenant['id']}/webhooks/{hook['id']}/deliveries", headers=platform)
    ).json()["items"][0]
    assert delivery["state"] == "dead"
    assert delivery["attempts"] == 9
    assert delivery["last_status"] == 503
    receiver.status = 200
    replay = await client.post(
        f"/v1/tenants/{tenant['id']}/webhook-deliveries/{delivery['id']}/replay", headers=platform
    )
    assert replay.status_code == 202
    await settle(app, worker)
    assert receiver.requests[-1]["headers"]["Koshiki-Event-Id"] == delivery["event_id"]
    latest = (
        await client.get(f"/v1/tenants/{tenant['id']}/webhooks/{hook['id']}/deliveries", headers=platform)
    ).json()["items"][0]
    assert latest["replay_of"] == delivery["id"]
    assert latest["state"] == "succeeded"


async def test_rotation_signs_with_both_secrets_for_a_while(
    app: Any,
    worker: Any,
    client: httpx.AsyncClient,
    platform: dict[str, str],
    tenant: dict[str, Any],
    receiver: Receiver,
) -> None:
    created = (
        await client.post(
            f"/v1/tenants/{tenant['id']}/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=platform
        )
    ).json()
    old = created["secret"]
    rotated = await client.post(
        f"/v1/tenants/{tenant['id']}/webhooks/{created['webhook']['id']}/rotate-secret", headers=platform
    )
    new = rotated.json()["secret"]
    await emit_event(app, tenant["id"])
    await settle(app, worker)
    request = receiver.requests[-1]
    assert verify(new, request["headers"], request["body"])
    assert verify(old, request["headers"], request["body"])
    app.state.clock.advance(dt.timedelta(hours=25))
    await emit_event(app, tenant["id"])
    await settle(app, worker)
    request = receiver.requests[-1]
    assert verify(new, request["headers"], request["body"])
    assert not verify(old, request["headers"], request["body"])


async def test_private_addresses_are_refused_where_configured(
    app: Any,
    worker: Any,
    client: httpx.AsyncClient,
    platform: dict[str, str],
    tenant: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = (
        await client.post(
            f"/v1/tenants/{tenant['id']}/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=platform
        )
    ).json()["webhook"]
    rt = runtime()
    settings = rt.settings
    rt.settings = replace(settings, webhook_allow_private=False)
    try:
        await emit_event(app, tenant["id"])
        await settle(app, worker)
    finally:
        rt.settings = settings
    assert receiver.requests == []
    delivery = (
        await client.get(f"/v1/tenants/{tenant['id']}/webhooks/{hook['id']}/deliveries", headers=platform)
    ).json()["items"][0]
    assert "private" in delivery["last_error"]


async def test_webhook_input_is_checked(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    bad = await client.post(
        f"/v1/tenants/{tenant['id']}/webhooks", json={"url": "ftp://x", "event_types": ["nope.nope"]}, headers=platform
    )
    problem = assert_problem(bad, 422, "validation-error")
    assert {e["pointer"] for e in problem["errors"]} == {"/url"}
    unknown_type = await client.post(
        f"/v1/tenants/{tenant['id']}/webhooks",
        json={"url": "https://x.example.jp/", "event_types": ["nope.nope"]},
        headers=platform,
    )
    assert assert_problem(unknown_type, 422, "validation-error")["errors"][0]["pointer"] == "/event_types/0"


async def test_mail_goes_to_administrators_in_their_language(
    app: Any, worker: Any, client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    ja = await staff(client, platform, tenant["id"], ["general_administrator"])
    en = await staff(client, platform, tenant["id"], ["general_administrator"], locale="en")
    await staff(client, platform, tenant["id"], ["operator"])
    await emit_event(app, tenant["id"], days_before=30)
    await settle(app, worker)
    mail = (await client.get(f"/v1/tenants/{tenant['id']}/mail", headers=ja.headers)).json()["items"]
    by_address = {m["to_address"]: m for m in mail}
    assert set(by_address) == {ja.user["email"], en.user["email"]}
    assert by_address[ja.user["email"]]["state"] == "kept"  # no SMTP server: kept in the mailbox
    assert "継続希望の申し出" in by_address[ja.user["email"]]["subject"]
    assert "あと30日" in by_address[ja.user["email"]]["body"]
    assert "continuation declaration" in by_address[en.user["email"]]["subject"]
    assert "in 30 days" in by_address[en.user["email"]]["body"]


async def test_mail_over_smtp(
    app: Any, worker: Any, client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    from aiosmtpd.controller import Controller

    from service.kit.embedded_pg import free_port

    received: list[Any] = []

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    port = free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    rt = runtime()
    settings = rt.settings
    rt.settings = replace(settings, smtp_url=f"smtp+insecure://127.0.0.1:{port}")
    try:
        admin = await staff(client, platform, tenant["id"], ["general_administrator"])
        await emit_event(app, tenant["id"])
        await settle(app, worker)
    finally:
        rt.settings = settings
        smtp.stop()
    assert [e.rcpt_tos for e in received] == [[admin.user["email"]]]
    assert "継続希望" in received[0].content.decode("utf-8", "replace") or b"=?utf-8?" in received[0].content
    mail = (await client.get(f"/v1/tenants/{tenant['id']}/mail?state=sent", headers=admin.headers)).json()["items"]
    assert mail[0]["transport"] == "smtp"


async def test_events_can_be_polled(
    app: Any, worker: Any, client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    await emit_event(app, tenant["id"])
    await emit_event(app, tenant["id"], "contract.ending", end_on="2027-03-31")
    events = (await client.get(f"/v1/tenants/{tenant['id']}/events", headers=platform)).json()["items"]
    assert [e["type"] for e in events] == ["contract.ending", "deadline.due"]
    only = (await client.get(f"/v1/tenants/{tenant['id']}/events?type=deadline.due", headers=platform)).json()["items"]
    assert len(only) == 1


# ---- the continuation declaration deadline (小山高専: by the end of March) -------------------------------


async def test_the_continuation_deadline_reminds_and_rolls_over_the_fiscal_year(
    app: Any, worker: Any, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    from tests.support import preset_path

    oyama = json.loads(preset_path("oyama-kosen").read_text(encoding="utf-8"))["guideline"]["document"]
    tenant = await create_tenant(client, platform)
    admin = await staff(client, platform, tenant["id"], ["general_administrator"])
    assert (await record(client, platform, tenant["id"], oyama, "2025-04-01")).status_code == 201
    deadlines = (await client.get(f"/v1/tenants/{tenant['id']}/deadlines?state=pending", headers=platform)).json()[
        "items"
    ]
    reminders = oyama["renewal"]["continuation_declaration"]["reminder_days_before"]
    assert len(deadlines) == 1 + len(reminders)
    final = next(d for d in deadlines if d["kind"] == "continuation_declaration")
    # The clock stands on 2026-04-01: the next end of March is 2027-03-31, midnight in Tokyo.
    assert final["due_at"] == "2027-03-31T14:59:59.999999Z"
    sweeper = Scheduler(app.state.db, app.state.clock, app.state.relay)

    async def run_until(day: str) -> None:
        app.state.clock.set(dt.datetime.fromisoformat(day))
        await sweeper.sweep()
        await settle(app, worker)

    first = max(reminders)
    await run_until(f"{(dt.date(2027, 3, 31) - dt.timedelta(days=first)).isoformat()}T01:00:00+00:00")
    # (A year on, the administrator's access token has long expired; the platform reads.)
    mail = (await client.get(f"/v1/tenants/{tenant['id']}/mail", headers=platform)).json()["items"]
    assert [f"あと{first}日" in m["body"] for m in mail] == [True]
    assert mail[0]["to_address"] == admin.user["email"]
    await run_until(
        f"{(dt.date(2027, 3, 31) - dt.timedelta(days=first)).isoformat()}T02:00:00+00:00"
    )  # again: no repeat
    assert len((await client.get(f"/v1/tenants/{tenant['id']}/mail", headers=platform)).json()["items"]) == 1
    await run_until("2027-04-01T00:00:00+00:00")  # across the fiscal year end
    events = (await client.get(f"/v1/tenants/{tenant['id']}/events?type=deadline.due", headers=platform)).json()[
        "items"
    ]
    assert len(events) == 1 + len(reminders)
    assert {e["data"]["days_before"] for e in events} == {0, *reminders}
    pending = (await client.get(f"/v1/tenants/{tenant['id']}/deadlines?state=pending", headers=platform)).json()[
        "items"
    ]
    assert any(d["kind"] == "continuation_declaration" and d["due_at"].startswith("2028-03-31") for d in pending)


async def test_a_new_configuration_cancels_reminders_that_no_longer_apply(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    from tests.support import preset_path

    oyama = json.loads(preset_path("oyama-kosen").read_text(encoding="utf-8"))["guideline"]["document"]
    tenant = await create_tenant(client, platform)
    await record(client, platform, tenant["id"], oyama, "2025-04-01")
    changed = copy.deepcopy(oyama)
    changed["renewal"]["continuation_declaration"]["reminder_days_before"] = [14]
    await record(client, platform, tenant["id"], changed, "2025-05-01")
    pending = (await client.get(f"/v1/tenants/{tenant['id']}/deadlines?state=pending", headers=platform)).json()[
        "items"
    ]
    assert sorted(d.get("payload", {}).get("days_before", 0) for d in pending) == [0, 14]
    dropped = copy.deepcopy(changed)
    dropped["renewal"]["continuation_declaration"].update(
        required=False, deadline=None, declared_by=[], declared_to=None, reminder_days_before=[]
    )
    await record(client, platform, tenant["id"], dropped, "2025-06-01")
    assert (await client.get(f"/v1/tenants/{tenant['id']}/deadlines?state=pending", headers=platform)).json()[
        "items"
    ] == []


async def test_deadlines_and_mail_are_tenant_scoped(
    app: Any, client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    operator = await staff(client, platform, tenant["id"], ["operator"])
    assert_problem(await client.get(f"/v1/tenants/{tenant['id']}/mail", headers=operator.headers), 403, "forbidden")
    async with app.state.db.unit_of_work() as session:
        assert await session.scalar(text("SELECT count(*) FROM mail_messages")) == 0
