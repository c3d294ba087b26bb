"""Structured JSON logs: one object per line, each carrying the request id when there is one."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from typing import Any, cast

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from service.kit.db import close_sessions
from service.kit.requestid import HEADER, bind_request_id, current_request_id, pick_request_id, reset_request_id

REQUEST_ID_HEADER = HEADER.encode()

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (request_id := current_request_id()) is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _encode(entry).decode()


_encode = msgspec.json.Encoder(enc_hook=str).encode


def configure_logging(level: str = "INFO") -> None:
    # The lines carry none of these, so the logging module need not gather them for every record
    # (the logging HOWTO's "Optimization"): caller's file and line, thread, process.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # Uvicorn's own access log would duplicate ours, without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


access_log = logging.getLogger("koshiki.access")

# The scope key by which the exception mapping marks an answer to a lost race (a deadlock, a
# serialization failure): its transaction was rolled back whole, so the request may run again.
RETRYABLE = "koshiki.retryable"
# Bodies replayed for a second run are kept up to the app's body limit (this, if it sets none).
REPLAY_LIMIT = 1024 * 1024


def mark_retryable(scope: Scope) -> None:
    """Mark the response being built as the answer to a lost race (see `request_middleware`)."""
    cast("dict[str, Any]", scope)[RETRYABLE] = True


def _replay_limit(scope: Scope) -> int:
    limit = getattr(scope.get("litestar_app"), "request_max_body_size", None)
    return limit if isinstance(limit, int) and limit > 0 else REPLAY_LIMIT


def request_middleware(app: ASGIApp) -> ASGIApp:
    """Around every HTTP request: its id (taken from X-Request-ID when sane, else made), bound for
    every log line written meanwhile and echoed on the response; then one access-log line with
    method, path, status and duration. One wrapper for both, as every request pays for it.

    It also runs a request a second time when the first lost a race with another transaction: the
    exception mapping marks such an answer (`mark_retryable`: a deadlock or serialization failure,
    its unit of work rolled back whole, a 409 `concurrent-update`). The middleware holds that answer
    back (its start is the first message the request sends, so nothing has gone out), replays the
    body the first run read (bounded by the app's body limit; a longer body is not replayed) and
    runs the app once more on a fresh copy of the scope. A second lost race is answered as it is.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = pick_request_id(scope)
        token = bind_request_id(request_id)
        status = 500
        # What the app may change in the scope, as it was: a second run starts from this.
        pristine, pristine_state = dict(scope), dict(scope.get("state") or {})
        limit = _replay_limit(scope)
        body: list[ReceiveMessage] = []
        body_bytes = 0
        replayable = True
        first_run = True
        holding = False  # the first run's answer is held back, to be replaced by a second run
        retried = False

        async def recording_receive() -> ReceiveMessage:
            nonlocal body_bytes, replayable
            message = await receive()
            if replayable and message["type"] == "http.request":
                body_bytes += len(message.get("body", b""))
                if body_bytes > limit:
                    replayable = False
                    body.clear()
                else:
                    body.append(message)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, holding
            if message["type"] == "http.response.start":
                if first_run and replayable and scope.get(RETRYABLE):
                    holding = True
                    return
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id.encode())]
            elif holding:
                return
            await send(message)

        try:
            await app(scope, recording_receive, send_with_id)
            if holding:
                first_run, holding, retried = False, False, True
                replay = iter(body)

                async def replaying_receive() -> ReceiveMessage:
                    for message in replay:
                        return message
                    return await receive()

                again = cast("Scope", {**pristine, "state": dict(pristine_state)})
                try:
                    await app(again, replaying_receive, send_with_id)
                finally:
                    await close_sessions(again)
        finally:
            await close_sessions(scope)
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                extra: dict[str, Any] = {
                    "method": scope.get("method"),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                }
                if retried:
                    extra["retried"] = "concurrent-update"
                access_log.info("request", extra=extra)
            reset_request_id(token)

    return middleware
