"""The post workflow's two HTTP hot paths under load, beside the bare Litestar + asyncpg baseline.

    .venv/bin/python -m bench.posts        (or: make bench)

One tenant on 愛媛県's rules (tenants/ehime-pref.json's configuration in force), five units of 20
accounts each, and 100,000 posts in every state of the workflow, 10 % of them waiting for approval
(2,000 across each unit). One Koshiki server process and the baseline app (bench/bare.py) are
started on loopback as bench/register.py starts them; `wrk` drives each in turn with 32
connections, in alternating rounds, and the medians are compared. Printed beside their targets:
1. the check endpoint (`POST /v1/tenants/{id}/post-checks`, an operator of the account): a
   2,000-character post of mixed Japanese text with 20 links, for an X account (so the weighted
   length is counted too), the same body every time, against the baseline decoding it and finding
   nothing (target ≥ 0.5× the baseline);
2. a unit head's approval queue (`GET /v1/tenants/{id}/posts?needs=approval&limit=50`, row-level
   security on) against the baseline's 50-row select of posts awaiting approval (target ≥ 0.6×);
3. the checks in process, median per post (target < 1 ms), from bench/post_checks.py's `measure()`
   when that script is there (the endpoint is then sent that script's post: the same post);
and, for reference, `GET /v1/me` with the operator's token: what any authenticated request costs
(authentication, a transaction, one row, the access log), as a share of each baseline: the most
either ratio could reach were the endpoint's own work free.
The machine's load average is printed before and after: the figures are only as quiet as the
machine was.

Environment: as bench/register.py (BENCH_DATABASE_URL, BENCH_BROKER_URL, BENCH_ROUNDS,
BENCH_SECONDS). BENCH_PROFILE=1 adds, after the measures, a py-spy profile of the Koshiki server
under each load: the functions that take the most of its samples, with their share.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import BenchDatabase, bench_database, report
from bench.register import (
    BROKER,
    CONNECTIONS,
    PASSWORD,
    ROUNDS,
    SECONDS,
    compare,
    koshiki,
    median,
    need_wrk,
    platform_token,
    start,
    stop,
    wait_ready,
    wrk,
)
from service.config import project_home
from service.kit.embedded_pg import free_port
from service.posts.checks import find_urls

UNITS = 5
ACCOUNTS_PER_UNIT = 20
POSTS = 100_000
PROFILE_SECONDS = 15
PROFILE_RATE = 200
# A weekday morning in Tokyo, inside 愛媛県's hours (08:30–17:15): the check finds what is in the
# text, not the clock.
PLANNED_AT = "2026-12-01T10:00:00+09:00"


def ehime() -> dict[str, Any]:
    preset: dict[str, Any] = json.loads((project_home() / "tenants" / "ehime-pref.json").read_text(encoding="utf-8"))
    return preset


# ---- the data -----------------------------------------------------------------------------------------


async def seed_tenant(db: BenchDatabase) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The tenant, its rules in force, its units and their X accounts; returns (tenant, units)."""
    preset = ehime()
    async with db.superuser.begin() as conn:
        tenant_id = uuid.uuid4()
        await conn.execute(
            text(
                "INSERT INTO tenants (id, slug, name_ja, name_en, kind, time_zone, created_at, updated_at) "
                "VALUES (:id, 'bench-ehime', :ja, :en, 'prefecture', 'Asia/Tokyo', now(), now())"
            ),
            {"id": tenant_id, "ja": preset["tenant"]["name_ja"], "en": preset["tenant"]["name_en"]},
        )
        await conn.execute(
            text(
                "INSERT INTO guideline_versions (id, tenant_id, version, document, reason, effective_from, created_by, "
                "created_at) VALUES (gen_random_uuid(), :t, 1, CAST(:doc AS jsonb), 'bench', DATE '2020-04-01', "
                "'bench', now())"
            ),
            {"t": tenant_id, "doc": json.dumps(preset["guideline"]["document"])},
        )
        await conn.execute(
            text(
                "INSERT INTO units (id, tenant_id, code, name_ja, name_en, created_at, updated_at) "
                "SELECT gen_random_uuid(), :t, 'ka-' || u, '課' || u, 'Division ' || u, now(), now() "
                "FROM generate_series(1, :n) u"
            ),
            {"t": tenant_id, "n": UNITS},
        )
        await conn.execute(
            text(
                """
                INSERT INTO accounts (id, tenant_id, unit_id, platform, handle, account_key, canonical_url,
                                      display_name, purpose, operating_body, status, opened_on, created_at, updated_at)
                SELECT gen_random_uuid(), :t, u.id, 'x', 'e_' || u.code || '_' || i, 'x:handle:e_' || u.code || '_' || i,
                       'https://x.com/e_' || u.code || '_' || i, '愛媛の広報 ' || u.code || ' ' || i, '県政情報の発信',
                       'direct', 'active', DATE '2025-04-01', now(), now()
                  FROM units u CROSS JOIN generate_series(1, :per) i
                 WHERE u.tenant_id = :t
                """
            ),
            {"t": tenant_id, "per": ACCOUNTS_PER_UNIT},
        )
        units = list(
            (
                await conn.execute(text("SELECT id FROM units WHERE tenant_id = :t ORDER BY code"), {"t": tenant_id})
            ).scalars()
        )
    return tenant_id, units


