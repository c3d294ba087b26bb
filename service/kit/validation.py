"""Turning validation failures into field errors with JSON Pointers, every violation listed.

msgspec stops at the first problem in a body; when it does, the same body is checked against the
JSON Schema msgspec derives from the target type, so the caller hears about every field at once.
That second pass only runs on the error path. The same translation serves the guideline
configuration, which is validated by its own JSON Schema.

Nesting is bounded before anything decodes JSON (`nests_deeper_than`): a body 1,000 levels deep
would otherwise exhaust the interpreter's recursion in the decoder, the schema check or whatever
walks the document next.

Bodies are decoded strictly (`body_errors`): a date-time is an RFC 3339 string, an integer a JSON
number, a boolean `true` or `false`; no string or number is coerced into another type. No string of
a body or a parameter may hold the NUL character (U+0000), which PostgreSQL cannot store.

Whatever the decoder says is turned into the catalog's messages (`decoder_error`), so every error
names its real pointer or parameter in the caller's language, never the decoder's English.
"""

from __future__ import annotations

import enum
import functools
import itertools
import json
import re
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.params import ParameterKwarg
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from service.kit.errors import FieldError, InvalidFields, Msg, ProblemError, validation_failed
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


# ---- the NUL character ------------------------------------------------------------------------------

NUL = "\x00"
# JSON carries NUL only escaped (a raw 0x00 inside a string is malformed JSON, refused by the decoder).
_ESCAPED_NUL = b"\\u0000"


def nul_errors(raw: bytes, document: Any) -> list[FieldError]:
    """A 422 field error for each string (value or member name) of a body that holds U+0000.
    Free for nearly every body: the document is walked only when its text has the escape at all."""
    if _ESCAPED_NUL not in raw:
        return []
    found: list[FieldError] = []
    _walk_for_nul(document, [], found)
    return found


