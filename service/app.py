"""The Litestar application: routes, error handling, middleware, OpenAPI."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, OpenAPIFormat, OpenAPIType, Reference, Schema, SecurityScheme, Tag
from litestar.types import ASGIApp, ControllerRouterHandler

from service.accounts.routes import AccountController, WarningController
from service.agreements.routes import AgreementController
from service.applications.routes import ApplicationController
from service.audit.routes import PlatformAuditController, TenantAuditController
from service.bootstrap import bootstrap
from service.closures.routes import ClosureController, ImmediateClosureController
from service.compliance.routes import ComplianceController
from service.config import Settings
from service.deadletters.routes import DeadLetterController
from service.deadlines.routes import DeadlineController
from service.events.routes import EventController
from service.guidelines.routes import GuidelineController, guideline_schema
from service.health.routes import healthz, readyz
from service.identity.passwords import Passwords
from service.identity.routes import AuthController, jwks
from service.identity.service import Identity
from service.imports.routes import ImportController
from service.incidents.routes import IncidentController
from service.kit.auth import AuthenticationMiddleware
from service.kit.clock import Clock, SystemClock
from service.kit.db import Database, role_problems
from service.kit.deps import DEPENDENCIES
from service.kit.errors import PROBLEM_TYPES, TYPE_PREFIX, Msg, ProblemError
from service.kit.http import BoundedRequest, parameter_screen
from service.kit.jwt import KeyRing
from service.kit.logging import request_middleware
from service.kit.migrate import head_revision
from service.kit.problems import handle_exception
from service.kit.queue import QueueSettings, Relay, Runtime, broker_for, install, set_runtime
from service.kit.ratelimit import RateLimiter
from service.monitoring.routes import MonitoringController, ReviewController
from service.notifications.routes import MailController
from service.posts.routes import PostCheckController, PostController, PostReviewController
from service.register.routes import PublicRegisterController
from service.renewals.routes import DeclarationController
from service.scheduler import Scheduler
from service.security.routes import PasswordChangeController, PasswordPolicyController
from service.tenants.routes import TenantController, UnitController, provide_current_tenant
from service.tokens.routes import ApiTokenController
from service.training.routes import AcknowledgementController, TrainingSessionController
from service.users.routes import MeController, UsersController
from service.webhooks.routes import WebhookController, WebhookDeliveryController

API_VERSION = "0.1.0"
# Young-generation collections every 10,000 allocations instead of 700: a request allocates a
# few hundred objects, nearly all freed by reference counting, so frequent passes found little.
GC_THRESHOLDS = (10_000, 10, 10)

ROUTES: list[ControllerRouterHandler] = [
    healthz,
    readyz,
    guideline_schema,
    jwks,
    AuthController,
    MeController,
    TenantController,
    UnitController,
    GuidelineController,
    UsersController,
    ApiTokenController,
    TenantAuditController,
    PlatformAuditController,
    EventController,
    DeadlineController,
    MailController,
    WebhookController,
    WebhookDeliveryController,
    DeadLetterController,
    AccountController,
    WarningController,
    ApplicationController,
    ClosureController,
    ImmediateClosureController,
    DeclarationController,
    PasswordPolicyController,
    PasswordChangeController,
    MonitoringController,
    ReviewController,
    IncidentController,
    AgreementController,
    AcknowledgementController,
    TrainingSessionController,
    PostController,
    PostCheckController,
    PostReviewController,
    ImportController,
    ComplianceController,
    PublicRegisterController,
]

DESCRIPTION = f"""
Koshiki keeps each public agency's guideline configuration, the register of its official social
media accounts, its contractor agreements and its closure workflows.

**Authentication.** Send `Authorization: Bearer <token>`: an access token from `POST /v1/auth/login`
(staff; refresh with `POST /v1/auth/refresh`), or an API token (`koshiki_…`) issued to an agency
system (`POST /v1/tenants/{{tenant_id}}/api-tokens`) or to a platform operator (`koshiki tokens create`).
Access tokens are EdDSA JWTs verifiable with `/.well-known/jwks.json`.

