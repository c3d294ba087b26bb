"""Turning validation failures into field errors with JSON Pointers, every violation listed.

msgspec stops at the first problem in a body; when it does, the same body is checked against the
JSON Schema msgspec derives from the target type, so the caller hears about every field at once.
That second pass only runs on the error path. The same translation serves the guideline
configuration, which is validated by its own JSON Schema.

Nesting is bounded before anything decodes JSON (`nests_deeper_than`): a body 1,000 levels deep
would otherwise exhaust the interpreter's recursion in the decoder, the schema check or whatever
walks the document next.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from service.kit.errors import FieldError, Msg, ProblemError, validation_failed
from service.kit.i18n import Lang

# How deeply a request body may nest arrays and objects. The service's own documents (guideline
# configurations included) need fewer than 10 levels; the interpreter gives out near 1,000.
MAX_JSON_DEPTH = 64

# A JSON string, escapes included: brackets inside one are text, not nesting. The closing quote is
# optional so that a match, once started, never fails: an unterminated string (malformed, refused
# by the decoder) runs to the end, and the scan stays linear however the quotes are arranged.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether a JSON text nests arrays and objects more than `limit` levels deep, found without
    decoding it (so without recursion). Linear in its length, and next to free when it holds no
    more than `limit` opening brackets at all, as nearly every request body does."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def too_deep() -> ProblemError:
    """400 for a body nested past MAX_JSON_DEPTH."""
    return ProblemError("malformed-body", Msg("detail.too-deep", {"limit": MAX_JSON_DEPTH}))


_MISSING_PARAMETER = re.compile(r"^Missing required (?P<where>\w+) parameter '(?P<name>[^']+)'")
_MSGSPEC_PATH = re.compile(r"at `\$(?P<path>[^`]*)`")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")


def pointer(parts: Iterable[str | int]) -> str:
    """A JSON Pointer (RFC 6901) for a sequence of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def msgspec_path_to_pointer(message: str) -> str:
    """`... - at `$.a.b[0]`` -> `/a/b/0`; empty string for the document itself."""
    found = _MSGSPEC_PATH.search(message)
    if not found:
        return ""
    parts: list[str | int] = []
    for key, index in _PATH_PART.findall(found.group("path")):
        parts.append(key if key else int(index))
    return pointer(parts)


def schema_error_to_field_errors(error: SchemaError, prefix: Sequence[str | int] = ()) -> Iterator[FieldError]:
    """One jsonschema error -> one or more field errors (an unknown-properties error names each)."""
    # For anyOf/oneOf, the most telling sub-error says more than "matches none".
    if error.validator in {"anyOf", "oneOf"} and error.context:
        deepest = best_match(error.context)
        if deepest is not None and deepest.validator not in {"anyOf", "oneOf"}:
            yield from schema_error_to_field_errors(deepest, prefix)
            return
    path = [*prefix, *error.absolute_path]
    here = pointer(path)
    keyword = str(error.validator)
    value = error.validator_value
    if keyword == "required":
        name = _quoted_name(error.message)
        yield FieldError(Msg("field.required", {"name": name}), "required", pointer([*path, name]))
        return
    if keyword in {"additionalProperties", "unevaluatedProperties"} and isinstance(error.instance, dict):
        known = set((error.schema or {}).get("properties", {}))
        for name in sorted(set(error.instance) - known):
            yield FieldError(Msg("field.unknown", {"name": name}), "unknown_field", pointer([*path, name]))
        return
    key, params = _keyword_message(keyword, value, error.message)
    yield FieldError(Msg(key, params), _snake(keyword), here)


