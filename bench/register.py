"""The register's two hot reads under load, beside a bare Litestar + asyncpg baseline.

    .venv/bin/python -m bench.register        (or: make bench-register)

One Koshiki server process (uvicorn, as `koshiki serve` runs it) and the baseline app
(bench/bare.py) are started by this script on loopback; `wrk` drives each in turn with 32
connections. Printed beside their targets:
1. verification (`GET /v1/public/verify?url=…`, no login) against the baseline's one indexed
   lookup: requests per second (target ≥ 0.8× the baseline) and p99 latency (target < 20 ms);
2. an authenticated 50-account list (`GET /v1/tenants/{id}/accounts?limit=50` with a staff JWT,
   row-level security on) against the baseline's 50-row list (target ≥ 0.6× the baseline);
3. the Koshiki server's peak memory over the whole run (VmHWM; target < 200 MB);
and, for reference, verification on a second server with LOG_LEVEL=WARNING: what the access log
line (one JSON line per request, on by default) costs of the first figure.
Each pair is measured in alternating rounds (BENCH_ROUNDS, default 3, of BENCH_SECONDS, default
10, after a warm-up) and the medians are compared, so both sides see the same machine.

Environment: BENCH_DATABASE_URL (a superuser URL; default TEST_DATABASE_URL, else the embedded
server), BENCH_BROKER_URL (default amqp://guest:guest@127.0.0.1:5672/, as a production API process
has a broker). Needs `wrk` (installed with apt-get when missing and running as root).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.common import BenchDatabase, bench_database, report
from service.kit.clock import SystemClock
from service.kit.db import Database, set_platform
from service.kit.embedded_pg import free_port
from service.kit.permissions import Role, permissions_of
from service.tokens.service import issue_token

BROKER = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 32
TENANTS = 20
ACCOUNTS_PER_TENANT = 500
PASSWORD = "bench-quiet-river-lantern-42"  # noqa: S105 - a throwaway user in a throwaway database


def need_wrk() -> str:
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk with apt-get …")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if found is None:
        sys.exit("bench/register.py needs wrk (https://github.com/wg/wrk): apt-get install wrk, or brew install wrk")
    return found


async def seed(db: BenchDatabase) -> list[tuple[uuid.UUID, str]]:
    """Tenants with a unit and 500 active accounts each; returns (tenant id, slug) pairs."""
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tenants (id, slug, name_ja, name_en, kind, created_at, updated_at) "
                "SELECT gen_random_uuid(), 'bench-' || i, '団体' || i, 'Agency ' || i, 'other', now(), now() "
                "FROM generate_series(1, :n) i"
            ),
            {"n": TENANTS},
        )
        await conn.execute(
            text(
                "INSERT INTO units (id, tenant_id, code, name_ja, name_en, created_at, updated_at) "
                "SELECT gen_random_uuid(), id, 'koho', '広報課', 'Public Relations', now(), now() FROM tenants"
            )
        )
        await conn.execute(
            text(
                """
                INSERT INTO accounts (id, tenant_id, unit_id, platform, handle, account_key, canonical_url,
                                      display_name, purpose, operating_body, status, opened_on, created_at, updated_at)
                SELECT gen_random_uuid(), t.id, u.id, 'x', 'b' || t.n || '_' || i, 'x:handle:b' || t.n || '_' || i,
                       'https://x.com/b' || t.n || '_' || i, '広報アカウント ' || i, '市政情報の発信', 'direct',
                       'active', DATE '2025-04-01', now(), now()
                  FROM (SELECT id, substr(slug, 7)::int AS n FROM tenants) t
                  JOIN units u ON u.tenant_id = t.id
                 CROSS JOIN generate_series(1, :per) i
                """
            ),
            {"per": ACCOUNTS_PER_TENANT},
        )
        rows = (await conn.execute(text("SELECT id, slug FROM tenants ORDER BY slug"))).all()
        await conn.execute(text("ANALYZE"))
    return [(r.id, r.slug) for r in rows]


async def platform_token(db: BenchDatabase) -> str:
    database = Database(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with database.unit_of_work() as session:
            await set_platform(session)
            _, secret = await issue_token(
                session,
                SystemClock(),
                role=Role.PLATFORM_OPERATOR,
                tenant_id=None,
                name="bench",
                scopes=permissions_of(Role.PLATFORM_OPERATOR),
                expires_at=SystemClock().now() + dt.timedelta(hours=2),
                created_by="bench",
            )
    finally:
        await database.dispose()
    return secret


async def staff_jwt(base: str, platform: str, tenant_id: uuid.UUID) -> str:
    """A general administrator's access token, the way a front end gets one."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        login_id = f"bench-{secrets.token_hex(3)}"
        created = await http.post(
            f"/v1/tenants/{tenant_id}/users",
            json={"login_id": login_id, "email": f"{login_id}@example.jp", "display_name": "bench",
                  "roles": ["general_administrator"]},
            headers={"Authorization": f"Bearer {platform}"},
        )  # fmt: skip
        created.raise_for_status()
        first = (
            await http.post(
                "/v1/auth/login", json={"login": login_id, "password": created.json()["temporary_password"]}
            )
        ).json()
        changed = await http.post(
            "/v1/me/password",
            json={"current_password": created.json()["temporary_password"], "new_password": PASSWORD},
            headers={"Authorization": f"Bearer {first['access_token']}"},
        )
        changed.raise_for_status()
        tokens = (await http.post("/v1/auth/login", json={"login": login_id, "password": PASSWORD})).json()
        return str(tokens["access_token"])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A server whose output (Koshiki's JSON access log among it) goes to a file, as in production
    it goes to a collector: a pipe nobody reads would stall the server once full."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}; see its log")
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within 60 s")


