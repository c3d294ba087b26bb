"""RFC 9457 problem details: one shape for every error the API can answer.

Code raises `ProblemError` (or one of its helpers); anything else that escapes a handler is mapped
by `service.kit.problems`, so an unknown route, a bad token, a lost database and a crash all
answer alike.
Each problem type has a stable `type` URI documented in the README and declared in OpenAPI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from service.kit.i18n import Lang, text

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:koshiki:problem:"

# name -> HTTP status. The title of each lives in the i18n catalog as "title.<name>".
PROBLEM_TYPES: dict[str, int] = {
    "malformed-body": 400,
    "bad-request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not-found": 404,
    "method-not-allowed": 405,
    "conflict": 409,
    "precondition-failed": 412,
    "payload-too-large": 413,
    "unsupported-media-type": 415,
    "validation-error": 422,
    "invalid-guideline": 422,
    "post-rules-broken": 422,
    "precondition-required": 428,
    "too-many-requests": 429,
    "internal-error": 500,
    "service-unavailable": 503,
}


@dataclass(frozen=True, slots=True)
class Msg:
    """A message key resolved in the caller's language when the response is written."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: Lang) -> str:
        return text(self.key, lang, **{k: resolve_messages(v, lang) for k, v in self.params.items()})


def resolve_messages(value: Any, lang: Lang) -> Any:
    """Messages anywhere in a value (extensions may carry lists of them), in the caller's language."""
    if isinstance(value, Msg):
        return value.render(lang)
    if isinstance(value, dict):
        return {k: resolve_messages(v, lang) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve_messages(v, lang) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class FieldError:
    """One violation. `pointer` is a JSON Pointer into the body; `parameter` names a query/path/header."""

    message: Msg
    code: str
    pointer: str | None = None
    parameter: str | None = None
    location: str = "body"

    def render(self, lang: Lang) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "detail": self.message.render(lang), "in": self.location}
        if self.pointer is not None:
            out["pointer"] = self.pointer
        if self.parameter is not None:
            out["parameter"] = self.parameter
        return out


# RFC 9457's members and ours; an extension must never overwrite one.
_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors", "request_id"})


class ProblemError(Exception):
    """An error answered as a problem detail."""

    def __init__(
        self,
        problem: str,
        detail: Msg | None = None,
        *,
        errors: Iterable[FieldError] = (),
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if problem not in PROBLEM_TYPES:
            raise ValueError(f"unknown problem type {problem!r}")
        if clash := _MEMBERS.intersection(extensions or {}):
            raise ValueError(f"extensions would overwrite the problem's own members: {sorted(clash)}")
        self.problem = problem
        self.status = PROBLEM_TYPES[problem]
        self.detail = detail
        self.errors = tuple(errors)
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})
        super().__init__(problem if detail is None else detail.key)


def not_found(resource: str, pointer: str | None = None) -> ProblemError:
    """404 for a resource; with `pointer` when the id came from a field of the body."""
    message = Msg("detail.not-found", {"resource": Msg(f"resource.{resource}")})
    errors = [FieldError(message, "not_found", pointer)] if pointer is not None else []
    return ProblemError("not-found", message, errors=errors)


def unauthorized_problem(key: str = "detail.unauthorized-missing") -> ProblemError:
    return ProblemError("unauthorized", Msg(key), headers={"WWW-Authenticate": "Bearer"})


def conflict(key: str, **params: Any) -> ProblemError:
    return ProblemError("conflict", Msg(key, params), extensions={"reason": key.removeprefix("conflict.")})


def bad_request(reason: str) -> ProblemError:
    return ProblemError("bad-request", Msg("detail.bad-request", {"reason": reason}))


def validation_failed(errors: Iterable[FieldError], problem: str = "validation-error") -> ProblemError:
    errs = tuple(errors)
    return ProblemError(problem, Msg("detail.validation", {"count": len(errs)}), errors=errs)


class InvalidFields(ValueError):
    """Raised by a request struct's own check (`__post_init__`): the fields at fault, each with its
    pointer and a message in the catalog. The decoder keeps it as the cause of its ValidationError,
    so the 422 names the real fields in the caller's language (not the decoder's English)."""

    def __init__(self, *errors: FieldError) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.pointer}: {e.message.render('en')}" for e in errors))


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """The shape of every error body (RFC 9457), for the OpenAPI document."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None
