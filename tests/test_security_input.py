"""Issue 12, input and outbound calls: each finding of the security probe, reproduced.

- A JSON body (or a cursor) nested 1,000+ levels deep answered 500: nesting is bounded where the
  body is decoded, and a cursor that is not one the service issued is the usual 422.
- Webhook deliveries: every resolved address is checked against the special-use ranges, a host
  that does not resolve fails closed, and the connection goes to the address that was checked.
- `koshiki run` trusted X-Forwarded-For from 127.0.0.1 by default: no proxy is trusted unless
  FORWARDED_ALLOW_IPS names one.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar, get
from litestar.routes import HTTPRoute

from service.app import create_app
from service.config import Settings
from service.kit.clock import FrozenClock
from service.kit.db import Database
from service.webhooks import service as webhooks
from service.webhooks.models import DeliveryState, WebhookDelivery
from tests.support import DatabaseUnderTest, assert_problem, serving

DEEP = 5_000  # far past Python's recursion limit (1,000)


def deep_array(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_object(depth: int = DEEP) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


JSON = {"Content-Type": "application/json"}


# ---- deeply nested bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [deep_array(), deep_object()], ids=["array", "object"])
async def test_a_deep_body_is_a_400_not_a_500_signed_in_or_not(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], body: bytes
) -> None:
    tid = tenant["id"]
    signed_in = {**platform, **JSON}
    calls = [
        ("POST", "/v1/tenants", signed_in),
        ("PATCH", f"/v1/tenants/{tid}", signed_in),
        ("POST", f"/v1/tenants/{tid}/units", signed_in),
        ("POST", f"/v1/tenants/{tid}/webhooks", signed_in),
        ("POST", f"/v1/tenants/{tid}/guideline/versions", signed_in),
        ("POST", "/v1/auth/login", JSON),  # no credentials needed
        ("POST", "/v1/auth/refresh", JSON),
    ]
    for method, path, headers in calls:
        response = await client.request(method, path, content=body, headers=headers)
        problem = assert_problem(response, 400, "malformed-body")
        assert "64" in problem["detail"], (path, problem)


async def test_nesting_is_bounded_well_below_the_recursion_limit(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    """65 levels is refused (in the caller's language), 64 is read and validated as before."""
    too_deep = b'{"slug": ' + deep_array(64) + b"}"
    response = await client.post("/v1/tenants", content=too_deep, headers={**platform, **JSON, "Accept-Language": "en"})
    problem = assert_problem(response, 400, "malformed-body")
    assert problem["detail"] == "The body nests arrays and objects too deeply (at most 64 levels)."
    assert response.headers["content-language"] == "en"
    japanese = await client.post("/v1/tenants", content=too_deep, headers={**platform, **JSON})
    assert "64" in assert_problem(japanese, 400, "malformed-body")["detail"]

    deep_enough = b'{"slug": ' + deep_array(63) + b"}"
    response = await client.post("/v1/tenants", content=deep_enough, headers={**platform, **JSON})
    problem = assert_problem(response, 422, "validation-error")
    assert "/slug" in {e["pointer"] for e in problem["errors"]}


async def test_brackets_inside_strings_do_not_count(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    body = {"slug": "Not A Slug", "name_ja": "[" * 500 + "{" * 500 + '"\\', "name_en": "x", "kind": "other"}
    response = await client.post("/v1/tenants", json=body, headers=platform)
    problem = assert_problem(response, 422, "validation-error")
    assert {e["pointer"] for e in problem["errors"]} >= {"/slug"}


def _json_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path template) whose handler reads a JSON body."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.parsed_data_field is None:
                continue
            for method in handler.http_methods:
                found.append((method, route.path))
    return sorted(set(found))


def _fill(path: str, tenant_id: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if name == "tenant_id":
            return tenant_id
        return {"uuid": str(uuid.uuid4()), "int": "1"}.get(kind, "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


async def test_every_route_that_reads_json_refuses_a_deep_body(
    app: Litestar, client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    routes = _json_routes(app)
    assert len(routes) > 30, routes
    answers: dict[str, list[str]] = {}
    for method, template in routes:
        path = _fill(template, tenant["id"])
        response = await client.request(method, path, content=deep_object(), headers={**platform, **JSON})
        assert response.status_code != 500, (method, template, response.text)
        answers.setdefault(response.json()["type"].rsplit(":", 1)[-1], []).append(f"{method} {template}")
    # Read before anything else happens, except where the caller may not call it at all (a user's
    # own password, and a staff member's acknowledgement of the guideline, need a logged-in user, not
    # a platform token).
    assert set(answers) <= {"malformed-body", "forbidden"}, answers
    staff_only = {"POST /v1/me/password", "POST /v1/tenants/{tenant_id:uuid}/acknowledgements"}
    assert set(answers.get("forbidden", [])) <= staff_only, answers


async def test_a_recursion_error_that_escapes_is_a_400(settings: Settings, db: Database, clock: FrozenClock) -> None:
    @get("/v1/test-recursion", exclude_from_auth=True)
    async def recurse() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    app = create_app(settings, db=db, clock=clock)
    app.register(recurse)
    async with serving(app) as test_client:
        response = await test_client.get("/v1/test-recursion")
    assert_problem(response, 400, "malformed-body")


# ---- cursors ----------------------------------------------------------------------------------------


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [deep_array(), deep_object(), deep_array(8), b'[{"a": 1}]', b"[[[1]]]"],
    ids=["deep-array", "deep-object", "eight-deep", "an-object-inside", "three-deep"],
)
async def test_a_cursor_the_service_did_not_issue_is_a_422_naming_cursor(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], raw: bytes
) -> None:
    for path in (f"/v1/tenants/{tenant['id']}/webhooks", f"/v1/tenants/{tenant['id']}/deadlines", "/v1/tenants"):
        response = await client.get(path, params={"cursor": _cursor(raw)}, headers=platform)
        problem = assert_problem(response, 422, "validation-error")
        assert [(e["in"], e.get("parameter"), e["code"]) for e in problem["errors"]] == [
            ("query", "cursor", "invalid_cursor")
        ], path


async def test_issued_cursors_still_page(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    first = await client.get("/v1/tenants", params={"limit": 1}, headers=platform)
    cursor = first.json()["next_cursor"]
    assert cursor
    assert (await client.get("/v1/tenants", params={"limit": 1, "cursor": cursor}, headers=platform)).status_code == 200


# ---- webhook targets: the address checks --------------------------------------------------------------


REAL_GETADDRINFO = socket.getaddrinfo


class FakeDNS:
    """`socket.getaddrinfo` for a few names (each answer list used once, the last one repeats);
    any other name goes to the real resolver, so the database and the test client still work."""

    def __init__(self, answers: dict[str, Sequence[Sequence[str]] | OSError]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return REAL_GETADDRINFO(host, port, family, type, proto, flags)
        self.calls.append(name)
        answer = self.answers[name]
        if isinstance(answer, OSError):
            raise answer
        addresses = answer[min(self.calls.count(name), len(answer)) - 1]
        number = int(port) if port not in (None, b"", "") else 0
        out = []
        for address in addresses:
            if ":" in address:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, number, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, number)))
        return out


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Requests that reached httpx's network transport (answered 204 without touching the network)."""
    requests: list[httpx.Request] = []

    async def handle(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(204)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle)
    return requests


def a_delivery() -> WebhookDelivery:
    return WebhookDelivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        endpoint_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        event_type="deadline.due",
        payload={"id": "e1", "type": "deadline.due"},
        state=DeliveryState.PENDING,
        created_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )


