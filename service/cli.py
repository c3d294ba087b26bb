"""`koshiki`: run the service and look after it.

\b
    koshiki run                  migrate, load presets, serve (embedded PostgreSQL without DATABASE_URL)
    koshiki migrate              apply migrations (as the owner role)
    koshiki tenants load FILE…   load tenant presets, idempotently
    koshiki import FILE --tenant SLUG  import an agency's register (JSON or CSV; --dry-run)
    koshiki tokens create        issue a platform-operator API token (printed once)
    koshiki tokens list|revoke   manage platform-operator tokens
    koshiki openapi export       write openapi/openapi.json (--check: fail when it differs)
    koshiki db url               the database URL in use (embedded included), for psql
    koshiki db bootstrap URL     create the database and its roles on a server you bring
    koshiki users create-operator  a platform operator who logs in (temporary password printed once)
    koshiki keys rotate          start signing access tokens with a new key
    koshiki worker               Dramatiq workers (needs BROKER_URL)
    koshiki scheduler            the deadline sweep and outbox relay (needs BROKER_URL)
    koshiki permissions          the permission matrix, as Markdown
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from service.config import ConfigError, Settings
from service.kit.clock import Clock, SystemClock
from service.kit.db import Database, describe_url, plain_url, set_platform
from service.kit.permissions import ALL_PERMISSIONS, MATRIX, Role, permissions_of

EMBEDDED_DATABASE = "koshiki"


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextlib.contextmanager
def database(settings: Settings, *, keep_running: bool = False) -> Iterator[Settings]:
    """Settings with database URLs: DATABASE_URL's server, or the embedded one (started if needed,
    and stopped afterwards if this command started it, unless `keep_running`)."""
    if settings.database_url:
        yield settings
        return
    from service.kit.dbadmin import bootstrap
    from service.kit.embedded_pg import EmbeddedPostgres

    server = EmbeddedPostgres(settings.data_dir / "postgres", settings.embedded_pg_port)
    try:
        server.start()
        app_url, owner_url = asyncio.run(bootstrap(server.admin_url(), EMBEDDED_DATABASE))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield settings.with_database(app_url, owner_url)
    finally:
        if server.started_here and not keep_running:
            server.stop()


@click.group(help=__doc__)
def main() -> None:
    # Every command runs in a bootstrapped process, as the API and the workers do: what it writes
    # is audited, what it queues has its actor, and a gap stops it here with the reason.
    from service.bootstrap import bootstrap
    from service.kit.registry import BootstrapError

    try:
        bootstrap(_settings().extra_modules)
    except BootstrapError as exc:
        raise click.ClickException(str(exc)) from exc
    except ImportError as exc:
        raise click.ClickException(f"KOSHIKI_EXTRA_MODULES: {exc}") from exc


# ---- run ------------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help="Interface to listen on (HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (PORT, default 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (WEB_CONCURRENCY, default 1).")
@click.option("--no-migrate", is_flag=True, help="Do not apply migrations first.")
@click.option("--no-presets", is_flag=True, help="Do not load the tenant presets from tenants/.")
def run(host: str | None, port: int | None, workers: int | None, no_migrate: bool, no_presets: bool) -> None:
    """Migrate, load the tenant presets, and serve the API."""
    import uvicorn

    from service.kit.logging import configure_logging

    settings = _settings()
    if host:
        os.environ["HOST"] = host
    if port:
        os.environ["PORT"] = str(port)
    settings = _settings()
    configure_logging(settings.log_level)
    embedded = settings.database_url is None
    try:
        from service.kit.clock import clock_for

        clock = clock_for(settings, embedded=embedded)  # refuses CLOCK_OFFSET outside the embedded server
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    with database(settings) as ready:
        if not no_migrate:
            _migrate(ready)
        if not no_presets:
            # Loaded as of the real time: a CLOCK_OFFSET then carries the service past what they schedule.
            _load_presets(ready, sorted(ready.tenants_dir.glob("*.json")))
        token = _dev_token(ready, clock) if embedded and ready.environment != "production" else None
        # Child worker processes read their settings from the environment.
        os.environ["DATABASE_URL"] = ready.require_database_url()
        os.environ["KOSHIKI_EMBEDDED"] = "1" if embedded else "0"
        if ready.migration_database_url:
            os.environ["MIGRATION_DATABASE_URL"] = ready.migration_database_url
        _banner(ready, embedded, token)
        # Uvicorn shuts down gracefully on SIGTERM and then re-raises it; turning it into an
        # ordinary exit lets the `finally` above stop the embedded PostgreSQL too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        uvicorn.run(
            "service.asgi:app_factory",
            factory=True,
            host=ready.host,
            port=ready.port,
            workers=workers or int(os.environ.get("WEB_CONCURRENCY", "1")),
            log_config=None,
            **proxy_options(ready),
            server_header=False,
        )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """Uvicorn's proxy-header handling: off unless FORWARDED_ALLOW_IPS names the proxies to trust.
    (Uvicorn's own default would trust 127.0.0.1, letting any local caller set its address.)"""
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.forwarded_allow_ips)}


