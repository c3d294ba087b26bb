"""What the public sees: the register of an agency's accounts, and verification answers.

Only what an agency publishes anyway: names, links, dates. Never ids, people, mailboxes or notes
meant for staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Verdict = Literal["official", "suspended", "closing", "formerly_official", "unknown"]
PublicStatus = Literal["official", "suspended", "closing", "formerly_official"]


class Agency(msgspec.Struct):
    slug: str
    name_ja: str
    name_en: str
    register_url: Annotated[str, Meta(description="This agency's register as JSON.")]
    register_page_url: Annotated[str, Meta(description="The same register as an HTML page to link or embed.")]


class RegisteredAccount(msgspec.Struct):
    platform: str
    display_name: str
    url: str
    handle: str | None
    unit_ja: str
    unit_en: str
    purpose: str
    status: PublicStatus
    opened_on: dt.date | None
    closing_on: Annotated[dt.date | None, Meta(description="The last day, for an account being closed.")]
    closed_on: dt.date | None
    account_policy_url: Annotated[str | None, Meta(description="The published account policy, where there is one.")]


class FakeAccountWarning(msgspec.Struct):
    platform: str
    url: str
    handle: str | None
    note_ja: str
    note_en: str
    reported_on: dt.date


class Register(msgspec.Struct):
    agency: Agency
    accounts: Annotated[list[RegisteredAccount], Meta(description="Official now: active, suspended and closing.")]
    closed: Annotated[
        list[RegisteredAccount],
        Meta(description="Formerly official. Their handles may since belong to someone else."),
    ]
    warnings: Annotated[list[FakeAccountWarning], Meta(description="Known fake accounts impersonating the agency.")]


class VerifiedAccount(msgspec.Struct):
    platform: str
    display_name: str
    url: str
    closing_on: dt.date | None
    closed_on: dt.date | None


class Query(msgspec.Struct):
    """How the question was understood: the account it names, however it was written."""

    platform: str
    handle: str | None
    canonical_url: str


class ImpersonationNotice(msgspec.Struct):
    agency: Agency
    note_ja: str
    note_en: str
    message_ja: str
    message_en: str


class Verification(msgspec.Struct):
    verdict: Annotated[
        Verdict,
        Meta(
            description="official: the agency's account now. suspended: the agency's, but its operation is "
            "suspended (posts meanwhile are not to be trusted). closing: the agency's until `closing_on`. "
            "formerly_official: it was the agency's until `closed_on`; whoever posts there now is not. "
            "unknown: no registered agency's account."
        ),
    ]
    query: Query
    message_ja: str
    message_en: str
    account: VerifiedAccount | None = None
    agency: Agency | None = None
    impersonation_warnings: list[ImpersonationNotice] = msgspec.field(default_factory=list)