async def seed_posts(
    db: BenchDatabase, tenant_id: uuid.UUID, operators: dict[uuid.UUID, tuple[uuid.UUID, str]]
) -> None:
    """Each unit's operator operates its accounts and drafted its posts: 100,000 posts spread over the
    accounts evenly, every hundred in the same mix of states (each state's columns as the workflow
    leaves them; no sign-off rows, which neither measure reads), a post every five minutes for the
    year before now, with time-ordered ids (UUIDv7, as the service makes them: a queue's page is its
    oldest posts)."""
    categories = ehime()["guideline"]["document"]["posting"]["prohibited_content"]["categories"]
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO account_operators (tenant_id, account_id, user_id, assigned_at) "
                "SELECT a.tenant_id, a.id, CAST(o.user_id AS uuid), now() FROM accounts a "
                "JOIN (SELECT * FROM jsonb_to_recordset(CAST(:ops AS jsonb)) AS x(unit_id uuid, user_id text)) o "
                "ON o.unit_id = a.unit_id WHERE a.tenant_id = :t"
            ),
            {
                "t": tenant_id,
                "ops": json.dumps([{"unit_id": str(u), "user_id": str(o)} for u, (o, _) in operators.items()]),
            },
        )
        # k = i % 100 gives the state: 0–9 waiting for approval (the author checked), 10–11 for a second
        # check (range posts), 12 approved and waiting for publication, 13 a draft, 14 rejected,
        # 15 withdrawn, 16–17 range posts published and waiting for the head's review, the rest published.
        await conn.execute(
            text(
                """
                WITH acc AS (
                    SELECT a.id, a.unit_id, row_number() OVER (ORDER BY a.handle) - 1 AS n
                      FROM accounts a WHERE a.tenant_id = :t
                ), ops AS (
                    SELECT * FROM jsonb_to_recordset(CAST(:ops AS jsonb)) AS x(unit_id uuid, user_id uuid, name text)
                ), p AS (
                    SELECT i, i % 100 AS k, now() - (:n - i) * interval '5 minutes' AS at,
                           (i / 100) % (SELECT count(*) FROM acc) AS account_n
                      FROM generate_series(1, :n) i
                ), c AS (
                    SELECT p.*, acc.id AS account_id, ops.user_id, ops.name, md5(p.i::text || random()::text) AS h,
                           jsonb_build_object(
                               'text', '【お知らせ】第' || p.i || '回 県政だより：今週末は松山市で催しがあります。'
                                       || '詳しくは県のホームページ https://www.pref.ehime.jp/page/' || p.i
                                       || '.html をご覧ください。',
                               'links', '[]'::jsonb, 'attachments', '[]'::jsonb, 'category', NULL,
                               'interaction', 'post', 'source', NULL, 'quotation_source', NULL,
                               'contains_quotation', false, 'planned_at', NULL, 'emergency', false,
                               'emergency_reason', NULL) AS content
                      FROM p JOIN acc ON acc.n = p.account_n JOIN ops ON ops.unit_id = acc.unit_id
                )
                INSERT INTO posts (id, tenant_id, account_id, author, author_id, source, by_contractor, state, awaiting,
                                   content, content_hash, planned_at, emergency, in_range, findings, blocking, attested,
                                   submitted_at, approved_at, approved_by, published_at, published_url, published_by,
                                   reason, created_at, updated_at, version, decision)
                SELECT (lpad(to_hex((extract(epoch FROM c.at) * 1000)::bigint), 12, '0') || '7' || substr(c.h, 1, 3)
                        || '8' || substr(c.h, 4, 15))::uuid,
                       :t, c.account_id, c.name, c.user_id, 'operator', false,
                       CASE WHEN k < 12 THEN 'submitted' WHEN k = 12 THEN 'approved' WHEN k = 13 THEN 'draft'
                            WHEN k = 14 THEN 'rejected' WHEN k = 15 THEN 'withdrawn' ELSE 'published' END,
                       CASE WHEN k < 10 THEN 'approval' WHEN k < 12 THEN 'check' WHEN k = 12 THEN 'publication'
                            WHEN k IN (16, 17) THEN 'review' END,
                       c.content, encode(sha256(convert_to(c.content::text, 'UTF8')), 'hex'), NULL, false,
                       k IN (10, 11, 16, 17), '[]'::jsonb, 0,
                       CASE WHEN k = 13 THEN '{}'::text[] ELSE CAST(:attested AS text[]) END,
                       CASE WHEN k <> 13 THEN c.at + interval '1 hour' END,
                       CASE WHEN k = 12 OR k >= 18 THEN c.at + interval '2 hours' END,
                       CASE WHEN k = 12 OR k >= 18 THEN '課長' END,
                       CASE WHEN k >= 16 THEN c.at + interval '3 hours' END,
                       CASE WHEN k >= 16 THEN 'https://x.com/i/status/' || (1800000000000000000 + c.i) END,
                       CASE WHEN k >= 16 THEN c.name END,
                       CASE WHEN k = 14 THEN '表現を見直してください' WHEN k = 15 THEN '催しが中止になったため' END,
                       c.at, c.at + CASE WHEN k >= 16 THEN interval '3 hours' ELSE interval '1 hour' END,
                       CASE WHEN k < 12 OR k = 13 THEN 2 ELSE 4 END,
                       CASE WHEN k >= 16 THEN 'approved' END
                  FROM c
                """
            ),
            {
                "t": tenant_id,
                "n": POSTS,
                "ops": json.dumps(
                    [{"unit_id": str(u), "user_id": str(o), "name": name} for u, (o, name) in operators.items()]
                ),
                "attested": categories,
            },
        )
        await conn.execute(text("ANALYZE"))