async def deliver(url: str, *, allow_private: bool) -> webhooks.Outcome:
    return await webhooks.post(
        url, a_delivery(), ["whsec_test"], allow_private=allow_private, now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    )


PUBLIC = "93.184.215.14"

REFUSED = [
    "100.64.0.1",  # carrier-grade NAT (a cloud metadata address lives here too: 100.100.100.200)
    "100.100.100.200",
    "169.254.169.254",  # link-local: cloud metadata
    "127.0.0.1",
    "10.1.2.3",
    "172.16.5.4",
    "192.168.1.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "0.1.2.3",
    "192.0.0.8",  # IETF protocol assignments
    "192.0.0.171",
    "192.0.2.10",  # documentation
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "192.88.99.1",  # the old 6to4 relay anycast
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped: checked as its IPv4
    "::ffff:169.254.169.254",
    "::ffff:100.64.0.1",
    "fc00::1",  # unique local
    "fd12:3456::1",
    "fe80::1",  # link-local
    "fec0::1",  # the old site-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "3fff::1",
    "2001::1",  # Teredo
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::a00:1",  # local-use NAT64
    "100::1",  # discard-only
    "5f00::1",  # SRv6 SIDs
]

ALLOWED = [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.215.14", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
async def test_special_use_addresses_are_refused(
    monkeypatch: pytest.MonkeyPatch, sent: list[httpx.Request], address: str
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"hooks.example": [[address]]}))
    outcome = await deliver("https://hooks.example/koshiki", allow_private=False)
    assert not outcome.ok
    assert outcome.error is not None
    assert "private" in outcome.error
    assert sent == []


