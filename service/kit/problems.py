"""The one exception handler: whatever escapes a handler becomes a problem detail.

Our own `ProblemError`s answer as they are; Litestar's exceptions (unknown route, wrong method,
a body that does not decode, a body too large) map onto our problem types; a stale version is a
412, and anything else a 500 `internal-error` with the request id, logged with its traceback.

Database failures are classified by the kernel (`service.kit.db.failure_of`): a database that
cannot be reached or is not accepting work (refused, killed, restarting, in recovery, too many
connections) is a 503 with Retry-After; a serialization failure or deadlock is a 409 `conflict`
(reason `concurrent-update`) with Retry-After, marked for the request middleware, which runs the
request once more before that answer goes out (`service.kit.logging`).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.kit.db import Failure, failure_of
from service.kit.errors import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, Msg, ProblemError, resolve_messages
from service.kit.i18n import negotiate, text
from service.kit.logging import mark_retryable
from service.kit.requestid import current_request_id
from service.kit.validation import problem_from_validation_exception, too_deep

log = logging.getLogger("koshiki.errors")

# Seconds a client is asked to wait: a database coming back, a race lost to another request.
RETRY_UNAVAILABLE = "5"
RETRY_CONCURRENT = "1"


def problem_response(request: Request[Any, Any, Any], exc: ProblemError) -> Response[dict[str, Any]]:
    lang = negotiate(request.headers.get("accept-language"))
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + exc.problem,
        "title": text(f"title.{exc.problem}", lang),
        "status": exc.status,
        "instance": request.url.path,
        "request_id": current_request_id(),
    }
    if exc.detail is not None:
        body["detail"] = exc.detail.render(lang)
    if exc.errors:
        body["errors"] = [e.render(lang) for e in exc.errors]
    body.update(resolve_messages(exc.extensions, lang))
    headers = {"Content-Language": lang, **exc.headers}
    return Response(content=body, status_code=exc.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _from_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> ProblemError:
    """Litestar's own exceptions, mapped onto our problem types."""
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, ValidationException):
        return problem_from_validation_exception(request, exc)
    if isinstance(exc, NotFoundException):
        return ProblemError("not-found", Msg("detail.not-found-route"))
    if isinstance(exc, MethodNotAllowedException):
        allowed = headers.get("Allow") or headers.get("allow") or ""
        return ProblemError(
            "method-not-allowed",
            Msg("detail.method-not-allowed", {"method": request.method, "allowed": allowed}),
            headers={"Allow": allowed} if allowed else None,
        )
    if isinstance(exc, NotAuthorizedException):
        return ProblemError("unauthorized", Msg("detail.unauthorized-missing"), headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, PermissionDeniedException):
        return ProblemError("forbidden")
    if status == 413:
        return ProblemError("payload-too-large", Msg("detail.payload-too-large", {"limit": _body_limit(request)}))
    if status == 415:
        return ProblemError("unsupported-media-type")
    if status == 400:
        # Litestar raises a plain 400 for a body it cannot decode.
        return ProblemError("malformed-body", Msg("detail.malformed-json"))
    if status == 429:
        return ProblemError("too-many-requests", headers=headers)
    if status == 503:
        return ProblemError("service-unavailable", headers=headers)
    if status >= 500:
        return _internal_error(request, exc)
    return ProblemError("bad-request", Msg("detail.bad-request", {"reason": exc.detail}))


def _body_limit(request: Request[Any, Any, Any]) -> int:
    limit = request.route_handler.resolve_request_max_body_size()
    return int(limit) if isinstance(limit, int) else 0


def _internal_error(request: Request[Any, Any, Any], exc: BaseException) -> ProblemError:
    log.error(
        "unhandled error",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"method": request.method, "path": request.url.path},
    )
    return ProblemError("internal-error", Msg("detail.internal-error", {"request_id": current_request_id()}))


def exception_to_problem(request: Request[Any, Any, Any], exc: Exception) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, HTTPException):
        return _from_http_exception(request, exc)
    if isinstance(exc, RecursionError):
        # Bodies and cursors are bounded before they are decoded; should deep input still reach
        # something recursive, it is the input's fault: a 400, logged so that the gap is found.
        log.warning(
            "recursion limit reached: answered as a malformed body",
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"method": request.method, "path": request.url.path},
        )
        return too_deep()
    if isinstance(exc, StaleDataError):
        return ProblemError("precondition-failed", Msg("detail.precondition-failed", {"etag": "?"}))
    failure = failure_of(exc)
    if failure is Failure.CONCURRENCY:
        # Lost a race (deadlock, serialization failure): the transaction is rolled back whole, so
        # the request may run again; the middleware does so once before this answer goes out.
        log.warning("concurrent update answered as 409: %s", exc)
        mark_retryable(request.scope)
        return ProblemError(
            "conflict",
            Msg("detail.concurrent-update"),
            extensions={"reason": "concurrent-update"},
            headers={"Retry-After": RETRY_CONCURRENT},
        )
    if failure is Failure.UNAVAILABLE or isinstance(exc, ConnectionError | OSError):
        log.error("database unavailable: %s", exc)
        return ProblemError(
            "service-unavailable", Msg("detail.database-unavailable"), headers={"Retry-After": RETRY_UNAVAILABLE}
        )
    if isinstance(exc, IntegrityError):
        log.warning("integrity error answered as 409: %s", exc.orig)
        return ProblemError("conflict", Msg("detail.conflict-generic"))
    return _internal_error(request, exc)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The single exception handler registered on the app."""
    return problem_response(request, exception_to_problem(request, exc))