async def create_user(
    http: httpx.AsyncClient, platform: str, tenant_id: uuid.UUID, roles: list[str], unit_id: uuid.UUID | None
) -> tuple[uuid.UUID, str, str, str]:
    """A member of staff, made the way an administrator makes one: (id, login, temporary password, name)."""
    login_id = f"bench-{secrets.token_hex(3)}"
    name = f"職員 {login_id[-6:]}"
    created = await http.post(
        f"/v1/tenants/{tenant_id}/users",
        json={"login_id": login_id, "email": f"{login_id}@example.jp", "display_name": name, "roles": roles,
              "unit_id": str(unit_id) if unit_id else None},
        headers={"Authorization": f"Bearer {platform}"},
    )  # fmt: skip
    created.raise_for_status()
    body = created.json()
    return uuid.UUID(body["user"]["id"]), login_id, body["temporary_password"], name


async def access_token(http: httpx.AsyncClient, login_id: str, temporary: str) -> str:
    """The first login, the forced password change, the login a front end then makes."""
    first = (await http.post("/v1/auth/login", json={"login": login_id, "password": temporary})).json()
    changed = await http.post(
        "/v1/me/password",
        json={"current_password": temporary, "new_password": PASSWORD},
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    changed.raise_for_status()
    tokens = (await http.post("/v1/auth/login", json={"login": login_id, "password": PASSWORD})).json()
    return str(tokens["access_token"])


# ---- the post checked ------------------------------------------------------------------------------------

SENTENCES = (
    "県では、令和8年度の防災訓練を各市町と連携して実施します。",
    "参加を希望される方は、お住まいの市町の窓口へ事前にお申し込みください。",
    "当日は雨天でも実施しますので、動きやすい服装でお越しください。",
    "みきゃんも会場に登場します！お子さま連れの方もぜひどうぞ。",
    "The event is open to everyone; English guidance is available at the venue.",
    "松山・今治・宇和島の3会場で、10時から15時まで開催します。",
    "駐車場には限りがありますので、公共交通機関をご利用ください。",
    "しまなみ海道サイクリングの最新情報もあわせてお知らせします。",
)


def check_body(account_id: uuid.UUID) -> tuple[dict[str, Any], str]:
    """The post checked, as JSON, and where it comes from: bench/post_checks.py's, when that script is
    there (the HTTP figure then sits beside the in-process one for the same post), else this script's."""
    try:
        from bench.post_checks import AT, sample_post  # optional: written alongside this script
    except ImportError:
        return {**own_post(), "account_id": str(account_id)}, "bench/posts.py's post"
    content = msgspec.to_builtins(sample_post())
    return {**content, "planned_at": AT.isoformat(), "account_id": str(account_id)}, "bench/post_checks.py's post"


def own_post() -> dict[str, Any]:
    """A 2,000-character post of mixed Japanese (kanji, kana, ASCII, full-width punctuation) with 20
    links in its text: the prefecture's own pages and outside sites said to be outside, alternately."""
    parts: list[str] = []
    for i in range(20):
        if i % 2 == 0:
            link = f"詳しくは県HP https://www.pref.ehime.jp/site/bousai/{1000 + i}.html へ。"
        else:
            link = f"外部サイト：https://www.iyokannet.jp/event/{i:02d} もどうぞ。"
        parts.append(f"【お知らせ{i + 1}】{SENTENCES[i % len(SENTENCES)]}{link}\n")
    body = "".join(parts)
    filler = "".join(SENTENCES)
    while len(body) < 2000:
        body += filler[: 2000 - len(body)]
    if len(body) != 2000 or body.count("https://") != 20:
        raise RuntimeError(f"the post has {len(body)} characters and {body.count('https://')} links")
    return {"text": body, "planned_at": PLANNED_AT}


def post_script(directory: Path, body: dict[str, Any]) -> str:
    """wrk's Lua script for a POST of `body` (UTF-8 JSON in a long bracket that its text cannot close)."""
    payload = json.dumps(body, ensure_ascii=False)
    level = "=" * 4
    assert f"]{level}]" not in payload
    path = directory / "post-checks.lua"
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [{level}[{payload}]{level}]\n',
        encoding="utf-8",
    )
    return str(path)


