"""The schema-driven fuzz run: schemathesis over the whole committed OpenAPI document, against the
service served on a port of this machine, on a throwaway PostgreSQL database.

    python -m tests.fuzz                 (`make fuzz`; CI runs it after the tests)

A database `koshiki_fuzz_<hex>` is made on TEST_DATABASE_URL's server (else the embedded one, as the
tests do), migrated, loaded with the tenant presets, and dropped at the end. The app is served by
uvicorn on a free loopback port with no background workers: nothing it queues is delivered, so no
webhook or mail leaves the machine whatever URL the fuzzer registers.

Four passes, each with a bounded number of examples per operation (FUZZ_MAX_EXAMPLES, default 10)
and a fixed seed (FUZZ_SEED), positive and negative data:
- platform:  every operation, as a platform operator (`koshiki tokens create`);
- tenant:    the tenant's operations, as a general administrator of it (an API token of that role);
- user:      /v1/me and /v1/auth, as a logged-in user (users-only operations);
- anonymous: every operation, without credentials.
Paths resolve: `tenant_id` and the ids of the tenant's units and a user are real ones.

Checks: no 5xx, every status answered is documented for its operation, every response's content
type and body conform to the document. The figures (operations, cases, statuses, failures) are
printed; the exit status is non-zero when any pass fails.
"""

# ruff: noqa: T201  (a command that reports its figures)

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from service.app import create_app
from service.config import Settings, project_home
from service.kit.clock import SystemClock
from service.kit.db import Database, set_platform, set_tenant
from service.kit.dbadmin import bootstrap, drop_database
from service.kit.embedded_pg import EmbeddedPostgres, free_port
from service.kit.migrate import upgrade_sync
from service.kit.permissions import Role, permissions_of
from service.tokens.service import issue_token

HOME = project_home()
DOCUMENT = HOME / "openapi" / "openapi.json"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PRESET_TENANT = "ehime-pref"
PASSWORD = "fuzz-quiet-river-lantern-42"


@dataclass
class Pass:
    name: str
    headers: dict[str, str]
    include: list[str] = field(default_factory=list)  # --include-path-regex, or every operation


@dataclass
class Outcome:
    name: str
    code: int
    cases: int = 0
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ---- the database and the server ------------------------------------------------------------------------


@contextmanager
def admin_server() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    server = EmbeddedPostgres(HOME / ".data" / "test-postgres", int(os.environ.get("TEST_PG_PORT", "0")) or free_port())
    server.start()
    try:
        yield server.admin_url()
    finally:
        if server.started_here:
            server.stop()


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[tuple[str, str]]:
    name = f"koshiki_fuzz_{secrets.token_hex(4)}"
    app_url, owner_url = asyncio.run(bootstrap(admin_url, name))
    try:
        upgrade_sync(owner_url)
        yield app_url, owner_url
    finally:
        if not os.environ.get("KEEP_TEST_DATABASE"):
            asyncio.run(drop_database(admin_url, name))


def cli(env: dict[str, str], *args: str) -> str:
    """`koshiki …` from this checkout."""
    command = [sys.executable, "-c", "from service.cli import main; main()", *args]
    done = subprocess.run(command, env=env, cwd=HOME, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"koshiki {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The app on a free loopback port, in a thread of this process, until the block ends."""
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, name="koshiki-fuzz-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not become ready")
        time.sleep(0.2)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def tenant_token(app_url: str, tenant: str) -> str:
    """An API token of a general administrator of the tenant (does not expire during the run)."""
    db = Database(app_url, pool_size=1, name="koshiki-fuzz")
    clock = SystemClock()
    tenant_id = uuid.UUID(tenant)
    try:
        async with db.unit_of_work() as session:
            await set_platform(session)
            await set_tenant(session, tenant_id)
            _, secret = await issue_token(
                session,
                clock,
                role=Role.GENERAL_ADMINISTRATOR,
                tenant_id=tenant_id,
                name="fuzz general administrator",
                scopes=permissions_of(Role.GENERAL_ADMINISTRATOR),
                expires_at=clock.now() + dt.timedelta(days=1),
                created_by="fuzz",
            )
    finally:
        await db.dispose()
    return secret