@pytest.mark.parametrize("address", ALLOWED)
async def test_public_addresses_are_delivered_to(
    monkeypatch: pytest.MonkeyPatch, sent: list[httpx.Request], address: str
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"hooks.example": [[address]]}))
    outcome = await deliver("https://hooks.example/koshiki", allow_private=False)
    assert outcome.ok, outcome.error
    assert len(sent) == 1
    assert ipaddress.ip_address(sent[0].url.host) == ipaddress.ip_address(address)


async def test_one_special_address_among_several_refuses_the_host(
    monkeypatch: pytest.MonkeyPatch, sent: list[httpx.Request]
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"hooks.example": [[PUBLIC, "100.64.0.1"]]}))
    outcome = await deliver("https://hooks.example/koshiki", allow_private=False)
    assert not outcome.ok
    assert sent == []


@pytest.mark.parametrize("allow_private", [False, True])
async def test_a_host_that_does_not_resolve_fails_closed(
    monkeypatch: pytest.MonkeyPatch, sent: list[httpx.Request], allow_private: bool
) -> None:
    dns = FakeDNS({"nowhere.example": socket.gaierror(socket.EAI_NONAME, "Name or service not known")})
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    outcome = await deliver("https://nowhere.example/koshiki", allow_private=allow_private)
    assert not outcome.ok
    assert outcome.status is None
    assert outcome.error is not None
    assert "nowhere.example" in outcome.error
    assert sent == []


async def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch, sent: list[httpx.Request]
) -> None:
    """DNS rebinding: a second lookup would answer 127.0.0.1. There is no second lookup: the request
    goes to the checked address, with the name in Host and as the TLS server name."""
    dns = FakeDNS({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    outcome = await deliver("https://rebind.example:8443/koshiki?x=1", allow_private=False)
    assert outcome.ok, outcome.error
    assert dns.calls == ["rebind.example"]
    [request] = sent
    assert request.url.host == PUBLIC
    assert request.url.port == 8443
    assert request.url.raw_path == b"/koshiki?x=1"
    assert request.headers["host"] == "rebind.example:8443"
    assert request.extensions["sni_hostname"] == "rebind.example"


async def test_an_address_that_refuses_the_connection_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every address of the one answer is checked; the next one is tried when one refuses."""
    receiver = Receiver()
    try:
        dns = FakeDNS({"hooks.example": [["127.0.0.2", "127.0.0.1"]]})  # the receiver listens on .1 only
        monkeypatch.setattr(socket, "getaddrinfo", dns)
        outcome = await deliver(f"http://hooks.example:{receiver.port}/hook", allow_private=True)
    finally:
        receiver.close()
    assert outcome.ok, outcome.error
    assert len(receiver.requests) == 1
    assert dns.calls == ["hooks.example"]


async def test_redirects_are_not_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(status=307, location="http://127.0.0.1:9/elsewhere")
    try:
        monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"hooks.example": [["127.0.0.1"]]}))
        outcome = await deliver(f"http://hooks.example:{receiver.port}/hook", allow_private=True)
    finally:
        receiver.close()
    assert outcome.status == 307
    assert not outcome.ok
    assert len(receiver.requests) == 1


async def test_a_pinned_delivery_reaches_the_receiver_with_its_host(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver()
    try:
        monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"hooks.example": [["127.0.0.1"], ["192.0.2.1"]]}))
        outcome = await deliver(f"http://hooks.example:{receiver.port}/hook", allow_private=True)
    finally:
        receiver.close()
    assert outcome.ok, outcome.error
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example:{receiver.port}"
    assert request["path"] == "/hook"


async def test_https_to_the_pinned_address_still_verifies_the_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The certificate is checked against the URL's host (sent as SNI), not against the address."""
    ca, server_context = _tls_for("hooks.example", tmp_path)
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,misc]
    receiver = Receiver(tls=server_context)
    monkeypatch.setattr(webhooks, "_tls_context", lambda: ssl.create_default_context(cadata=ca))
    monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"hooks.example": [["127.0.0.1"]]}))
    try:
        outcome = await deliver(f"https://hooks.example:{receiver.port}/hook", allow_private=True)
        wrong = await deliver(f"https://127.0.0.1:{receiver.port}/hook", allow_private=True)
    finally:
        receiver.close()
    assert outcome.ok, outcome.error
    assert names[0] == "hooks.example"
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.example:{receiver.port}"
    assert not wrong.ok  # the certificate is not 127.0.0.1's
    assert wrong.error is not None
    assert "SSL" in wrong.error or "certificate" in wrong.error