# ---- profiling (BENCH_PROFILE=1) ---------------------------------------------------------------------------


@dataclass
class Profile:
    """py-spy's samples of the server under one load, summed up."""

    samples: int
    busy: float  # the samples over the most the sampling rate could take: how busy its one core was
    packages: list[tuple[str, float]]  # self share by package (the project: by file)
    functions: list[tuple[str, float]]  # the project's functions, inclusive share on the request's stack
    detached: list[tuple[str, float]]  # stacks not on the request's: SQLAlchemy's greenlets (by root), threads


def profile(pid: int, load: Callable[[], object], out: Path) -> Profile:
    """Sample the server while `load` runs. SQLAlchemy runs its synchronous part in greenlets, which
    py-spy shows as stacks of their own: their time is counted apart (`detached`, by root function),
    not under the project function that awaited them."""
    spy = Path(sys.executable).parent / "py-spy"
    command = [str(spy), "record", "--pid", str(pid), "--duration", str(PROFILE_SECONDS), "--rate", str(PROFILE_RATE),
               "--format", "raw", "--nonblocking", "--output", str(out)]  # fmt: skip
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load()
    recorder.wait(timeout=PROFILE_SECONDS + 30)
    return summed(out)


def summed(out: Path) -> Profile:
    """py-spy's raw output (one stack a line, then its count) summed up."""
    packages: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    detached: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = [_frame(f) for f in stack.split(";")]
        packages[_package(frames[-1])] += samples
        if not frames[0].endswith(":_run_module_as_main"):
            detached[frames[0]] += samples
            continue
        for frame in {f for f in frames if f.startswith("service/")}:
            functions[frame] += samples
    total = max(total, 1)
    return Profile(
        samples=total,
        busy=total / (PROFILE_SECONDS * PROFILE_RATE),
        packages=[(name, n / total) for name, n in packages.most_common()],
        functions=[(name, n / total) for name, n in functions.most_common()],
        detached=[(name, n / total) for name, n in detached.most_common()],
    )


