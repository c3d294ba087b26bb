"""HTTP conventions shared by every endpoint: declared errors, bounded JSON bodies, ETags, cursor pages."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter, Parameter

from service.kit.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPES,
    TYPE_PREFIX,
    FieldError,
    Msg,
    ProblemBody,
    ProblemError,
)
from service.kit.i18n import text
from service.kit.validation import MAX_JSON_DEPTH, nests_deeper_than, too_deep

T = TypeVar("T")
R = TypeVar("R")

_DESCRIPTIONS = {
    400: "The body is not JSON or nests too deeply (64 levels at most), or the request is malformed.",
    401: "No credentials, or they are invalid, expired or revoked.",
    403: "The caller lacks the permission this operation needs.",
    404: "No such resource in the caller's tenant, or no such path.",
    405: "The method is not allowed on this path.",
    409: "The request conflicts with the current state; `reason` says how.",
    412: "If-Match did not match the current ETag: someone changed the resource.",
    413: "The body is larger than MAX_BODY_BYTES.",
    415: "The body is not application/json.",
    422: "One or more fields are invalid; `errors` lists each with a JSON Pointer.",
    428: "An update needs an If-Match header with the ETag you read.",
    429: "Too many requests; wait for Retry-After seconds.",
    500: "An unexpected error; quote `request_id` when reporting it.",
    503: "The database (or another dependency) is unavailable; retry shortly.",
}


def _example(problem: str) -> Example:
    status = PROBLEM_TYPES[problem]
    value: dict[str, Any] = {
        "type": TYPE_PREFIX + problem,
        "title": text(f"title.{problem}", "ja"),
        "status": status,
        "instance": "/v1/…",
        "request_id": "6f1c2a4e9b7d4c1f8e2a3b5c7d9e0f12",
    }
    if status == 422:
        value["errors"] = [
            {
                "code": "required",
                "detail": "必須項目「name_ja」がありません。",
                "in": "body",
                "pointer": "/name_ja",
            }
        ]
    return Example(summary=problem, value=value)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem responses an operation can answer, for the OpenAPI document.

    400, 500 and 503 can happen anywhere and are always included.
    """
    wanted = sorted({400, 500, 503, *statuses})
    specs: dict[int, ResponseSpec] = {}
    for status in wanted:
        names = [name for name, code in PROBLEM_TYPES.items() if code == status]
        specs[status] = ResponseSpec(
            data_container=ProblemBody,
            description=_DESCRIPTIONS[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            examples=[_example(name) for name in names],
        )
    return specs


# ---- request bodies -------------------------------------------------------------------------------


class BoundedRequest(Request[Any, Any, Any]):
    """The app's request class: its JSON body is decoded only when nested at most MAX_JSON_DEPTH
    levels deep (a 400 `malformed-body` otherwise). Every handler's `data` is decoded here."""

    async def json(self) -> Any:
        if nests_deeper_than(await self.body(), MAX_JSON_DEPTH):
            raise too_deep()
        return await super().json()


# ---- parameters every list and update shares ------------------------------------------------------

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="Page size (1–200).")]
Cursor = Annotated[str | None, Parameter(description="`next_cursor` from the previous page.")]
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match", description="The ETag you read.")]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        max_length=200,
        description=(
            "Makes a create safe to retry: for 24 hours a repeat with the same key and body returns the first "
            "answer (a reply carrying a secret is not kept: its repeat is a 409 `secret-not-replayed`)."
        ),
    ),
]
ETAG_HEADER = [ResponseHeader(name="ETag", description="Send it back in If-Match to update.", documentation_only=True)]


# ---- ETag / If-Match -------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def require_if_match(request: Request[Any, Any, Any], current_version: int) -> None:
    """Optimistic concurrency: the caller must prove it read the current version."""
    header = request.headers.get("if-match")
    if not header:
        raise ProblemError("precondition-required", Msg("detail.precondition-required"))
    current = etag(current_version)
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in offered and current not in offered:
        raise ProblemError(
            "precondition-failed",
            Msg("detail.precondition-failed", {"etag": current}),
            headers={"ETag": current},
            extensions={"current_etag": current},
        )


# ---- cursor pagination -------------------------------------------------------------------------


class Page(msgspec.Struct, Generic[T]):
    """One page of a list. Pass `next_cursor` back as `cursor` for the next; null means the end."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# A cursor's key is a list of values, or of lists of values (a compound sort key): two levels.
CURSOR_DEPTH = 2


def _bad_cursor() -> ProblemError:
    error = FieldError(Msg("field.cursor"), "invalid_cursor", parameter="cursor", location="query")
    return ProblemError("validation-error", Msg("detail.validation", {"count": 1}), errors=[error])


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


def _issued_shape(key: Any) -> bool:
    """A list of scalars and lists of scalars: what `encode_cursor` writes."""
    return isinstance(key, list) and all(
        _scalar(v) or (isinstance(v, list) and all(_scalar(w) for w in v)) for v in key
    )


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key a cursor carries; a 422 naming `cursor` when it is not one this service issued."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        if nests_deeper_than(raw, CURSOR_DEPTH):
            raise _bad_cursor()
        key = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad_cursor() from exc
    if not _issued_shape(key):
        raise _bad_cursor()
    issued: list[Any] = key
    return issued


def cursor_value(cursor: str | None, convert: Callable[[Any], T]) -> T | None:
    """The single sort value a cursor carries, converted; a 422 naming `cursor` when it will not convert."""
    key = decode_cursor(cursor)
    if not key:
        return None
    try:
        return convert(key[0])
    except (TypeError, ValueError) as exc:
        raise _bad_cursor() from exc


def after_id(cursor: str | None) -> uuid.UUID | None:
    """For lists ordered by id: the id a cursor points after."""
    return cursor_value(cursor, lambda v: uuid.UUID(str(v)))


def id_page(rows: Sequence[R], more: bool, convert: Callable[[R], T]) -> Page[T]:
    """A page of rows ordered by id; the cursor is the last id when more rows follow."""
    last = getattr(rows[-1], "id", None) if rows else None
    return Page(items=[convert(r) for r in rows], next_cursor=encode_cursor([str(last)]) if more and last else None)