**Errors** are RFC 9457 problem details (`application/problem+json`), in Japanese by default or
English with `Accept-Language: en`. The `type` of each is one of:
{chr(10).join(f"- `{TYPE_PREFIX}{name}` ({status})" for name, status in PROBLEM_TYPES.items())}

Validation errors list every violation in `errors`, each with a JSON Pointer (`pointer`) into the
body or the name of the query/path `parameter`. Every response carries `X-Request-ID`.

**Concurrency.** Reads of a single resource return an `ETag`; updates need `If-Match` with it
(428 without, 412 when someone changed it meanwhile). Creating requests accept `Idempotency-Key`.

**Lists** are cursor-paginated: pass `next_cursor` back as `cursor` until it is null.
"""


class KoshikiApp(Litestar):
    def _create_asgi_handler(self) -> ASGIApp:
        # Wrap the whole handler, router included, so unknown routes and CORS preflights also
        # get a request id and an access-log line (route-level middleware would miss them).
        return request_middleware(super()._create_asgi_handler())


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Koshiki API",
        version=API_VERSION,
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A `koshiki_…` API token (or, for staff, an access JWT).",
                )
            }
        ),
        security=[{"bearer": []}],
        tags=[
            Tag(name="Operations", description="Probes for load balancers and orchestrators."),
            Tag(name="Tenants", description="Public agencies (platform operators create them)."),
            Tag(name="Units", description="Divisions inside a tenant that own accounts (所属)."),
            Tag(name="Guideline configuration", description="Each tenant's own rules, versioned."),
            Tag(name="Authentication", description="Staff logins: access JWTs and rotating refresh tokens."),
            Tag(name="Users", description="Staff and contractor users; the caller (/v1/me)."),
            Tag(name="API tokens", description="Tokens for the agency's own systems, scoped and expiring."),
            Tag(name="Audit trail", description="Every change, who made it and when; append-only."),
            Tag(name="Events and notifications", description="What happened, deadlines, and the mail it caused."),
            Tag(name="Webhooks", description="Signed deliveries of events to agency systems."),
            Tag(name="Official accounts", description="The register of each agency's accounts, as its staff keep it."),
            Tag(name="Applications", description="New accounts, changes and closures, and their approval (別紙様式)."),
            Tag(
                name="Closures",
                description="The grace period before an account closes: announcements, steps, withdrawal.",
            ),
            Tag(name="Renewals", description="Each account's yearly continuation declaration (継続希望)."),
            Tag(
                name="Account security",
                description="Passwords of the accounts: checked, changes recorded, never stored.",
            ),
            Tag(
                name="Monitoring",
                description="Looks at posts and comments, and periodic reviews, at the tenant's intervals.",
            ),
            Tag(
                name="Incidents",
                description="Flaming, impersonation, takeover, unauthorised access: timeline and outcome.",
            ),
            Tag(
                name="Contractor agreements",
                description="業務委託・指定管理: required clauses, covered accounts, login IDs, the end.",
            ),
            Tag(
                name="Acknowledgements and training",
                description="Staff acknowledging the guideline version in force; training sessions held.",
            ),
            Tag(name="Imports", description="An agency's existing register and records brought in at once."),
            Tag(name="Public register", description="For anyone, no login: each agency's register, and verification."),
        ],
        use_handler_docstrings=True,
    )


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """415 for a body that is not JSON, on every route that reads one."""
    if request.method not in {"POST", "PUT", "PATCH"} or request.route_handler.parsed_data_field is None:
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return
    raise ProblemError(
        "unsupported-media-type", Msg("detail.unsupported-media-type", {"received": media_type or "(none)"})
    )


# Schema fields that hold schemas, lists of schemas, or maps of names to schemas.
_SUBSCHEMA = {"schema_not", "schema_if", "then", "schema_else", "items", "contains", "property_names",
              "unevaluated_items", "unevaluated_properties", "content_schema", "additional_properties"}  # fmt: skip
_SUBSCHEMAS = {"all_of", "any_of", "one_of", "prefix_items"}
_SCHEMA_MAPS = {"properties", "pattern_properties", "dependent_schemas"}
_SCHEMA_FIELDS = {
    (f.metadata.get("alias") or ("$ref" if f.name == "ref" else f.name)): f.name for f in dataclasses.fields(Schema)
}


def _field_name(key: str) -> str:
    if key in _SCHEMA_FIELDS:
        return _SCHEMA_FIELDS[key]
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    if name not in {f.name for f in dataclasses.fields(Schema)}:
        raise ValueError(f"no OpenAPI schema field for JSON Schema keyword {key!r}")
    return name


def openapi_schema(document: dict[str, Any]) -> Schema | Reference:
    """A JSON Schema (as msgspec writes it) as Litestar's OpenAPI objects."""
    if "$ref" in document:
        return Reference(ref=document["$ref"])
    values: dict[str, Any] = {}
    for key, value in document.items():
        name = _field_name(key)
        if name in _SUBSCHEMA and isinstance(value, dict):
            values[name] = openapi_schema(value)
        elif name in _SUBSCHEMAS:
            values[name] = [openapi_schema(v) for v in value]
        elif name in _SCHEMA_MAPS:
            values[name] = {k: openapi_schema(v) for k, v in value.items()}
        elif name == "type":
            values[name] = [OpenAPIType(v) for v in value] if isinstance(value, list) else OpenAPIType(value)
        elif name == "format":
            values[name] = OpenAPIFormat(value) if value in {f.value for f in OpenAPIFormat} else value
        else:
            values[name] = value
    return Schema(**values)