def _frame(frame: str) -> str:
    """`function (path/to/file.py:123)` as `path/to/file.py:function`, from the project or the package on."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{name}"


def _package(frame: str) -> str:
    path = frame.rsplit(":", 1)[0]
    return path if path.startswith("service/") else path.split("/", 1)[0]


def print_profile(title: str, found: Profile, top: int = 25) -> None:
    print(f"\nprofile of the Koshiki server, {title}: {found.samples:,} samples, its core {found.busy:.0%} busy")
    print("  self time by package (the project by file):")
    print("    " + ", ".join(f"{name} {share:.1%}" for name, share in found.packages[:14]))
    print("  the project's functions on the request's stack (inclusive; their ORM work is in the greenlets below):")
    for name, share in found.functions[:top]:
        print(f"    {share:6.1%}  {name}")
    print("  in SQLAlchemy's greenlets (by the function they run) and other threads:")
    for name, share in found.detached[:8]:
        print(f"    {share:6.1%}  {name}")


# ---- the run ---------------------------------------------------------------------------------------------


def in_process() -> dict[str, float] | None:
    """bench/post_checks.py's median per post (ms) by preset, when that script is there."""
    try:
        from bench.post_checks import measure  # optional: written alongside this script
    except ImportError:
        return None
    result: dict[str, float] = measure(1000)
    return result


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def main() -> None:
    binary = need_wrk()
    before = load_average()
    print(f"load average before (1, 5, 15 min): {before} on {os.cpu_count()} CPUs")
    async with bench_database() as db:
        tenant_id, units = await seed_tenant(db)
        ours_port, bare_port = free_port(), free_port()
        logs = Path(tempfile.mkdtemp(prefix="koshiki-bench-posts-"))
        print(f"server logs: {logs}")
        env = {
            **os.environ,
            "DATABASE_URL": db.app_url,
            "KOSHIKI_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "KOSHIKI_ENV": "production",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{ours_port}",
            "BROKER_URL": BROKER,
            "QUEUE_PREFIX": f"bench-{secrets.token_hex(3)}-",
            "PASSWORD_HASH_MEMORY_KIB": "19456",
        }
        ours = koshiki(ours_port, env, logs / "koshiki.log")
        bare = start(
            [sys.executable, "-m", "uvicorn", "bench.bare:app", "--port", str(bare_port), "--no-access-log",
             "--log-level", "warning", "--no-server-header"],
            # A superuser: the owner is bound by the posts' forced row-level security (it reads the accounts
            # only as a member of the definer role, whose policy sees them all), and the baseline has none.
            {**os.environ, "BARE_DATABASE_URL": make_url(db.admin_url).set(database=db.name).render_as_string(False)},
            logs / "bare.log",
        )  # fmt: skip
        profiles: list[tuple[str, Profile]] = []
        try:
            base, bare_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{bare_port}"
            await wait_ready(f"{base}/readyz", ours)
            await wait_ready(f"{bare_base}/verify?key=x", bare)
            platform = await platform_token(db)
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                operators: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
                logins: dict[uuid.UUID, tuple[str, str]] = {}
                for unit in units:
                    user_id, login_id, temporary, name = await create_user(
                        http, platform, tenant_id, ["operator"], unit
                    )
                    operators[unit], logins[unit] = (user_id, name), (login_id, temporary)
                head_unit = units[0]
                _, head_login, head_temporary, _ = await create_user(
                    http, platform, tenant_id, ["unit_head"], head_unit
                )
                await seed_posts(db, tenant_id, operators)
                head = {"Authorization": f"Bearer {await access_token(http, head_login, head_temporary)}"}
                operator = {"Authorization": f"Bearer {await access_token(http, *logins[head_unit])}"}
                async with db.superuser.connect() as conn:
                    account_id = await conn.scalar(
                        text("SELECT account_id FROM account_operators WHERE user_id = :u ORDER BY account_id LIMIT 1"),
                        {"u": operators[head_unit][0]},
                    )
                    waiting = await conn.scalar(
                        text(
                            "SELECT count(*) FROM posts p JOIN accounts a ON a.id = p.account_id "
                            "WHERE p.awaiting = 'approval' AND a.unit_id = :u"
                        ),
                        {"u": head_unit},
                    )
                    head_accounts = {
                        str(a)
                        for a in (
                            await conn.execute(text("SELECT id FROM accounts WHERE unit_id = :u"), {"u": head_unit})
                        ).scalars()
                    }
                body, origin = check_body(account_id)
                checked = await http.post(f"/v1/tenants/{tenant_id}/post-checks", json=body, headers=operator)
                checked.raise_for_status()
                codes = collections.Counter(f["code"] for f in checked.json()["findings"])
                print(
                    f"the post checked ({origin}, {len(body['text']):,} characters, "
                    f"{len(find_urls(body['text']))} links in its text) finds {sum(codes.values())}: "
                    f"{dict(codes)} (blocking {checked.json()['blocking']})"
                )
                queue_path = f"/v1/tenants/{tenant_id}/posts?needs=approval&limit=50"
                queue = await http.get(queue_path, headers=head)
                queue.raise_for_status()
                items = queue.json()["items"]
                if len(items) != 50 or any(
                    p["awaiting"] != "approval" or p["account_id"] not in head_accounts for p in items
                ):
                    raise RuntimeError(f"not the head's approval queue: {queue.text[:500]}")
                print(f"the head's queue: {waiting:,} of {POSTS:,} posts wait for the head's approval; a page of 50")
            async with httpx.AsyncClient(base_url=bare_base, timeout=60) as http:
                (await http.post("/post-checks", json=body)).raise_for_status()
                bare_list = await http.get(f"/posts/{tenant_id}")
                if bare_list.status_code != 200 or len(bare_list.json()["items"]) != 50:
                    raise RuntimeError(f"the baseline's list is not 50 rows: {bare_list.text[:500]}")

            script = post_script(logs, body)
            print(f"check endpoint: {ROUNDS} rounds of {SECONDS} s, {CONNECTIONS} connections")
            checking = compare(
                binary,
                (f"{base}/v1/tenants/{tenant_id}/post-checks", operator),
                (f"{bare_base}/post-checks", {}),
                script,
            )
            print(f"approval queue: {ROUNDS} rounds of {SECONDS} s")
            listing = compare(binary, (f"{base}{queue_path}", head), (f"{bare_base}/posts/{tenant_id}", {}))
            print(f"(reference) GET /v1/me as the operator: {ROUNDS} rounds of {SECONDS} s")
            wrk(binary, f"{base}/v1/me", 3, operator)
            floor = [wrk(binary, f"{base}/v1/me", SECONDS, operator) for _ in range(ROUNDS)]
            if os.environ.get("BENCH_PROFILE"):
                check_url = f"{base}/v1/tenants/{tenant_id}/post-checks"
                profiles.append(
                    (
                        "check endpoint",
                        profile(ours.pid, lambda: wrk(binary, check_url, PROFILE_SECONDS, operator, script),
                                logs / "profile-checks.txt"),
                    )
                )  # fmt: skip
                profiles.append(
                    (
                        "approval queue",
                        profile(ours.pid, lambda: wrk(binary, f"{base}{queue_path}", PROFILE_SECONDS, head),
                                logs / "profile-queue.txt"),
                    )
                )  # fmt: skip
        finally:
            for process in (ours, bare):
                if process.poll() is None:
                    stop(process)
    measured = in_process()
    after = load_average()

    for name, runs in (("check", checking), ("queue", listing), ("me", {"ours": floor})):
        for side, figures in runs.items():
            print(f"  {name:6} {side:4} " + "  ".join(f"{rps:8,.0f}/s p99 {lat:6.1f} ms" for rps, lat in figures))
    for title, rows in profiles:
        print_profile(title, rows)
    c_ours, c_bare = median(checking["ours"], 0), median(checking["bare"], 0)
    q_ours, q_bare = median(listing["ours"], 0), median(listing["bare"], 0)
    rows: list[tuple[str, str, str, bool | None]] = [
        ("post check, requests/s (bare: same body, no checks)", f"{c_ours:,.0f} ({c_bare:,.0f})", "—", None),
        ("post check / bare", f"{c_ours / c_bare:.2f}×", "≥ 0.5×", c_ours / c_bare >= 0.5),
        ("post check p99", f"{median(checking['ours'], 1):.1f} ms", "—", None),
        ("approval queue, requests/s (bare 50 rows)", f"{q_ours:,.0f} ({q_bare:,.0f})", "—", None),
        ("approval queue / bare", f"{q_ours / q_bare:.2f}×", "≥ 0.6×", q_ours / q_bare >= 0.6),
        ("approval queue p99", f"{median(listing['ours'], 1):.1f} ms", "—", None),
        (
            "(reference) GET /v1/me: any authenticated request's floor",
            f"{median(floor, 0):,.0f}/s ({median(floor, 0) / c_bare:.2f}×, {median(floor, 0) / q_bare:.2f}×)",
            "—",
            None,
        ),
    ]
    if measured is None:
        rows.append(("checks in process, median per post", "(no bench/post_checks.py)", "< 1 ms", None))
    else:
        for preset, ms in measured.items():
            rows.append((f"checks in process, median per post ({preset})", f"{ms:.3f} ms", "< 1 ms", ms < 1))
    report(rows)
    print(f"\nload average (1, 5, 15 min) on {os.cpu_count()} CPUs: before {before}, after {after}")


if __name__ == "__main__":
    asyncio.run(main())