def _walk_for_nul(value: Any, path: list[str | int], found: list[FieldError]) -> None:
    if isinstance(value, str):
        if NUL in value:
            found.append(FieldError(Msg("field.nul"), "nul_character", pointer(path)))
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                found.append(FieldError(Msg("field.nul-name"), "nul_character", pointer([*path, key])))
            _walk_for_nul(item, [*path, key], found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_for_nul(item, [*path, index], found)


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
    if error.validator in {"anyOf", "oneOf"} and error.context:
        yield from _union_errors(error, prefix)
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


def _union_errors(error: SchemaError, prefix: Sequence[str | int]) -> Iterator[FieldError]:
    """A value that matches none of a union's shapes (`T | None` above all). The branches whose type
    the value has are the ones that say what is wrong: with one such branch (a string given to
    `Email | None`, an object to `Clause | None`), every error inside it, each at its own pointer;
    with none, the types expected; with several, the most telling error."""
    depth = len(error.absolute_path)
    branches: dict[int, list[SchemaError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = [subs for subs in branches.values() if not _wrong_type_only(subs, depth)]
    if len(fitting) == 1:
        for sub in fitting[0]:
            yield from schema_error_to_field_errors(sub, prefix)
        return
    here = pointer([*prefix, *error.absolute_path])
    if not fitting:
        expected: list[str] = []
        for subs in branches.values():
            for sub in subs:
                names = [sub.validator_value] if isinstance(sub.validator_value, str) else list(sub.validator_value)
                expected.extend(name for name in names if name not in expected)
        yield FieldError(Msg("field.type", {"expected": " | ".join(expected)}), "type", here)
        return
    deepest = best_match(error.context or ())
    if deepest is not None and deepest.validator not in {"anyOf", "oneOf"}:
        yield from schema_error_to_field_errors(deepest, prefix)
        return
    yield FieldError(Msg("field.one_of"), _snake(str(error.validator)), here)


def _wrong_type_only(errors: list[SchemaError], depth: int) -> bool:
    """Whether a union's branch failed only because the value is not of its type."""
    return all(e.validator == "type" and len(e.absolute_path) == depth for e in errors)


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


# ---- what the decoder says, in the catalog's words ----------------------------------------------------

# msgspec's names for JSON types -> JSON Schema's, as the other messages name them.
_JSON_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean", "array": "array",
               "object": "object", "null": "null"}  # fmt: skip
_DECODER_MESSAGES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^Expected `(?P<expected>[^`]+)`, got `[^`]+`$"), "field.type", "type"),
    (re.compile(r"^Expected `str` of length >= (?P<limit>\d+)$"), "field.min_length", "min_length"),
    (re.compile(r"^Expected `str` of length <= (?P<limit>\d+)$"), "field.max_length", "max_length"),
    (re.compile(r"^Expected `(?:array|object)` of length >= (?P<limit>\d+)$"), "field.min_items", "min_items"),
    (re.compile(r"^Expected `(?:array|object)` of length <= (?P<limit>\d+)$"), "field.max_items", "max_items"),
    (re.compile(r"^Expected `str` matching regex .*$"), "field.pattern", "pattern"),
    (re.compile(r"^Expected `(?:int|float)` >= (?P<limit>\S+)$"), "field.minimum", "minimum"),
    (re.compile(r"^Expected `(?:int|float)` <= (?P<limit>\S+)$"), "field.maximum", "maximum"),
    (re.compile(r"^Expected `(?:int|float)` > (?P<limit>\S+)$"), "field.exclusive_minimum", "exclusive_minimum"),
    (re.compile(r"^Expected `(?:int|float)` < (?P<limit>\S+)$"), "field.exclusive_maximum", "exclusive_maximum"),
    (re.compile(r"^Invalid enum value .*$"), "field.enum", "enum"),
    (re.compile(r"^Invalid RFC3339 encoded (?P<format>datetime|date|time)$"), "field.format", "format"),
    (re.compile(r"^Invalid UUID$"), "field.format", "format"),
    (re.compile(r"^Object missing required field `(?P<name>[^`]*)`$"), "field.required", "required"),
    (re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$"), "field.unknown", "unknown_field"),
]
_FORMATS = {"datetime": "date-time", "date": "date", "time": "time"}


def decoder_message(message: str, annotation: Any = None) -> tuple[Msg, str]:
    """msgspec's (or Litestar's) English message about one value -> the catalog's message and a code.
    `annotation` (the declared type, when known) lists the allowed values of an enum."""
    reason = message.split(" - at ")[0].split(" - ")[0].strip()
    for pattern, key, code in _DECODER_MESSAGES:
        found = pattern.match(reason)
        if found is None:
            continue
        params = found.groupdict()
        if key == "field.type":
            names = [_JSON_TYPES.get(name.strip(), name.strip()) for name in params["expected"].split("|")]
            params = {"expected": " | ".join(names)}
        elif key == "field.format":
            params = {"format": _FORMATS.get(params.get("format") or "", "uuid")}
        elif key == "field.enum":
            allowed = allowed_values(annotation)
            if not allowed:
                return Msg("field.not-allowed"), code
            params = {"allowed": ", ".join(allowed)}
        return Msg(key, params), code
    return Msg("field.invalid-value"), "invalid"


def decoder_error(message: str, prefix: str = "") -> FieldError:
    """One body error from msgspec's message, at the pointer its `at $…` names."""
    where = prefix + msgspec_path_to_pointer(message)
    found, code = decoder_message(message)
    if code in {"required", "unknown_field"}:
        where += pointer([str(found.params["name"])])
    return FieldError(found, code, where)


def allowed_values(annotation: Any) -> list[str]:
    """The values a Literal or an Enum (inside Optional or Annotated too) allows, in order."""
    values: list[str] = []
    for leaf in _leaves(annotation):
        if isinstance(leaf, type) and issubclass(leaf, enum.Enum):
            values.extend(str(member.value) for member in leaf)
        elif typing.get_origin(leaf) is typing.Literal:
            values.extend(str(arg) for arg in typing.get_args(leaf))
    return values


def _leaves(annotation: Any) -> list[Any]:
    """The types a parameter annotation is made of, without Annotated, unions and None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(annotation)[0])
    if origin in {typing.Union, types.UnionType}:
        return [leaf for arg in typing.get_args(annotation) for leaf in _leaves(arg)]
    return [] if annotation is None or annotation is type(None) else [annotation]


def parameter_types(annotation: Any) -> set[Any]:
    """The plain types a parameter may take (Literal and Enum leaves count as `str`)."""
    return {leaf for leaf in _leaves(annotation) if isinstance(leaf, type)}


# ---- bodies ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _strict_decoder(annotation: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(annotation, strict=True)


def body_errors(annotation: Any, raw: bytes, document: Any) -> list[FieldError]:
    """Every violation of a JSON body against the type its handler reads, decoded strictly: no
    number or string stands for a date-time, no string for a number or a boolean; and no string
    holds U+0000. Empty when the body is good."""
    found = nul_errors(raw, document)
    try:
        decoder = _strict_decoder(annotation)
    except (TypeError, ValueError):  # a type msgspec cannot decode into: nothing more to check here
        return found
    try:
        decoder.decode(raw or b"null")  # no body reads as null, as Litestar reads it
    except msgspec.ValidationError as exc:
        found.extend(_decoding_errors(annotation, document, exc))
    except msgspec.DecodeError as exc:  # not JSON: the body was decoded once already, so never here
        raise ProblemError("malformed-body", Msg("detail.malformed-json")) from exc
    return _unique(found)


def _decoding_errors(annotation: Any, document: Any, exc: msgspec.ValidationError) -> list[FieldError]:
    """Why a body did not decode: its struct's own check, else every schema violation, else msgspec's
    first one."""
    if isinstance(exc.__cause__, InvalidFields):  # a check in a struct's __post_init__
        prefix = msgspec_path_to_pointer(str(exc))
        return [
            FieldError(e.message, e.code, prefix + (e.pointer or ""), e.parameter, e.location)
            for e in exc.__cause__.errors
        ]
    return body_field_errors(annotation, document) or [decoder_error(str(exc))]


def _unique(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str | None, str]] = set()
    kept = []
    for error in errors:
        if (error.pointer, error.code) not in seen:
            seen.add((error.pointer, error.code))
            kept.append(error)
    return kept


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
            name, annotation = _parameter(request, key)
            found, code = decoder_message(message, annotation)
            errors.append(FieldError(found, code, parameter=name, location=source))
    if not errors and (missing := _MISSING_PARAMETER.match(str(exc.detail))):
        name = missing.group("name")
        errors.append(
            FieldError(
                Msg("field.required", {"name": name}), "required", parameter=name, location=missing.group("where")
            )
        )
    if not errors:
        errors.append(FieldError(Msg("field.invalid-value"), "invalid", pointer=""))
    return validation_failed(errors)


def _parameter(request: Request[Any, Any, Any], key: str) -> tuple[str, Any]:
    """The name a caller gives a handler's parameter (its alias: `from` for `from_version`), and its type."""
    field = request.route_handler.parsed_fn_signature.parameters.get(key.split(".")[0])
    if field is None:
        return key, None
    declared = field.kwarg_definition
    alias = declared.name if isinstance(declared, ParameterKwarg) else None
    return alias or key, field.annotation


def _body_errors(request: Request[Any, Any, Any], message: str, key: str) -> list[FieldError]:
    state = ScopeState.from_scope(request.scope)
    document: Any = state.json if state.json is not Empty else None
    raw = state.body
    key = "" if key == "data" else key  # Litestar's name for the body itself
    if not key and not raw:
        return [FieldError(Msg("field.body-required"), "required", "")]
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
    # msgspec's own message: the first violation.
    if key and not msgspec_path_to_pointer(message):
        message = f"{message} - at `$.{key}`"
    return [decoder_error(message)]


def render_errors(errors: Iterable[FieldError], lang: Lang) -> list[dict[str, Any]]:
    return [e.render(lang) for e in errors]
