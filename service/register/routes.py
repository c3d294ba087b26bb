"""/v1/public/…: the register of each agency and verification, for anyone, without a login.

Answers carry a content ETag and a short public max-age, so browsers, CDNs and agency sites can
cache them; `If-None-Match` gets a 304. Every address has a request budget (PUBLIC_RATE_PER_MINUTE).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import jinja2
import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader, State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, Parameter

from service.accounts.urls import PLATFORM_NAMES, Platform, UnrecognisedAccount, parse_account
from service.config import Settings
from service.kit.db import Database
from service.kit.errors import FieldError, Msg, not_found, validation_failed
from service.kit.http import problems
from service.kit.ratelimit import public_rate_limit
from service.register import service
from service.register.schemas import Register, Verification

_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_PAGES.filters["jdate"] = lambda day: f"{day.year}年{day.month}月{day.day}日" if day else ""
_PAGES.filters["iso"] = lambda day: day.isoformat() if day else ""
# Handles are shown as each platform shows them: @name, except Facebook page names.
_PAGES.filters["handle"] = lambda name, platform: name if platform in {"facebook", "other"} else f"@{name}"
_REGISTER_PAGE = _PAGES.get_template("register.html")

CACHE_HEADERS = [
    ResponseHeader(name="ETag", description="Send it back in If-None-Match to get a 304.", documentation_only=True),
    ResponseHeader(
        name="Cache-Control", description="`public, max-age=…` (PUBLIC_CACHE_SECONDS).", documentation_only=True
    ),
]


IfNoneMatch = Annotated[
    str | None, HeaderParameter(name="If-None-Match", description="The ETag you hold: unchanged, the answer is 304.")
]


def public_responses(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        304: ResponseSpec(None, description="Not modified: the ETag in If-None-Match is still current."),
        **problems(*statuses),
    }


def cacheable(settings: Settings, held: str | None, body: bytes, media_type: str) -> Response[bytes]:
    """The body with a content ETag, or an empty 304 when the caller already holds it (`held`)."""
    tag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={settings.public_cache_seconds}"}
    held = held or ""
    if tag in {t.strip().removeprefix("W/") for t in held.split(",")} or held.strip() == "*":
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class PublicRegisterController(Controller):
    path = "/v1/public"
    tags = ["Public register"]
    opt = {"exclude_from_auth": True}
    security = []
    before_request = public_rate_limit  # type: ignore[assignment]  # Litestar unbinds it
    response_headers = CACHE_HEADERS

    async def _register(self, state: State, slug: str) -> Register:
        settings: Settings = state.settings
        register = await service.register_of(state.db, slug, settings.base_url)
        if register is None:
            raise not_found("tenant")
        return register

    @get(
        "/tenants/{slug:str}/register",
        operation_id="getPublicRegister",
        summary="An agency's official accounts, fake-account warnings and closed accounts (JSON)",
        responses=public_responses(404, 429),
    )
    async def register(
        self, state: State, slug: FromPath[str], if_none_match: IfNoneMatch = None
    ) -> Response[Register]:
        """Active, suspended and closing accounts (with the closing date) in `accounts`; closed ones
        in `closed`, marked formerly official with the date, so a handle taken over later is not
        mistaken for the agency's; known fakes in `warnings`."""
        register = await self._register(state, slug)
        return cacheable(state.settings, if_none_match, msgspec.json.encode(register), "application/json")  # type: ignore[return-value]

    @get(
        "/tenants/{slug:str}/register.html",
        operation_id="getPublicRegisterPage",
        summary="The same register as an accessible Japanese page, to link to or embed",
        media_type="text/html",
        responses=public_responses(404, 422, 429),
    )
    async def register_page(
        self,
        state: State,
        slug: FromPath[str],
        embed: Annotated[bool, Parameter(description="Without the page's heading and footer, for an iframe.")] = False,
        if_none_match: IfNoneMatch = None,
    ) -> Response[str]:
        register = await self._register(state, slug)
        page = _REGISTER_PAGE.render(
            agency=register.agency,
            register=register,
            embed=embed,
            platform_names=PLATFORM_NAMES,
        )
        response = cacheable(state.settings, if_none_match, page.encode(), "text/html; charset=utf-8")
        # Agencies embed the page in their own sites; it runs no script and loads nothing.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *; base-uri 'none'; form-action 'none'"
        )
        return response  # type: ignore[return-value]

    @get(
        "/verify",
        operation_id="verifyAccount",
        summary="Is this account official? By URL, or by platform and handle, across every agency",
        responses=public_responses(422, 429),
    )
    async def verify(
        self,
        state: State,
        url: Annotated[
            str | None,
            Parameter(
                max_length=2000,
                description="The account's URL as you see it (any of the platform's forms, with or without tracking parameters).",
            ),
        ] = None,
        platform: Annotated[
            Platform | None, Parameter(description="With `handle`; or to say whose URL `url` is.")
        ] = None,
        handle: Annotated[str | None, Parameter(max_length=200, description="The handle, with or without @.")] = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response[Verification]:
        """The answer names the agency and links its register. A URL the register does not hold is
        `unknown`; agencies' warnings about a fake account come with any verdict."""
        value, name = (url, "url") if url else (handle, "handle")
        if not value or (name == "handle" and platform is None):
            raise validation_failed(
                [FieldError(Msg("detail.verify-what"), "required", parameter="url", location="query")]
            )
        try:
            ref = parse_account(value, platform)
        except UnrecognisedAccount as exc:
            raise validation_failed(
                [
                    FieldError(
                        Msg("account.unrecognised", {"reason": exc.message}),
                        "unrecognised_account",
                        parameter=name,
                        location="query",
                    )
                ]
            ) from exc
        db: Database = state.db
        answer = await service.verify(db, ref, state.settings.base_url)
        return cacheable(state.settings, if_none_match, msgspec.json.encode(answer), "application/json")  # type: ignore[return-value]