def _keyword_message(keyword: str, value: Any, fallback: str) -> tuple[str, dict[str, Any]]:
    """The catalog key and parameters that explain a failed JSON Schema keyword."""
    if keyword == "type":
        return "field.type", {"expected": value if isinstance(value, str) else " | ".join(value)}
    if keyword == "enum":
        return "field.enum", {"allowed": ", ".join(map(str, value))}
    if keyword == "const":
        return "field.const", {"expected": json.dumps(value, ensure_ascii=False)}
    limits = {
        "minLength": "field.min_length",
        "maxLength": "field.max_length",
        "minimum": "field.minimum",
        "exclusiveMinimum": "field.minimum",
        "maximum": "field.maximum",
        "exclusiveMaximum": "field.maximum",
        "minItems": "field.min_items",
        "maxItems": "field.max_items",
    }
    if keyword in limits:
        return limits[keyword], {"limit": value}
    if keyword == "format":
        return "field.format", {"format": value}
    plain = {
        "pattern": "field.pattern",
        "uniqueItems": "field.unique_items",
        "oneOf": "field.one_of",
        "anyOf": "field.one_of",
    }
    if keyword in plain:
        return plain[keyword], {}
    return "field.invalid", {"reason": fallback}


def _quoted_name(message: str) -> str:
    match = re.match(r"^'(.*)' is a required property$", message)
    return match.group(1) if match else message


def _snake(keyword: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", keyword).lower()


def schema_errors(validator: Draft202012Validator, instance: Any, prefix: Sequence[str | int] = ()) -> list[FieldError]:
    """Every violation of `instance` against `validator`, sorted by where it is."""
    found: list[FieldError] = []
    for error in validator.iter_errors(instance):
        found.extend(schema_error_to_field_errors(error, prefix))
    found.sort(key=lambda e: (e.pointer or "", e.code))
    return found


@functools.lru_cache(maxsize=256)
def _validator_for(annotation: Any) -> Draft202012Validator:
    return Draft202012Validator(msgspec.json.schema(annotation), format_checker=Draft202012Validator.FORMAT_CHECKER)


def body_field_errors(annotation: Any, document: Any) -> list[FieldError]:
    """All violations of a decoded JSON body against the msgspec type a handler expects."""
    try:
        validator = _validator_for(annotation)
    except (TypeError, ValueError):  # a type msgspec cannot describe: fall back to its own message
        return []
    return schema_errors(validator, document)


def problem_from_validation_exception(request: Request[Any, Any, Any], exc: ValidationException) -> ProblemError:
    """Litestar's 400 ValidationException -> a 422 listing every violation (400 for unreadable JSON)."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors: list[FieldError] = []
    body_reported = False
    for item in extra:
        if not isinstance(item, dict):
            continue
        raw_source = item.get("source") or "body"
        source = str(getattr(raw_source, "value", raw_source))
        message = str(item.get("message") or "")
        key = str(item.get("key") or "")
        if source == "body":
            if body_reported:
                continue
            body_reported = True
            errors.extend(_body_errors(request, message, key))
        else:
            errors.append(
                FieldError(Msg("field.invalid", {"reason": message}), "invalid", parameter=key, location=source)
            )
    if not errors and (missing := _MISSING_PARAMETER.match(str(exc.detail))):
        name = missing.group("name")
        errors.append(
            FieldError(
                Msg("field.required", {"name": name}), "required", parameter=name, location=missing.group("where")
            )
        )
    if not errors:
        errors.append(FieldError(Msg("field.invalid", {"reason": str(exc.detail)}), "invalid", pointer=""))
    return validation_failed(errors)


def _body_errors(request: Request[Any, Any, Any], message: str, key: str) -> list[FieldError]:
    state = ScopeState.from_scope(request.scope)
    document: Any = state.json if state.json is not Empty else None
    raw = state.body
    if not isinstance(document, dict | list) and isinstance(raw, bytes):
        try:
            document = None if nests_deeper_than(raw, MAX_JSON_DEPTH) else json.loads(raw)
        except (ValueError, RecursionError):
            document = None
    data_field = request.route_handler.parsed_data_field
    if document is not None and data_field is not None:
        found = body_field_errors(data_field.annotation, document)
        if found:
            return found
    # msgspec's own message: the first violation (e.g. a check in __post_init__).
    where = msgspec_path_to_pointer(message) or (pointer(key.split(".")) if key else "")
    reason = message.split(" - at ")[0]
    return [FieldError(Msg("field.invalid", {"reason": reason}), "invalid", where)]


def render_errors(errors: Iterable[FieldError], lang: Lang) -> list[dict[str, Any]]:
    return [e.render(lang) for e in errors]