@pytest.mark.parametrize(
    "url",
    [
        "https://100.64.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fc00::1]/hook",
        "https://192.0.0.8/hook",
        "https://198.18.0.1/hook",
        "https://127.1/hook",
        "https://2130706433/hook",
        "https://localhost/hook",
        "https://api.localhost/hook",
    ],
)
def test_special_use_literals_are_refused_when_the_endpoint_is_saved(url: str) -> None:
    from service.kit.errors import ProblemError

    with pytest.raises(ProblemError) as refused:
        webhooks.check_url(url, production=True)
    assert refused.value.status == 422
    assert [e.pointer for e in refused.value.errors] == ["/url"]
    webhooks.check_url(url, production=True, allow_private=True)
    webhooks.check_url(url, production=False)


def test_ordinary_urls_are_accepted_when_the_endpoint_is_saved() -> None:
    for url in ("https://hooks.example.jp/koshiki", "https://93.184.215.14/x", "https://[2606:4700::1]/x"):
        webhooks.check_url(url, production=True)


class Receiver:
    """An HTTP(S) receiver on a free local port: records each request, answers `status`."""

    def __init__(self, status: int = 204, location: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "path": self.path})
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _tls_for(name: str, directory: Path) -> tuple[str, ssl.SSLContext]:
    """A throwaway CA (its PEM) and a server context with a certificate for `name` signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Koshiki test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return ca_cert.public_bytes(serialization.Encoding.PEM).decode(), context


# ---- X-Forwarded-For ------------------------------------------------------------------------------------


def test_no_proxy_is_trusted_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert Settings.from_env().forwarded_allow_ips == ()
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", " 10.0.0.5, 10.0.1.0/24 ")
    assert Settings.from_env().forwarded_allow_ips == ("10.0.0.5", "10.0.1.0/24")


def _run_uvicorn_options(
    monkeypatch: pytest.MonkeyPatch, test_database: DatabaseUnderTest, forwarded: str | None
) -> dict[str, Any]:
    """What `koshiki run` hands uvicorn (uvicorn itself not started)."""
    import uvicorn

    import service.kit.logging

    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: captured.update(kwargs))
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(service.kit.logging, "configure_logging", lambda *args: None)
    for name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "KOSHIKI_EMBEDDED", "HOST", "PORT", "KOSHIKI_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", test_database.app_url)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", test_database.owner_url)
    monkeypatch.setenv("KOSHIKI_EMBEDDED", "0")
    if forwarded is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", forwarded)
    from service.cli import run

    # The command alone: the `koshiki` group would bootstrap the process again, without the
    # test actors the other suites need.
    result = CliRunner().invoke(run, ["--no-migrate", "--no-presets", "--port", "8999"])
    assert result.exit_code == 0, result.output
    return captured


def test_koshiki_run_passes_no_forwarded_ips_unless_configured(
    monkeypatch: pytest.MonkeyPatch, test_database: DatabaseUnderTest
) -> None:
    options = _run_uvicorn_options(monkeypatch, test_database, None)
    assert options["proxy_headers"] is False
    assert not options.get("forwarded_allow_ips")
    options = _run_uvicorn_options(monkeypatch, test_database, "10.0.0.5,10.0.0.6")
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.5", "10.0.0.6"]


def _wait_ready(base: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.communicate()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


@pytest.mark.slow
def test_a_local_caller_cannot_pick_its_own_rate_budget(test_database: DatabaseUnderTest) -> None:
    """Through `koshiki run`: X-Forwarded-For from 127.0.0.1 no longer names the client."""
    from service.kit.embedded_pg import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"FORWARDED_ALLOW_IPS", "DATABASE_URL"}}
    env.update(
        DATABASE_URL=test_database.app_url,
        MIGRATION_DATABASE_URL=test_database.owner_url,
        PUBLIC_RATE_PER_MINUTE="2",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run", "--port", str(port), "--no-migrate", "--no-presets"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, process)
        statuses = [
            httpx.get(
                f"{base}/v1/public/tenants/no-such-agency/register",
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=5,
            ).status_code
            for n in range(1, 4)
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert statuses == [404, 404, 429]
