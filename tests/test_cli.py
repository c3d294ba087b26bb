"""The `koshiki` command: what `make run` calls, token issuing, the OpenAPI drift check, the embedded server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from service.cli import main, render_openapi
from service.config import project_home
from tests.support import DatabaseUnderTest, bearer

KOSHIKI = [sys.executable, "-m", "service.cli"]


def cli_env(test_database: DatabaseUnderTest, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MIGRATION_DATABASE_URL"}}
    env.update(DATABASE_URL=test_database.app_url, MIGRATION_DATABASE_URL=test_database.owner_url, **extra)
    return env


def test_committed_openapi_matches_the_code() -> None:
    committed = project_home() / "openapi" / "openapi.json"
    assert committed.read_text(encoding="utf-8") == render_openapi(), "run `make openapi` and commit the result"


def test_openapi_check_fails_on_drift(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    runner = CliRunner()
    assert runner.invoke(main, ["openapi", "export", "--output", str(target)]).exit_code == 0
    assert runner.invoke(main, ["openapi", "export", "--output", str(target), "--check"]).exit_code == 0
    target.write_text(target.read_text().replace("createTenant", "makeTenant"))
    drifted = runner.invoke(main, ["openapi", "export", "--output", str(target), "--check"])
    assert drifted.exit_code == 1
    assert "out of date" in drifted.output


def test_openapi_declares_operations_and_errors() -> None:
    document = json.loads(render_openapi())
    assert document["openapi"].startswith("3.1")
    operations = [op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    for op in operations:
        assert op.get("summary"), op["operationId"]
        for status in ("400", "500", "503"):
            assert status in op["responses"], (op["operationId"], status)
            assert "application/problem+json" in op["responses"][status]["content"]


async def test_tokens_create_prints_a_working_token(
    test_database: DatabaseUnderTest, client: httpx.AsyncClient
) -> None:
    result = subprocess.run(
        [*KOSHIKI, "tokens", "create", "--name", "cli test", "--expires-in-days", "1"],
        env=cli_env(test_database),
        capture_output=True,
        text=True,
        check=True,
    )
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("koshiki_")
    assert "shown once" in result.stderr
    assert (await client.get("/v1/tenants", headers=bearer(token))).status_code == 200
    listed = subprocess.run(
        [*KOSHIKI, "tokens", "list"], env=cli_env(test_database), capture_output=True, text=True, check=True
    )
    assert "cli test" in listed.stdout
    assert token not in listed.stdout, "secrets are never listed"
    token_id = result.stdout.split()[1]
    subprocess.run(
        [*KOSHIKI, "tokens", "revoke", token_id], env=cli_env(test_database), check=True, capture_output=True
    )
    assert (await client.get("/v1/tenants", headers=bearer(token))).status_code == 401


def test_db_url_prints_the_url_in_use(test_database: DatabaseUnderTest) -> None:
    result = subprocess.run(
        [*KOSHIKI, "db", "url"], env=cli_env(test_database), capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == test_database.app_url


def test_permissions_matrix_comes_from_the_table() -> None:
    output = CliRunner().invoke(main, ["permissions"]).output
    assert "| `config:write`" in output
    assert "general_administrator" in output.splitlines()[0]


def _wait_ready(base: str, process: subprocess.Popen[str], seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.communicate()}")
        try:
            response = httpx.get(f"{base}/readyz", timeout=1)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


@pytest.mark.slow
def test_run_serves_with_database_url_and_stops_on_sigterm(test_database: DatabaseUnderTest) -> None:
    from service.kit.embedded_pg import free_port

    port = free_port()
    process = subprocess.Popen(
        [*KOSHIKI, "run", "--port", str(port)],
        env=cli_env(test_database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = _wait_ready(f"http://127.0.0.1:{port}", process)
        assert ready.json()["database_revision"]
        tenants = httpx.get(f"http://127.0.0.1:{port}/v1/tenants", timeout=5)
        assert tenants.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/schema" in out
    assert "tokens create" in out  # how to authenticate, when no development token is issued
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(entry.get("path") == "/readyz" and entry.get("request_id") for entry in logged)


@pytest.mark.slow
def test_run_refuses_a_superuser_connection(test_database: DatabaseUnderTest) -> None:
    from service.kit.embedded_pg import free_port

    superuser = make_url(test_database.admin_url).set(database=test_database.name).render_as_string(hide_password=False)
    process = subprocess.run(
        [*KOSHIKI, "run", "--port", str(free_port()), "--no-migrate", "--no-presets"],
        env={**cli_env(test_database), "DATABASE_URL": superuser},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode != 0
    assert "superuser" in process.stderr


@pytest.mark.slow
def test_embedded_postgres_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    from service.kit.dbadmin import bootstrap
    from service.kit.embedded_pg import EmbeddedPostgres, free_port
    from service.kit.migrate import upgrade_sync

    # Under the project's .data/ as `make run` uses it: as root the server runs as `nobody`,
    # which cannot enter pytest's private temporary directories.
    root = project_home() / ".data" / f"test-embedded-{tmp_path.name}"
    server = EmbeddedPostgres(root, free_port())
    try:
        server.start()
        assert server.started_here
        app_url, owner_url = asyncio.run(bootstrap(server.admin_url(), "koshiki"))
        upgrade_sync(owner_url)
        server.stop()
        assert not server.running()
        again = EmbeddedPostgres(root, server.port)
        again.start()
        env = {**os.environ, "DATABASE_URL": app_url, "MIGRATION_DATABASE_URL": owner_url}
        migrated = subprocess.run([*KOSHIKI, "migrate"], env=env, capture_output=True, text=True, check=True)
        assert "latest revision" in migrated.stdout
    finally:
        server.destroy()


def test_readme_permission_matrix_is_the_code_s() -> None:
    output = CliRunner().invoke(main, ["permissions"]).output
    readme = (project_home() / "README.md").read_text(encoding="utf-8")
    assert output.strip() in readme, "README's permission matrix is stale: run `koshiki permissions --readme`"


async def test_every_migration_downgrades_and_upgrades_again(test_database: DatabaseUnderTest) -> None:
    """A scratch database taken to the first revision and back: each downgrade undoes its upgrade
    well enough for the upgrade to run again."""
    import secrets

    from alembic import command

    from service.kit.dbadmin import bootstrap, drop_database
    from service.kit.migrate import alembic_config

    name = f"koshiki_migrations_{secrets.token_hex(4)}"
    _, owner_url = await bootstrap(test_database.admin_url, name)
    try:
        config = alembic_config(owner_url)
        await asyncio.to_thread(command.upgrade, config, "head")
        await asyncio.to_thread(command.downgrade, config, "0001")
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await drop_database(test_database.admin_url, name)
