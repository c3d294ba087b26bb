"""One bootstrap for every process kind: what it registers, what it refuses, and the proof that a
standalone worker records its deeds in the audit trail as the API's own workers do."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
import subprocess
import sys
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from service.app import create_app
from service.bootstrap import DOMAINS, bootstrap
from service.config import Settings, project_home
from service.kit.clock import SystemClock
from service.kit.db import Database, set_tenant
from service.kit.registry import BootstrapError, Registry
from service.notifications.templates import TEMPLATES
from tests.support import agency_from_preset, bearer, make_token, open_account, serving
from tests.support.processes import TEST_SECRET_KEY, ServiceProcesses

# ---- what the bootstrap checks ----------------------------------------------------------------------


class Kinds(StrEnum):
    HANDLED = "test.handled"
    FORGOTTEN = "test.forgotten"


async def _nothing(*_: Any) -> None:
    return None


def test_a_deadline_kind_without_its_handler_stops_the_process() -> None:
    registry = Registry()
    registry.deadline_kinds(Kinds, {Kinds.HANDLED: _nothing})
    with pytest.raises(BootstrapError, match=r"'test\.forgotten'.*has no handler"):
        registry.check()


def test_an_actor_queued_by_name_must_be_declared() -> None:
    registry = Registry()
    registry.require_actor("send_mail", by="notifications")
    with pytest.raises(BootstrapError, match=r"actor 'send_mail'.*not declared"):
        registry.check()
    registry.actor(_nothing, queue="q")
    registry.require_actor("_nothing", by="someone")
    assert [p for p in registry.problems() if "_nothing" in p] == []


def test_every_event_type_has_its_mail_and_recipients_name_real_types() -> None:
    registry = Registry()
    for domain in DOMAINS:
        domain.register(registry)
    assert registry.problems() == []
    registry.events({"test.unmailed": ("テスト", "test")}, owner=__name__)
    registry.hear(["test.nobody-emits-this"], _nothing)
    problems = registry.problems()
    assert any("'test.unmailed'" in p and "no mail template in ja" in p for p in problems), problems
    assert any("'test.nobody-emits-this'" in p for p in problems), problems
    # Every template is for a declared type: no mail is written for an event nobody emits.
    assert set(TEMPLATES) <= set(registry.event_types) | {"test.unmailed"}


def test_the_bootstrap_declares_every_domain_once() -> None:
    registry = bootstrap()
    assert registry.problems() == []
    owners = {spec.owner.split(".")[1] for spec in registry.deadlines.values()}
    assert {"closures", "renewals", "security", "monitoring", "agreements"} <= owners
    assert {"run_deadlines", "dispatch_event", "send_mail", "deliver_webhook"} <= set(registry.actors)
    assert registry.listeners, "the audit trail's flush hook"


# ---- every process kind, as a new operator would start it ------------------------------------------------


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project_home(),
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project_home()), **env},
    )


def test_importing_the_service_registers_nothing() -> None:
    """Importing every module of the service is not a start-up: no registry, no audit listener."""
    result = _python(
        "import importlib, pkgutil, service\n"
        "for m in pkgutil.walk_packages(service.__path__, 'service.'):\n"
        "    if m.name not in {'service.worker', 'service.asgi'}: importlib.import_module(m.name)\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.orm import Session\n"
        "from service.audit.service import record_row_changes\n"
        "from service.kit import registry\n"
        "assert not event.contains(Session, 'before_flush', record_row_changes)\n"
        "try:\n"
        "    registry.current()\n"
        "except registry.NotBootstrapped:\n"
        "    print('not bootstrapped')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not bootstrapped"


@pytest.mark.slow
@pytest.mark.parametrize("command", [["scheduler"], ["worker", "--processes", "1"], ["permissions"]])
def test_a_missing_handler_stops_every_process_kind_with_the_reason(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project_home(),
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(project_home()),
            "KOSHIKI_EXTRA_MODULES": "tests.support.broken",
            "DATABASE_URL": "postgresql://koshiki_app@127.0.0.1:1/unused",
            "BROKER_URL": "redis://127.0.0.1:1/0",
        },
    )
    assert result.returncode != 0
    assert "deadline kind 'test.unhandled' (tests.support.broken) has no handler" in result.stderr, result.stderr


def test_the_api_refuses_to_start_with_a_missing_handler(settings: Settings) -> None:
    broken = dataclasses.replace(settings, extra_modules=("tests.support.broken",))
    try:
        with pytest.raises(BootstrapError, match=r"test\.unhandled"):
            create_app(broken)
    finally:
        bootstrap(settings.extra_modules)  # the rest of the session's registry, as it was


# ---- a standalone worker audits its deeds ---------------------------------------------------------------


def _logs(directory: Path) -> str:
    return "".join(p.read_text(errors="replace")[-2000:] for p in directory.glob("*.log"))


BROKERS = {"rabbitmq": "amqp://guest:guest@127.0.0.1:5672/", "redis": "redis://127.0.0.1:6379/0"}


@pytest.mark.slow
@pytest.mark.parametrize("broker", sorted(BROKERS))
async def test_a_standalone_worker_records_its_deeds_in_the_audit_trail(
    broker: str, settings: Settings, own_database: tuple[str, str], tmp_path: Path
) -> None:
    """`koshiki scheduler` and `koshiki worker` as separate processes, as the README scales out:
    an agreement whose last day has passed is ended by the worker, and every row it changed is in
    the audit trail with the worker as actor."""
    app_url, owner_url = own_database
    prefix = f"b{secrets.token_hex(3)}-"
    api_settings = dataclasses.replace(
        settings,
        database_url=app_url,
        migration_database_url=owner_url,
        broker_url=BROKERS[broker],
        queue_prefix=prefix,
        run_background=False,
        secret_key=__import__("base64").b64decode(TEST_SECRET_KEY),
    )
    clock = SystemClock()
    db = Database(app_url, pool_size=2, clock=clock)
    processes = ServiceProcesses(app_url, BROKERS[broker], prefix, logs=tmp_path)
    try:
        app = create_app(api_settings, db=db, clock=clock)
        platform = bearer(await make_token(db, clock, expires_in=dt.timedelta(hours=1)))
        async with serving(app) as client:
            ehime = await agency_from_preset(client, platform, "ehime-pref")
            account = await open_account(client, ehime)
            yesterday = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date() - dt.timedelta(days=1)
            body = {
                "unit_id": ehime.unit()["id"],
                "contractor_name": "株式会社えひめ広告",
                "kind": "outsourcing",
                "reference": f"広第{uuid.uuid4().hex[:6]}号",
                "starts_on": (yesterday - dt.timedelta(days=365)).isoformat(),
                "ends_on": yesterday.isoformat(),
                "account_ids": [account["id"]],
                "clauses": {},
            }
            created = await client.post(ehime.url("/agreements"), json=body, headers=ehime.admin.headers)
            assert created.status_code == 201, created.text
            agreement_id = created.json()["id"]
        processes.scheduler()
        processes.worker()
        tenant = uuid.UUID(ehime.id)

        async def ended() -> bool:
            async with db.unit_of_work() as session:
                await set_tenant(session, tenant)
                state = await session.scalar(text("SELECT state FROM agreements WHERE id = :id"), {"id": agreement_id})
                return bool(state == "ended")

        deadline = time.monotonic() + 90
        while not await ended():
            assert time.monotonic() < deadline, "the worker never ended the agreement: " + _logs(tmp_path)
            await asyncio.sleep(0.3)
        async with db.unit_of_work() as session:
            await set_tenant(session, tenant)
            trail = (
                await session.execute(
                    text(
                        "SELECT action, target_kind, target_id, actor_kind, actor_label, changes FROM audit_events "
                        "WHERE tenant_id = :tenant AND actor_label = 'system:worker:run_deadlines' ORDER BY id"
                    ),
                    {"tenant": tenant},
                )
            ).all()
        by_action = {(row.action, row.target_id): row for row in trail}
        ended_row = by_action.get(("agreement.updated", agreement_id))
        assert ended_row is not None, [(r.action, r.target_id) for r in trail]
        assert ended_row.actor_kind == "system"
        assert ended_row.changes["state"] == ["active", "ended"]
        # The covered account was flagged for a password change, by the same deed.
        assert ("account.updated", account["id"]) in by_action
        assert any(row.action == "deadline.done" for row in trail)
    finally:
        processes.stop_all()
        await db.dispose()
        bootstrap(settings.extra_modules)