_LATENCY = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def wrk(
    binary: str, url: str, seconds: int, headers: dict[str, str] | None = None, script: str | None = None
) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of one wrk run; a non-2xx answer fails the bench.
    `script`: a wrk Lua script's path (a POST's method and body: wrk has no option for them)."""
    command = [binary, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command += ["-s", script]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if errors := _NON_2XX.search(output):
        raise RuntimeError(f"{errors.group(1)} non-2xx answers from {url}:\n{output}")
    rps = float(_RPS.search(output).group(1))  # type: ignore[union-attr]
    value, unit = _LATENCY.search(output).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99


def compare(
    binary: str, ours: tuple[str, dict[str, str]], bare: tuple[str, dict[str, str]], script: str | None = None
) -> dict[str, list[tuple[float, float]]]:
    """Both sides in alternating rounds; `script` (a wrk Lua script, e.g. a POST body) drives both."""
    for url, headers in (ours, bare):
        wrk(binary, url, 3, headers, script)  # warm-up: connections, caches, the JIT-less interpreter's dicts
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}
    for round_ in range(ROUNDS):
        order = [("ours", ours), ("bare", bare)]
        for name, (url, headers) in order if round_ % 2 == 0 else reversed(order):
            runs[name].append(wrk(binary, url, SECONDS, headers, script))
    return runs


def koshiki(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """One Koshiki API process, started the way `koshiki run` starts uvicorn."""
    command = [sys.executable, "-m", "uvicorn", "service.asgi:app_factory", "--factory", "--port", str(port),
               "--no-access-log", "--log-level", "warning", "--no-server-header"]  # fmt: skip
    return start(command, env, log)


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def median(runs: list[tuple[float, float]], index: int) -> float:
    return statistics.median(r[index] for r in runs)


async def main() -> None:
    binary = need_wrk()
    async with bench_database() as db:
        tenants = await seed(db)
        ours_port, bare_port = free_port(), free_port()
        logs = Path(tempfile.mkdtemp(prefix="koshiki-bench-"))
        print(f"server logs: {logs}")
        env = {
            **os.environ,
            "DATABASE_URL": db.app_url,
            "KOSHIKI_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "KOSHIKI_ENV": "production",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{ours_port}",
            "BROKER_URL": BROKER,
            "QUEUE_PREFIX": f"bench-{secrets.token_hex(3)}-",
            "PUBLIC_RATE_PER_MINUTE": str(10**9),  # one address (wrk's) is the whole load here
            "PASSWORD_HASH_MEMORY_KIB": "19456",
        }
        ours = koshiki(ours_port, env, logs / "koshiki.log")
        bare = start(
            [sys.executable, "-m", "uvicorn", "bench.bare:app", "--port", str(bare_port), "--no-access-log",
             "--log-level", "warning", "--no-server-header"],
            {**os.environ, "BARE_DATABASE_URL": db.owner_url},
            logs / "bare.log",
        )  # fmt: skip
        try:
            base, bare_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{bare_port}"
            await wait_ready(f"{base}/readyz", ours)
            await wait_ready(f"{bare_base}/verify?key=x", bare)
            tenant_id, slug = tenants[2]
            n = slug.removeprefix("bench-")
            jwt = await staff_jwt(base, await platform_token(db), tenant_id)

            print(f"verification: {ROUNDS} rounds of {SECONDS} s, {CONNECTIONS} connections")
            verify = compare(
                binary,
                (f"{base}/v1/public/verify?url=https%3A%2F%2Ftwitter.com%2FB{n}_250%3Fs%3D20", {}),
                (f"{bare_base}/verify?key=x:handle:b{n}_250", {}),
            )
            print(f"authenticated 50-account list: {ROUNDS} rounds of {SECONDS} s")
            listing = compare(
                binary,
                (f"{base}/v1/tenants/{tenant_id}/accounts?limit=50", {"Authorization": f"Bearer {jwt}"}),
                (f"{bare_base}/accounts?tenant={tenant_id}", {}),
            )
            memory = peak_mb(ours.pid)
            stop(ours)
            print(f"verification without the access log: {ROUNDS} rounds of {SECONDS} s")
            quiet_port = free_port()
            quiet = koshiki(quiet_port, {**env, "LOG_LEVEL": "WARNING"}, logs / "koshiki-quiet.log")
            await wait_ready(f"http://127.0.0.1:{quiet_port}/readyz", quiet)
            verify_url = f"/v1/public/verify?url=https%3A%2F%2Ftwitter.com%2FB{n}_250%3Fs%3D20"
            wrk(binary, f"http://127.0.0.1:{quiet_port}{verify_url}", 3)
            unlogged = [wrk(binary, f"http://127.0.0.1:{quiet_port}{verify_url}", SECONDS) for _ in range(ROUNDS)]
            stop(quiet)
        finally:
            for process in (ours, bare):
                if process.poll() is None:
                    stop(process)

    v_ours, v_bare = median(verify["ours"], 0), median(verify["bare"], 0)
    l_ours, l_bare = median(listing["ours"], 0), median(listing["bare"], 0)
    p99 = median(verify["ours"], 1)
    v_quiet = median(unlogged, 0)
    for name, runs in (("verify", verify), ("list", listing)):
        for side, figures in runs.items():
            print(f"  {name:6} {side:4} " + "  ".join(f"{rps:8,.0f}/s p99 {lat:6.1f} ms" for rps, lat in figures))
    report(
        [
            ("verification, requests/s (bare asyncpg lookup)", f"{v_ours:,.0f} ({v_bare:,.0f})", "—", None),
            ("verification / bare", f"{v_ours / v_bare:.2f}×", "≥ 0.8×", v_ours / v_bare >= 0.8),
            ("verification p99", f"{p99:.1f} ms", "< 20 ms", p99 < 20),
            ("50-account list, requests/s (bare 50 rows)", f"{l_ours:,.0f} ({l_bare:,.0f})", "—", None),
            ("50-account list / bare", f"{l_ours / l_bare:.2f}×", "≥ 0.6×", l_ours / l_bare >= 0.6),
            ("server peak memory", f"{memory:.0f} MB", "< 200 MB", memory < 200),
            (
                "(reference) verification, access log off / bare",
                f"{v_quiet / v_bare:.2f}× ({v_quiet:,.0f}/s)",
                "—",
                None,
            ),
        ]
    )


if __name__ == "__main__":
    asyncio.run(main())