def _banner(settings: Settings, embedded: bool, token: str | None) -> None:
    base = settings.base_url
    lines = [
        "",
        "Koshiki is starting.",
        f"  API:        {base}/v1",
        f"  API docs:   {base}/schema  (OpenAPI JSON: {base}/schema/openapi.json)",
        f"  Health:     {base}/healthz   Ready: {base}/readyz",
        f"  Queue:      {describe_url(settings.broker_url) if settings.broker_url else 'in this process (no BROKER_URL)'}",
        f"  Database:   {describe_url(settings.require_database_url())}"
        + ("  (embedded, .data/postgres)" if embedded else ""),
        "",
        "Authenticate with a bearer token:",
    ]
    if settings.clock_offset:
        lines.insert(
            2,
            f"  CLOCK OFFSET {settings.clock_offset}: the service's clock says {SystemClock().now() + settings.clock_offset:%Y-%m-%d %H:%M} UTC",
        )
    if token:
        lines += [
            "  A platform-operator token for this session (valid 24 hours):",
            f"    export KOSHIKI_TOKEN={token}",
            f'    curl -H "Authorization: Bearer $KOSHIKI_TOKEN" {base}/v1/tenants',
        ]
    else:
        lines += [
            "  .venv/bin/koshiki tokens create --name me   # prints a token once",
            f'  curl -H "Authorization: Bearer <token>" {base}/v1/tenants',
        ]
    click.echo("\n".join(lines) + "\n")


def _dev_token(settings: Settings, clock: Clock) -> str:
    """A short-lived platform token for the embedded development server; earlier ones are revoked."""
    from service.tokens import service as tokens

    async def go() -> str:
        db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli", clock=clock)
        try:
            async with db.unit_of_work() as session:
                await set_platform(session)
                await tokens.revoke_platform_tokens_named(session, clock, name="make run", revoked_by="make run")
                _, secret = await tokens.issue_token(
                    session,
                    clock,
                    role=Role.PLATFORM_OPERATOR,
                    tenant_id=None,
                    name="make run",
                    scopes=permissions_of(Role.PLATFORM_OPERATOR),
                    expires_at=clock.now() + dt.timedelta(hours=24),
                    created_by="koshiki run",
                    description="Issued for a local development session.",
                )
                return secret
        finally:
            await db.dispose()

    return asyncio.run(go())


# ---- worker and scheduler ----------------------------------------------------------------------------


