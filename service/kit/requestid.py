"""X-Request-ID: accepted from the caller when sane, generated otherwise, echoed on every response,
and carried by every log line written while the request runs."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

from litestar.types import Scope

HEADER = "x-request-id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(value: str | None) -> Token[str | None]:
    """Bind the id of the work in hand (a request, an actor's message, a CLI command)."""
    return _request_id.set(value)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def pick_request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _ACCEPTABLE.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex
