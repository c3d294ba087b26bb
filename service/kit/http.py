"""HTTP conventions shared by every endpoint: declared errors, bounded and strictly decoded JSON bodies,
screened parameters, ETags, cursor pages."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.enums import ParamType, ScopeType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter, Parameter, ParameterKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

from service.kit.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPES,
    TYPE_PREFIX,
    FieldError,
    Msg,
    ProblemBody,
    ProblemError,
    validation_failed,
)
from service.kit.i18n import text
from service.kit.validation import (
    MAX_JSON_DEPTH,
    NUL,
    body_errors,
    nests_deeper_than,
    parameter_types,
    too_deep,
)

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
    levels deep (a 400 `malformed-body` otherwise), then checked strictly against the type the
    handler reads, every string free of U+0000 (a 422 naming each field otherwise). Every handler's
    `data` is decoded here; Litestar's own conversion afterwards, lenient as it is, then meets only
    bodies that a strict decoder accepts."""

    async def json(self) -> Any:
        raw = await self.body()
        if nests_deeper_than(raw, MAX_JSON_DEPTH):
            raise too_deep()
        document = await super().json()
        data_field = self.route_handler.parsed_data_field
        if data_field is not None and (errors := body_errors(data_field.annotation, raw, document)):
            raise validation_failed(errors)
        return document


# ---- parameters: no NUL, and query strings read strictly -----------------------------------------------

# A query parameter declared as a date-time is an RFC 3339 date-time (msgspec alone would also read
# `0.5` or `1e9` as seconds since 1970); one declared as an integer is written in decimal digits.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?$", re.ASCII)
_INTEGER = re.compile(r"^[+-]?\d{1,19}$", re.ASCII)


@dataclass(frozen=True, slots=True)
class _QueryRules:
    date_times: frozenset[str]
    integers: frozenset[str]


# Each handler's rules, found once: id -> (the handler itself, so that a reused id is not mistaken, its rules).
_RULES: dict[int, tuple[Any, _QueryRules]] = {}


def _query_rules(handler: Any) -> _QueryRules:
    """Which query parameters of a handler (and of the dependencies it takes them through) are
    date-times and which integers, by the names callers use."""
    if handler is None:
        return _QueryRules(frozenset(), frozenset())
    found = _RULES.get(id(handler))
    if found is not None and found[0] is handler:
        return found[1]
    date_times: set[str] = set()
    integers: set[str] = set()
    dependencies: dict[str, Any] = handler.resolve_dependencies() if hasattr(handler, "resolve_dependencies") else {}
    paths: set[str] = getattr(handler, "paths", set())
    signatures = [getattr(handler, "parsed_fn_signature", None)]
    signatures += [getattr(provider, "parsed_fn_signature", None) for provider in dependencies.values()]
    for signature in signatures:
        for name, field in (signature.parameters if signature is not None else {}).items():
            declared = field.kwarg_definition
            if name in dependencies or (declared is not None and not isinstance(declared, ParameterKwarg)):
                continue  # a dependency or a body
            if isinstance(declared, ParameterKwarg) and declared.param_type != ParamType.QUERY:
                continue
            if any(f"{{{name}:" in path for path in paths):
                continue
            alias = (declared.name if isinstance(declared, ParameterKwarg) else None) or name
            leaves = parameter_types(field.annotation)
            if dt.datetime in leaves:
                date_times.add(alias)
            elif int in leaves and bool not in leaves:
                integers.add(alias)
    rules = _QueryRules(frozenset(date_times), frozenset(integers))
    _RULES[id(handler)] = (handler, rules)
    return rules


def _nul_parameter(name: str, location: str) -> FieldError:
    return FieldError(Msg("field.nul"), "nul_character", parameter=name, location=location)


def screen_parameters(scope: Scope) -> None:
    """Refuse, before any handler reads them, path and query parameters PostgreSQL could not take or
    a lenient conversion would misread: U+0000 anywhere (400 `bad-request`, naming the parameter),
    and query date-times and integers not written as such (422, naming the parameter)."""
    nul = [
        _nul_parameter(str(name), "path")
        for name, value in (scope.get("path_params") or {}).items()
        if isinstance(value, str) and NUL in value
    ]
    raw_query: bytes = scope.get("query_string") or b""
    if not raw_query:
        if nul:
            raise ProblemError("bad-request", Msg("detail.nul-character"), errors=nul)
        return
    pairs = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    nul.extend(_nul_parameter(name, "query") for name, value in pairs if NUL in value or NUL in name)
    if nul:
        raise ProblemError("bad-request", Msg("detail.nul-character"), errors=nul)
    rules = _query_rules(scope.get("route_handler"))
    if not (rules.date_times or rules.integers):
        return
    wrong: list[FieldError] = []
    for name, value in pairs:
        if name in rules.date_times and not _RFC3339.match(value):
            wrong.append(
                FieldError(Msg("field.format", {"format": "date-time"}), "format", parameter=name, location="query")
            )
        elif name in rules.integers and not _INTEGER.match(value):
            wrong.append(
                FieldError(Msg("field.type", {"expected": "integer"}), "type", parameter=name, location="query")
            )
    if wrong:
        raise validation_failed(wrong)


def parameter_screen(app: ASGIApp) -> ASGIApp:
    """Middleware (after authentication): `screen_parameters` for every route, public ones included."""

    async def screened(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            screen_parameters(scope)
        await app(scope, receive, send)

    return screened


# ---- parameters every list and update shares ------------------------------------------------------

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The largest value of PostgreSQL's `integer`: no integer the service stores or looks up is larger.
PG_INTEGER_MAX = 2**31 - 1

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
    """A value `encode_cursor` may have written: a string without U+0000, a number PostgreSQL's
    `integer` holds, or null."""
    if isinstance(value, str):
        return NUL not in value
    if isinstance(value, int | float):
        return -PG_INTEGER_MAX <= value <= PG_INTEGER_MAX
    return value is None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not in a cursor")


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
        key = json.loads(raw, parse_constant=_no_constant)
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
    except (TypeError, ValueError, OverflowError) as exc:
        raise _bad_cursor() from exc


def after_id(cursor: str | None) -> uuid.UUID | None:
    """For lists ordered by id: the id a cursor points after."""
    return cursor_value(cursor, lambda v: uuid.UUID(str(v)))


def id_page(rows: Sequence[R], more: bool, convert: Callable[[R], T]) -> Page[T]:
    """A page of rows ordered by id; the cursor is the last id when more rows follow."""
    last = getattr(rows[-1], "id", None) if rows else None
    return Page(items=[convert(r) for r in rows], next_cursor=encode_cursor([str(last)]) if more and last else None)