# What the decoder reads for each string format, as a pattern beside the format: in OpenAPI 3.1 a
# format is only an annotation, so a client (or a fuzzer) that honours the schema alone would send
# "" for a date-time and count its refusal as a bug. A date-time may leave out its offset (UTC is
# meant), as the decoder allows.
_DATE = r"(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
FORMAT_PATTERNS = {
    "date": f"^{_DATE}$",
    "date-time": f"^{_DATE}[Tt ](?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{{1,9}})?(?:[Zz]|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)?$",
    "uuid": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}


def _pattern_formats(value: Any) -> None:
    """Give every string schema with a format the decoder checks its pattern, anywhere in the document."""
    if isinstance(value, Schema):
        fmt = getattr(value.format, "value", value.format)
        if isinstance(fmt, str) and fmt in FORMAT_PATTERNS and value.pattern is None:
            value.pattern = FORMAT_PATTERNS[fmt]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _pattern_formats(getattr(value, item.name))
    elif isinstance(value, dict):
        for item in value.values():
            _pattern_formats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _pattern_formats(item)


def _request_bodies(app: Litestar) -> list[Any]:
    """The type of every JSON body a handler reads."""
    found: dict[str, Any] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            data_field = getattr(handler, "parsed_data_field", None)
            if data_field is not None:
                found.setdefault(repr(data_field.annotation), data_field.annotation)
    return [found[key] for key in sorted(found)]


def _publish_body_schemas(app: Litestar) -> None:
    """Publish request bodies exactly as they are decoded: each body's component (and those it
    refers to) is the JSON Schema msgspec derives from the type the decoder reads, with every
    constraint, nullable fields' included, and `additionalProperties: false` where unknown fields
    are refused. Litestar's own rendering loses constraints inside `T | None` and list items."""
    schemas = app.openapi_schema.components.schemas
    _, components = msgspec.json.schema_components(_request_bodies(app), ref_template="#/components/schemas/{name}")
    for name, component in components.items():
        published = openapi_schema(component)
        if isinstance(published, Schema):
            schemas[name] = published
    _pattern_formats(app.openapi_schema)


