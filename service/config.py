"""Settings, read once from the environment.

Every variable is listed in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def project_home() -> Path:
    """The directory holding `tenants/`, `migrations/` and `.data/`.

    `KOSHIKI_HOME` wins (the Docker image sets it); otherwise the checkout this package sits in.
    """
    if home := os.environ.get("KOSHIKI_HOME"):
        return Path(home).resolve()
    return Path(__file__).resolve().parent.parent


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bounded(name: str, default: int, low: int, high: int) -> int:
    value = _int(name, default, minimum=low)
    if value > high:
        raise ConfigError(f"{name} must be at most {high}, got {value}")
    return value


def _secret_key() -> bytes | None:
    raw = os.environ.get("KOSHIKI_SECRET_KEY")
    if not raw:
        return None
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ConfigError("KOSHIKI_SECRET_KEY must be base64 (e.g. `openssl rand -base64 32`)") from exc
    if len(key) != 32:
        raise ConfigError(f"KOSHIKI_SECRET_KEY must decode to 32 bytes, got {len(key)}")
    return key


_OFFSET = re.compile(r"^(?P<sign>[+-]?)(?P<amount>\d+)(?P<unit>[smhd])$")


def _offset(raw: str | None) -> dt.timedelta | None:
    """CLOCK_OFFSET such as `+130d`, `-2h`, `90m`: moves the service's clock (development demos only)."""
    if not raw:
        return None
    match = _OFFSET.match(raw.strip())
    if not match:
        raise ConfigError(f"CLOCK_OFFSET must look like +130d, -2h or 90m, got {raw!r}")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match["unit"]]
    delta = dt.timedelta(**{unit: int(match["amount"])})
    return -delta if match["sign"] == "-" else delta


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    # The application role: neither owner, superuser nor BYPASSRLS (checked at start-up).
    database_url: str | None
    # The owner role, used only for migrations.
    migration_database_url: str | None
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    # Proxies (addresses or networks, or "*") whose X-Forwarded-For / X-Forwarded-Proto are trusted.
    # Empty by default: the client address is the connection's, and no caller can choose its own.
    forwarded_allow_ips: tuple[str, ...] = ()
    log_level: str = "INFO"
    db_pool_size: int = 10
    db_max_overflow: int = 0
    db_read_pool_size: int = 10
    embedded_pg_port: int = 54329
    home: Path = field(default_factory=project_home)
    # Identity. KOSHIKI_SECRET_KEY encrypts the JWT signing keys at rest (32 bytes, base64).
    secret_key: bytes | None = None
    jwt_issuer: str = "koshiki"
    jwt_audience: str = "koshiki-api"
    access_token_ttl: int = 600
    refresh_token_ttl_days: int = 14
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    login_lockout_seconds: int = 900
    # The queue. No BROKER_URL: an in-process broker, workers and scheduler inside the API process.
    broker_url: str | None = None
    queue_prefix: str = ""
    queue_min_backoff_ms: int = 5_000
    queue_max_backoff_ms: int = 600_000
    # A message sent and not processed within this long is sent again (the wait doubles each time).
    queue_resend_after_ms: int = 600_000
    redis_heartbeat_ms: int = 60_000
    worker_threads: int = 4
    # Run workers and the scheduler inside the API process (default: when there is no BROKER_URL).
    run_background: bool | None = None
    sweep_interval_seconds: float = 5.0
    # The sweep leader's lease: a leader silent this long is replaced (at least two sweep intervals).
    scheduler_lease_seconds: float = 30.0
    clock_offset: dt.timedelta | None = None
    # Notifications.
    smtp_url: str | None = None
    mail_from: str = "Koshiki <no-reply@koshiki.example>"
    webhook_allow_private: bool = False
    # The public register and verification: per-address request budget and cache lifetime.
    public_rate_per_minute: int = 120
    public_cache_seconds: int = 60
    # Modules bootstrapped after the service's own domains (KOSHIKI_EXTRA_MODULES): tests, benchmarks.
    extra_modules: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> Settings:
        environment = os.environ.get("KOSHIKI_ENV", "development").strip().lower()
        if environment not in {"development", "production", "test"}:
            raise ConfigError(f"KOSHIKI_ENV must be development, production or test, got {environment!r}")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            migration_database_url=os.environ.get("MIGRATION_DATABASE_URL") or None,
            environment=environment,
            host=os.environ.get("HOST", "127.0.0.1"),
            port=_int("PORT", 8000, minimum=1),
            public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            cors_origins=_list("CORS_ORIGINS"),
            max_body_bytes=_int("MAX_BODY_BYTES", 1_048_576, minimum=1024),
            forwarded_allow_ips=_list("FORWARDED_ALLOW_IPS"),
            log_level=os.environ.get("LOG_LEVEL", "INFO").upper(),
            db_pool_size=_int("DB_POOL_SIZE", 10, minimum=1),
            db_max_overflow=_int("DB_MAX_OVERFLOW", 0),
            db_read_pool_size=_int("DB_READ_POOL_SIZE", 10, minimum=1),
            embedded_pg_port=_int("EMBEDDED_PG_PORT", 54329, minimum=1),
            secret_key=_secret_key(),
            jwt_issuer=os.environ.get("JWT_ISSUER", "koshiki"),
            jwt_audience=os.environ.get("JWT_AUDIENCE", "koshiki-api"),
            access_token_ttl=_bounded("ACCESS_TOKEN_TTL_SECONDS", 600, 300, 900),
            refresh_token_ttl_days=_bounded("REFRESH_TOKEN_TTL_DAYS", 14, 1, 90),
            # OWASP's floor for argon2id is 19 MiB with 2 passes; the defaults are RFC 9106's.
            password_time_cost=_bounded("PASSWORD_HASH_TIME_COST", 3, 2, 20),
            password_memory_kib=_bounded("PASSWORD_HASH_MEMORY_KIB", 65536, 19456, 4_194_304),
            password_parallelism=_bounded("PASSWORD_HASH_PARALLELISM", 4, 1, 64),
            login_max_failures_per_account=_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, minimum=1),
            login_max_failures_per_address=_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1),
            login_window_seconds=_int("LOGIN_WINDOW_SECONDS", 900, minimum=1),
            login_lockout_seconds=_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1),
            broker_url=os.environ.get("BROKER_URL") or None,
            queue_prefix=os.environ.get("QUEUE_PREFIX", ""),
            queue_min_backoff_ms=_int("QUEUE_MIN_BACKOFF_MS", 5_000, minimum=1),
            queue_max_backoff_ms=_int("QUEUE_MAX_BACKOFF_MS", 600_000, minimum=1),
            queue_resend_after_ms=_int("QUEUE_RESEND_AFTER_MS", 600_000, minimum=1000),
            redis_heartbeat_ms=_int("REDIS_HEARTBEAT_MS", 60_000, minimum=1000),
            worker_threads=_int("WORKER_THREADS", 4, minimum=1),
            sweep_interval_seconds=float(_int("SWEEP_INTERVAL_MS", 5000, minimum=100)) / 1000,
            scheduler_lease_seconds=float(_int("SCHEDULER_LEASE_MS", 30_000, minimum=1000)) / 1000,
            clock_offset=_offset(os.environ.get("CLOCK_OFFSET")),
            smtp_url=os.environ.get("SMTP_URL") or None,
            mail_from=os.environ.get("MAIL_FROM", "Koshiki <no-reply@koshiki.example>"),
            # Outside production, webhooks may target private addresses (a local test receiver).
            webhook_allow_private=os.environ.get("WEBHOOK_ALLOW_PRIVATE", "").lower() in {"1", "true", "yes"}
            or environment != "production",
            public_rate_per_minute=_int("PUBLIC_RATE_PER_MINUTE", 120, minimum=1),
            public_cache_seconds=_bounded("PUBLIC_CACHE_SECONDS", 60, 0, 3600),
            extra_modules=_list("KOSHIKI_EXTRA_MODULES"),
        )

    def with_database(self, database_url: str, migration_database_url: str) -> Settings:
        return replace(self, database_url=database_url, migration_database_url=migration_database_url)

    @property
    def background_in_process(self) -> bool:
        return self.run_background if self.run_background is not None else self.broker_url is None

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::"} else self.host  # noqa: S104 - display only
        return self.public_base_url or f"http://{host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.home / ".data"

    @property
    def tenants_dir(self) -> Path:
        return self.home / "tenants"

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigError(
                "DATABASE_URL is not set. Run `koshiki run` to use the embedded PostgreSQL, "
                "or set DATABASE_URL to the application role's connection URL."
            )
        return self.database_url

    def require_secret_key(self) -> bytes:
        """The key that encrypts signing keys at rest. Outside production a key kept under
        .data/ is made on first use, so `make run` works with no setup."""
        if self.secret_key is not None:
            return self.secret_key
        if self.environment == "production":
            raise ConfigError(
                "KOSHIKI_SECRET_KEY is required in production (32 bytes, base64: `openssl rand -base64 32`)"
            )
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64encode(secrets.token_bytes(32)))
            path.chmod(0o600)
        return base64.b64decode(path.read_bytes())

    def require_migration_url(self) -> str:
        url = self.migration_database_url
        if not url:
            raise ConfigError(
                "MIGRATION_DATABASE_URL is not set: migrations run as the owner role, not the application "
                "role of DATABASE_URL. See the README, 'Database roles'."
            )
        return url