def seed(base: str, platform: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Real ids for the paths (the preset tenant, a unit, a user, and one each of what its staff
    record), and a logged-in user (a general administrator of the tenant)."""
    with httpx.Client(base_url=base, timeout=30, headers=platform) as http:

        def made(path: str, body: dict[str, Any]) -> str | None:
            response = http.post(f"/v1/tenants/{tenant_id}{path}", json=body)
            if response.status_code != 201:
                print(f"seed: POST {path} answered {response.status_code}: {response.text[:300]}", file=sys.stderr)
                return None
            document = response.json()
            found = document.get("id") or next((v["id"] for v in document.values() if isinstance(v, dict)), None)
            return str(found) if found else None

        tenant_id = http.get("/v1/tenants", params={"slug": PRESET_TENANT}).json()["items"][0]["id"]
        unit_id = http.get(f"/v1/tenants/{tenant_id}/units").json()["items"][-1]["id"]
        login = f"fuzz-{secrets.token_hex(3)}"
        roles = ["general_administrator"]
        created = http.post(
            f"/v1/tenants/{tenant_id}/users",
            json={"login_id": login, "email": f"{login}@example.jp", "display_name": "ファズ", "roles": roles},
        )
        created.raise_for_status()
        temporary = created.json()["temporary_password"]
        first = http.post("/v1/auth/login", json={"login": login, "password": temporary}, headers={}).json()
        http.post(
            "/v1/me/password",
            json={"current_password": temporary, "new_password": PASSWORD},
            headers={"Authorization": f"Bearer {first['access_token']}"},
        ).raise_for_status()
        tokens = http.post("/v1/auth/login", json={"login": login, "password": PASSWORD}, headers={}).json()
        handle = f"fuzz{secrets.token_hex(4)}"
        account = {
            "unit_id": unit_id,
            "url": f"https://x.com/{handle}",
            "display_name": "ファズ",
            "operating_body": "direct",
        }
        ids = {
            "path.tenant_id": tenant_id,
            "path.unit_id": unit_id,
            "path.user_id": created.json()["user"]["id"],
            "path.account_id": made("/accounts", account),
            "path.incident_id": made("/incidents", {"kind": "other", "severity": "low", "title": "ファズ"}),
            "path.webhook_id": made("/webhooks", {"url": "http://127.0.0.1:9/fuzz", "event_types": ["*"]}),
            "path.token_id": made("/api-tokens", {"name": "fuzz", "scopes": ["config:read"]}),
        }
        if ids["path.account_id"]:
            agreement = {
                "unit_id": unit_id,
                "contractor_name": "株式会社ファズ",
                "kind": "outsourcing",
                "reference": "第1号",
                "starts_on": "2026-04-01",
                "ends_on": "2027-03-31",
                "account_ids": [ids["path.account_id"]],
                "clauses": {},
            }
            ids["path.agreement_id"] = made("/agreements", agreement)
            application = {
                "kind": "new",
                "account_id": ids["path.account_id"],
                "applicant_title": "主任",
                "purpose": "広報",
            }
            ids["path.application_id"] = made("/applications", application)
    found = {name: value for name, value in ids.items() if value}
    return found, {"Authorization": f"Bearer {tokens['access_token']}"}


# ---- schemathesis --------------------------------------------------------------------------------------


def run_pass(base: str, run: Pass, ids: dict[str, str], workdir: Path) -> Outcome:
    config = workdir / f"{run.name}.toml"
    config.write_text("[parameters]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in ids.items()), encoding="utf-8")
    report = workdir / f"{run.name}.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        str(DOCUMENT),
        "--url",
        base,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        os.environ.get("FUZZ_MAX_EXAMPLES", "10"),
        "--seed",
        os.environ.get("FUZZ_SEED", "20260401"),
        "--workers",
        os.environ.get("FUZZ_WORKERS", "2"),
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--continue-on-failure",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
    ]
    for name, value in run.headers.items():
        command += ["-H", f"{name}: {value}"]
    for pattern in run.include:
        command += ["--include-path-regex", pattern]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=workdir)
    outcome = Outcome(run.name, done.returncode, seconds=time.monotonic() - started)
    _read_report(report, outcome)
    (workdir / f"{run.name}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        print(done.stdout[-20000:])
        print(done.stderr[-5000:], file=sys.stderr)
    return outcome


def _read_report(report: Path, outcome: Outcome) -> None:
    if not report.exists():
        return
    operations: set[str] = set()
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        for kind, body in event.items():
            if kind == "ScenarioFinished":
                recorder = body.get("recorder") or {}
                label = recorder.get("label")
                if label:
                    operations.add(label)
                for interaction in (recorder.get("interactions") or {}).values():
                    response = interaction.get("response")
                    if response:
                        outcome.cases += 1
                        outcome.statuses[int(response["status_code"])] += 1
                for checks in (recorder.get("checks") or {}).values():
                    for check in checks:
                        failure = (check.get("failure_info") or {}).get("failure")
                        if str(check.get("status")).lower() == "failure" and failure:
                            message = str(failure.get("message") or "").splitlines()
                            outcome.failures.append(
                                f"{label}: {failure.get('code')} {failure.get('title')}"
                                + (f" ({message[0][:200]})" if message else "")
                            )
    outcome.operations = len(operations)


class _Crashes(logging.Handler):
    """Counts what the service logs as an unhandled error (each one a 500)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "koshiki.errors" and record.getMessage() == "unhandled error":
            self.count += 1


@contextmanager
def server_log(path: Path) -> Iterator[_Crashes]:
    """The service's log (and asyncio's) into `path` rather than onto the console."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    crashes = _Crashes()
    root = logging.getLogger()
    root.addHandler(handler)
    root.addHandler(crashes)
    root.setLevel(logging.WARNING)
    try:
        yield crashes
    finally:
        root.removeHandler(handler)
        root.removeHandler(crashes)
        handler.close()


@contextmanager
def workspace() -> Iterator[str]:
    """Where the reports go: FUZZ_REPORTS (kept), else a temporary directory."""
    if kept := os.environ.get("FUZZ_REPORTS"):
        Path(kept).mkdir(parents=True, exist_ok=True)
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix="koshiki-fuzz-") as work:
        yield work


def main() -> int:
    secret_key = base64.b64encode(secrets.token_bytes(32)).decode()
    with admin_server() as admin_url, throwaway_database(admin_url) as (app_url, owner_url):
        env = {
            **os.environ,
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "KOSHIKI_SECRET_KEY": secret_key,
            "KOSHIKI_ENV": "test",
        }
        cli(env, "tenants", "load", *sorted(str(p) for p in (HOME / "tenants").glob("*.json")))
        platform_secret = (
            cli(env, "tokens", "create", "--name", "fuzz", "--expires-in-days", "1").strip().splitlines()[-1]
        )
        settings = Settings(
            database_url=app_url,
            migration_database_url=owner_url,
            environment="test",
            secret_key=base64.b64decode(secret_key),
            run_background=False,  # nothing queued is delivered: no webhook or mail leaves the machine
            public_rate_per_minute=1_000_000,
            webhook_allow_private=True,  # an endpoint on 127.0.0.1 for the paths (never called)
            login_max_failures_per_address=1_000_000,
            access_token_ttl=900,
            password_time_cost=2,
            password_memory_kib=19456,
            password_parallelism=1,
        )
        platform = {"Authorization": f"Bearer {platform_secret}"}
        with workspace() as work, server_log(Path(work) / "server.log") as crashes, serving(settings) as base:
            ids, user = seed(base, platform)
            tenant = {"Authorization": f"Bearer {asyncio.run(tenant_token(app_url, ids['path.tenant_id']))}"}
            passes = [
                Pass("platform", platform),
                Pass("tenant", tenant, ["^/v1/tenants/\\{tenant_id\\}"]),
                Pass("user", user, ["^/v1/me", "^/v1/auth/"]),
                Pass("anonymous", {}),
            ]
            outcomes = [run_pass(base, run, ids, Path(work)) for run in passes]
            unhandled = crashes.count
    return report(outcomes, unhandled)


def report(outcomes: list[Outcome], unhandled: int = 0) -> int:
    print("\nfuzz run (schemathesis, checks: " + CHECKS + ")")
    print(
        f"{'pass':<10} {'operations':>10} {'cases':>7} {'2xx':>6} {'3xx':>5} {'4xx':>6} {'5xx':>5} {'failures':>8} {'time':>7}"
    )
    for o in outcomes:
        classes = Counter(status // 100 for status in o.statuses.elements())
        print(
            f"{o.name:<10} {o.operations:>10} {o.cases:>7} {classes[2]:>6} {classes[3]:>5} {classes[4]:>6} "
            f"{classes[5]:>5} {len(o.failures):>8} {o.seconds:>6.0f}s"
        )
    failed = [o for o in outcomes if o.code != 0]
    for o in failed:
        print(f"\npass {o.name} failed (exit {o.code}):")
        for failure in sorted(set(o.failures))[:100]:
            print(f"  {failure}")
    total = sum(o.cases for o in outcomes)
    print(f"{total} requests in {len(outcomes)} passes; errors the service logged as unhandled (500): {unhandled}")
    print(f"fuzz: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