async def _start_background(app: Litestar) -> Callable[[], Awaitable[None]]:
    """Workers and the scheduler inside this process (no BROKER_URL: `make run` needs no other server)."""
    import dramatiq
    from dramatiq.asyncio import get_event_loop_thread

    state = app.state
    install(state.broker, QueueSettings.from_settings(state.settings))
    runtime = Runtime(state.settings, state.clock, state.broker)
    set_runtime(runtime)
    worker = dramatiq.Worker(state.broker, worker_threads=state.settings.worker_threads, worker_timeout=200)
    worker.start()
    stop = asyncio.Event()
    scheduler = Scheduler.configured(state.db, state.clock, state.relay, state.settings)
    running = asyncio.create_task(scheduler.run(stop))

    async def shut_down() -> None:
        stop.set()
        await running
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(runtime.close())
        await asyncio.to_thread(worker.stop)
        set_runtime(None)

    return shut_down


def create_app(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Litestar:
    bootstrap(settings.extra_modules)
    database = db or Database(
        settings.require_database_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        read_pool_size=settings.db_read_pool_size,
        name="koshiki-api",
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with database.sessionmaker() as session:
            problems = await role_problems(session)
        if problems:
            raise RuntimeError(
                "Refusing to serve: " + "; ".join(problems) + ". Row-level security would not protect tenants. "
                "Connect as koshiki_app (README: Database roles)."
            )
        # The JWKS publishes a key from the first moment, not from the first login.
        await keyring.ensure_signing_key()
        background = await _start_background(app) if settings.background_in_process else None
        # What exists now (routes, schemas, mappers, the OpenAPI document) lives as long as the
        # process: moved out of the collector's sight, full collections stop scanning it. Measured
        # under load (bench/register.py), verification's p99 fell from 145 ms to 29 ms.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            if background is not None:
                await background()
            await relay.aclose()
            if db is None:  # a database passed in belongs to the caller
                await database.dispose()

    app = KoshikiApp(
        route_handlers=ROUTES,
        dependencies={**DEPENDENCIES, "current_tenant_id": Provide(provide_current_tenant)},
        exception_handlers={Exception: handle_exception},
        middleware=[
            DefineMiddleware(
                AuthenticationMiddleware,
                exclude=["^/schema", "^/healthz$", "^/readyz$", "^/v1/public/"],
            ),
            # Path and query parameters with U+0000, or query date-times and integers not written
            # as such, are refused here for every route (public ones included).
            parameter_screen,
        ],
        before_request=require_json_body,
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "Accept-Language",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Idempotent-Replayed", "Content-Language"],
            allow_credentials=False,
            max_age=600,
        )
        if settings.cors_origins
        else None,
        openapi_config=_openapi(),
        request_max_body_size=settings.max_body_bytes,
        # JSON bodies nested past MAX_JSON_DEPTH are refused before they are decoded.
        request_class=BoundedRequest,
        lifespan=[lifespan],
        logging_config=None,
        debug=False,
    )
    _publish_body_schemas(app)
    the_clock = clock or SystemClock()
    database.clock = the_clock
    keyring = KeyRing(
        database,
        the_clock,
        settings.require_secret_key(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=settings.access_token_ttl,
    )
    passwords = Passwords(settings)
    queue_config = QueueSettings.from_settings(settings)
    broker = broker_for(queue_config)
    relay = Relay(database, the_clock, broker, queue_config)
    database.relay_kick = relay.kick
    app.state.broker = broker
    app.state.relay = relay
    app.state.db = database
    app.state.clock = the_clock
    app.state.keyring = keyring
    app.state.passwords = passwords
    app.state.identity = Identity(database, the_clock, settings, keyring, passwords)
    app.state.settings = settings
    app.state.public_limiter = RateLimiter(settings.public_rate_per_minute)
    app.state.head_revision = head_revision(settings.home)
    return app