@main.command()
@click.option("--processes", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Threads per process.")
@click.option("--queues", multiple=True, help="Only these queues (default: all).")
@click.option("--extra-module", "extra", multiple=True, help="Import this module too (more actors).")
def worker(processes: int, threads: int, queues: tuple[str, ...], extra: tuple[str, ...]) -> None:
    """Run Dramatiq workers on BROKER_URL's broker. SIGTERM stops them gracefully: in-flight
    messages finish, unstarted ones stay queued."""
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    settings = _settings()
    if not settings.broker_url:
        raise click.ClickException("koshiki worker needs BROKER_URL (amqp://… or redis://…)")
    settings.require_database_url()
    if extra:
        os.environ["KOSHIKI_EXTRA_MODULES"] = ",".join(extra)
    os.environ["WORKER_THREADS"] = str(threads)  # so each process sizes its database pool to match
    args = ["service.worker", "--processes", str(processes), "--threads", str(threads), "--skip-logging"]
    for queue in queues:
        args += ["--queues", settings.queue_prefix + queue]
    sys.exit(dramatiq_main(make_argument_parser().parse_args(args)))  # type: ignore[no-untyped-call]


@main.command()
def scheduler() -> None:
    """Sweep due deadlines into the outbox and relay the outbox to BROKER_URL's broker, until SIGTERM.
    Run as many as you like: one leads (a lease), all relay."""
    from service.kit.clock import clock_for
    from service.kit.logging import configure_logging
    from service.kit.queue import QueueSettings, Relay, broker_for
    from service.scheduler import Scheduler

    settings = _settings()
    if not settings.broker_url:
        raise click.ClickException("koshiki scheduler needs BROKER_URL (amqp://… or redis://…)")
    configure_logging(settings.log_level)

    async def go() -> None:
        clock = clock_for(settings, embedded=False)
        db = Database(settings.require_database_url(), pool_size=3, name="koshiki-scheduler", clock=clock)
        config = QueueSettings.from_settings(settings)
        relay = Relay(db, clock, broker_for(config), config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Scheduler.configured(db, clock, relay, settings).run(stop)
        finally:
            await relay.aclose()
            await db.dispose()

    asyncio.run(go())


# ---- migrate -------------------------------------------------------------------------------------


def _migrate(settings: Settings) -> None:
    from service.kit.migrate import upgrade_sync

    try:
        upgrade_sync(settings.require_migration_url())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        raise click.ClickException(f"migration failed: {exc}") from exc


@main.command()
def migrate() -> None:
    """Apply the Alembic migrations as the owner role."""
    with database(_settings()) as settings:
        _migrate(settings)
        click.echo("database is at the latest revision")


# ---- tenants ---------------------------------------------------------------------------------------


@main.group()
def tenants() -> None:
    """Tenant presets."""


def _load_presets(settings: Settings, files: list[Path], clock: Clock | None = None) -> None:
    from service.guidelines.presets import PresetError, load_preset, read_preset
    from service.kit.actor import acting_as, system

    try:
        presets = [(path, read_preset(path)) for path in files]
    except PresetError as exc:
        raise click.ClickException(exc.describe()) from exc

    async def go() -> None:
        the_clock = clock or SystemClock()
        db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli", clock=the_clock)
        try:
            for path, preset in presets:
                with acting_as(system("cli:tenants load")):
                    async with db.unit_of_work() as session:
                        result = await load_preset(session, the_clock, preset)
                state = "created" if result.tenant_created else "updated" if result.tenant_changed else "unchanged"
                version = (
                    f"guideline v{result.guideline_version}" if result.guideline_version else "guideline unchanged"
                )
                click.echo(
                    f"{path.name}: tenant {result.slug} {state}; units +{result.units_created} "
                    f"~{result.units_updated}; {version}"
                )
        finally:
            await db.dispose()

    asyncio.run(go())


@tenants.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tenants_load(files: tuple[Path, ...]) -> None:
    """Load tenant presets (safe to repeat)."""
    with database(_settings()) as settings:
        _load_presets(settings, list(files))


# ---- import -----------------------------------------------------------------------------------------


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--dry-run", is_flag=True, help="Check the whole file and say what it would do; change nothing.")
def import_file(file: Path, slug: str, dry_run: bool) -> None:
    """Import an agency's register: FILE is the JSON import file, or the CSV of its register (*.csv),
    as `POST /v1/tenants/{id}/imports` takes them. All or nothing; the same file again changes nothing."""
    from service.imports import service as imports
    from service.kit.actor import acting_as, system
    from service.kit.context import Ctx
    from service.kit.db import set_tenant
    from service.kit.errors import ProblemError
    from service.tenants.service import tenant_by_slug

    raw = file.read_bytes()
    media_type = "text/csv" if file.suffix.lower() == ".csv" else "application/json"
    steps = ["read", "checked", "written"]
    with database(_settings()) as settings:

        async def go(bar: Any) -> Any:
            clock = SystemClock()
            db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli", clock=clock)
            try:
                with acting_as(system("cli:import")):
                    async with db.unit_of_work() as session:
                        await set_platform(session)
                        tenant = await tenant_by_slug(session, slug)
                        if tenant is None:
                            raise click.ClickException(f"no tenant {slug!r}")
                        await set_tenant(session, tenant.id)
                        ctx = Ctx.for_system(session, tenant.id, clock, "cli:import")
                        summary = await imports.run(
                            ctx, raw, media_type, dry_run=dry_run, progress=lambda name: bar.update(1, name)
                        )
                    bar.update(1, "committed")
                    return summary
            finally:
                await db.dispose()

        try:
            with click.progressbar(
                length=len(steps) + 1, label=f"{file.name} → {slug}", show_pos=True, file=sys.stderr
            ) as bar:
                summary = asyncio.run(go(bar))
        except ProblemError as exc:
            lines = [exc.detail.render("en") if exc.detail else exc.problem]
            for error in exc.errors:
                where = error.pointer or ""
                rendered = error.render("en")
                if "row" in rendered:
                    where = f"row {rendered['row']}" + (f", {rendered['column']}" if rendered.get("column") else "")
                lines.append(f"  {where}: {rendered['detail']}")
            raise click.ClickException("\n".join(lines)) from exc
    import msgspec

    click.echo(json.dumps(msgspec.to_builtins(summary), ensure_ascii=False, indent=2))


# ---- tokens ----------------------------------------------------------------------------------------


@main.group()
def tokens() -> None:
    """Platform-operator API tokens."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. who holds it.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=90, show_default=True)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(sorted(ALL_PERMISSIONS)),
    help="Limit the token to these permissions (repeatable; default: all of a platform operator's).",
)
def tokens_create(name: str, expires_in_days: int, scopes: tuple[str, ...]) -> None:
    """Issue a platform-operator token. The secret is printed once and stored only as a hash."""
    from service.tokens.service import issue_token

    with database(_settings()) as settings:

        async def go() -> tuple[Any, str]:
            db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli")
            clock = SystemClock()
            try:
                async with db.unit_of_work() as session:
                    await set_platform(session)
                    return await issue_token(
                        session,
                        clock,
                        role=Role.PLATFORM_OPERATOR,
                        tenant_id=None,
                        name=name,
                        scopes=frozenset(scopes) or permissions_of(Role.PLATFORM_OPERATOR),
                        expires_at=clock.now() + dt.timedelta(days=expires_in_days),
                        created_by=f"cli:{os.environ.get('USER', 'unknown')}",
                    )
            finally:
                await db.dispose()

        token, secret = asyncio.run(go())
        click.echo(
            f"id:       {token.id}\nexpires:  {token.expires_at.isoformat()}\nscopes:   {' '.join(token.scopes)}"
        )
        click.echo("token (shown once, keep it safe):", err=True)
        click.echo(secret)


@tokens.command("list")
def tokens_list() -> None:
    """List platform-operator tokens (never their secrets)."""
    from service.tokens.service import platform_tokens

    with database(_settings()) as settings:

        async def go() -> list[Any]:
            db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli")
            try:
                async with db.unit_of_work() as session:
                    await set_platform(session)
                    return await platform_tokens(session)
            finally:
                await db.dispose()

        for token in asyncio.run(go()):
            state = "revoked" if token.revoked_at else "active"
            used = token.last_used_at.isoformat() if token.last_used_at else "never"
            click.echo(f"{token.id}  {token.token_prefix}…  {state:7}  {token.name!r}  last used {used}")


@tokens.command("revoke")
@click.argument("token_id", type=click.UUID)
def tokens_revoke(token_id: uuid.UUID) -> None:
    """Revoke a platform-operator token at once."""
    from service.tokens.service import revoke_platform_token

    with database(_settings()) as settings:

        async def go() -> bool:
            db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli")
            try:
                async with db.unit_of_work() as session:
                    await set_platform(session)
                    revoked = await revoke_platform_token(
                        session, SystemClock(), token_id=token_id, revoked_by=f"cli:{os.environ.get('USER', 'unknown')}"
                    )
                    return revoked is not None
            finally:
                await db.dispose()

        if not asyncio.run(go()):
            raise click.ClickException(f"no platform token {token_id}")
        click.echo(f"revoked {token_id}")


# ---- openapi ----------------------------------------------------------------------------------------


def openapi_document() -> dict[str, Any]:
    from service.app import create_app

    settings = Settings(
        database_url="postgresql://unused@localhost/unused", migration_database_url=None, secret_key=bytes(32)
    )
    app = create_app(settings)
    schema: dict[str, Any] = app.openapi_schema.to_schema()
    return schema


def render_openapi() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@main.group()
def openapi() -> None:
    """The OpenAPI document."""


@openapi.command("export")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--check", is_flag=True, help="Exit 1 when the committed document differs from the code's.")
def openapi_export(output: Path | None, check: bool) -> None:
    """Write the OpenAPI document generated from the code (default: openapi/openapi.json)."""
    target = output or (_settings().home / "openapi" / "openapi.json")
    rendered = render_openapi()
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != rendered:
            raise click.ClickException(
                f"{target} is out of date with the code: run `make openapi` (koshiki openapi export) and commit it"
            )
        click.echo(f"{target} matches the code")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(rendered, encoding="utf-8")
    click.echo(f"wrote {target}")


# ---- db ----------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database."""


@db.command("url")
@click.option("--owner", is_flag=True, help="The owner (migration) role's URL instead of the application's.")
def db_url(owner: bool) -> None:
    """Print the database URL in use (starting the embedded server if needed, and leaving it running)."""
    with database(_settings(), keep_running=True) as settings:
        url = settings.require_migration_url() if owner else settings.require_database_url()
        click.echo(plain_url(url))


@db.command("bootstrap")
@click.argument("admin_url")
@click.option("--database", "database_name", default="koshiki", show_default=True)
@click.option("--owner-password", envvar="KOSHIKI_OWNER_PASSWORD", default=None)
@click.option("--app-password", envvar="KOSHIKI_APP_PASSWORD", default=None)
def db_bootstrap(admin_url: str, database_name: str, owner_password: str | None, app_password: str | None) -> None:
    """Create the database and the koshiki_owner, koshiki_app and koshiki_definer roles, given a
    superuser's URL. Prints the DATABASE_URL and MIGRATION_DATABASE_URL to use."""
    from service.kit.dbadmin import bootstrap

    app_url, owner_url = asyncio.run(
        bootstrap(admin_url, database_name, owner_password=owner_password, app_password=app_password)
    )
    # Passwords stay out of the output (and so out of logs); put them in where it shows ***.
    click.echo(f"DATABASE_URL={describe_url(app_url)}\nMIGRATION_DATABASE_URL={describe_url(owner_url)}")


# ---- users and keys --------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Platform-operator users."""


@users.command("create-operator")
@click.option("--login-id", required=True)
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
def users_create_operator(login_id: str, email: str, display_name: str) -> None:
    """A platform operator who logs in with a password. The temporary password is printed once."""
    from service.identity.passwords import Passwords
    from service.kit.actor import acting_as, system
    from service.users.service import create_operator

    with database(_settings()) as settings:

        async def go() -> str:
            db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli")
            try:
                with acting_as(system("cli:users create-operator")):
                    async with db.unit_of_work() as session:
                        await set_platform(session)
                        _, password = await create_operator(
                            session,
                            SystemClock(),
                            login_id=login_id,
                            email=email,
                            display_name=display_name,
                            passwords=Passwords(settings),
                        )
            finally:
                await db.dispose()
            return password

        try:
            password = asyncio.run(go())
        except Exception as exc:
            raise click.ClickException(f"could not create the operator: {exc}") from exc
        click.echo("temporary password (shown once; change it at the first login):", err=True)
        click.echo(password)


@main.group()
def keys() -> None:
    """Access-token signing keys."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Sign new access tokens with a new key. The old key stays published (and accepted) until the
    tokens it signed have expired."""
    from service.kit.jwt import KeyRing

    with database(_settings()) as settings:

        async def go() -> str:
            db = Database(settings.require_database_url(), pool_size=1, name="koshiki-cli")
            try:
                ring = KeyRing(
                    db,
                    SystemClock(),
                    settings.require_secret_key(),
                    issuer=settings.jwt_issuer,
                    audience=settings.jwt_audience,
                    access_ttl=settings.access_token_ttl,
                )
                return await ring.rotate()
            finally:
                await db.dispose()

        click.echo(f"new signing key {asyncio.run(go())}")


# ---- permissions ----------------------------------------------------------------------------------------


README_MARKS = ("<!-- permissions: generated by `koshiki permissions --readme` -->", "<!-- /permissions -->")


def permission_table() -> str:
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for name, (holders, ja, en) in MATRIX.items():
        marks = " | ".join("✓" if r in holders else "" for r in roles)
        lines.append(f"| `{name.value}` {ja} / {en} | {marks} |")
    return "\n".join(lines)


@main.command()
@click.option("--readme", is_flag=True, help="Write it into README.md, between its permission markers.")
def permissions(readme: bool) -> None:
    """Print the permission matrix (Markdown), generated from the code's single table."""
    table = permission_table()
    if not readme:
        click.echo(table)
        return
    path = _settings().home / "README.md"
    text = path.read_text(encoding="utf-8")
    start, end = README_MARKS
    if start not in text or end not in text:
        raise click.ClickException(f"README.md has no {start} … {end} markers")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(f"{before}{start}\n{table}\n{end}{after}", encoding="utf-8")
    click.echo(f"wrote the permission matrix into {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
