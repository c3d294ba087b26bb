"""What a post is made of (the draft a checker reads) and what the API answers about posts."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta


class Interaction(enum.StrEnum):
    """What the post does on the platform (the rules of `/interaction` apply to all but `post`)."""

    POST = "post"
    REPLY = "reply"
    REPOST = "repost"
    QUOTE = "quote"
    FOLLOW = "follow"


class AttachmentKind(enum.StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    ILLUSTRATION = "illustration"
    DOCUMENT = "document"
    OTHER = "other"


class SourceKind(enum.StrEnum):
    """Who the account replied to, reposted, quoted or followed is (`/interaction/reposts/exceptions`)."""

    GOVERNMENT_AGENCY = "government_agency"
    LOCAL_GOVERNMENT = "local_government"
    OTHER = "other"


ContentCategory = Literal[
    "emergency", "disaster_status", "events", "important_notices", "public_relations", "other_approved"
]  # fmt: skip


class Attachment(msgspec.Struct, forbid_unknown_fields=True):
    kind: AttachmentKind
    description: Annotated[str, Meta(max_length=500, description="What it shows (alt text where it is an image).")] = ""
    people_appear: Annotated[bool, Meta(description="People can be recognised in it.")] = False
    consent_obtained: Annotated[
        bool | None, Meta(description="Everyone recognisable in it agreed to its publication.")
    ] = None
    third_party_venue: Annotated[
        bool, Meta(description="Taken at a commercial facility or an event the agency does not host.")
    ] = False
    venue_permission_obtained: Annotated[
        bool | None, Meta(description="The venue or organiser allowed the photo to be taken and published.")
    ] = None


class Source(msgspec.Struct, forbid_unknown_fields=True):
    """The account a reply, repost, quote or follow concerns."""

    account: Annotated[str, Meta(min_length=1, max_length=2000, description="Its URL or handle.")]
    kind: SourceKind = SourceKind.OTHER
    name: Annotated[str, Meta(max_length=200, description="Who it is (a ministry, a city…).")] = ""


class PostContent(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A post as drafted: everything the checks read. The account is not part of it (a post stays
    with its account)."""

    text: Annotated[str, Meta(max_length=10_000, description="The text as it will be published.")] = ""
    links: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=2000)]],
        Meta(max_length=100, description="Links attached besides those written in the text (a link card)."),
    ] = msgspec.field(default_factory=list)
    attachments: Annotated[list[Attachment], Meta(max_length=20)] = msgspec.field(default_factory=list)
    category: Annotated[
        ContentCategory | None,
        Meta(description="The kind of content, where the tenant allows only some (`/posting/allowed_content`)."),
    ] = None
    interaction: Interaction = Interaction.POST
    source: Annotated[
        Source | None, Meta(description="For a reply, repost, quote or follow: the account it concerns.")
    ] = None
    quotation_source: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=500,
                description="Where quoted text or images come from, named as the post names it.",
            ),
        ]
        | None
    ) = None
    contains_quotation: Annotated[bool, Meta(description="The post quotes someone else's text or images.")] = False
    planned_at: Annotated[dt.datetime | None, Meta(description="When it is to be published (default: now).")] = None
    emergency: Annotated[
        bool, Meta(description="An emergency (a disaster…) that may go out of hours, where the rules allow it.")
    ] = False
    emergency_reason: Annotated[str, Meta(min_length=1, max_length=1000)] | None = None


Severity = Literal["blocking", "warning"]


class PostFinding(msgspec.Struct, kw_only=True):
    """One rule a draft breaks or should be looked at for."""

    code: Annotated[str, Meta(description="Stable code, e.g. `outside_hours`, `url_shortener`, `phone_number`.")]
    rule: Annotated[str, Meta(description="The configuration path of the rule, e.g. `/posting/hours`.")]
    basis: Annotated[list[str], Meta(description="The clauses of the tenant's guideline the rule comes from.")]
    severity: Severity
    message: Annotated[str, Meta(description="What is wrong, in the caller's language.")]
    pointer: Annotated[str, Meta(description="JSON Pointer into the draft, e.g. `/text`, `/attachments/0`.")]
    start: Annotated[int | None, Meta(description="Where in the text it starts (characters, from 0).")] = None
    end: Annotated[int | None, Meta(description="Where in the text it ends (exclusive).")] = None


# ---- requests ----------------------------------------------------------------------------------------------

Categories = Annotated[
    list[Annotated[str, Meta(min_length=1, max_length=100)]],
    Meta(
        max_length=50,
        description="Each of the tenant's prohibited-content categories (`/posting/prohibited_content/categories`), "
        "attested absent from the post by whoever checks it.",
    ),
]


class PostCreate(PostContent, forbid_unknown_fields=True, kw_only=True):
    account_id: uuid.UUID
    in_range: Annotated[
        bool,
        Meta(
            description="Posted within the pre-approved range (where the tenant allows one): checked by the range's "
            "checkers, published without the head's approval, reviewed by them afterwards."
        ),
    ] = False

    def content(self) -> PostContent:
        fields = {name: getattr(self, name) for name in PostContent.__struct_fields__}
        return PostContent(**fields)


class Submission(msgspec.Struct, forbid_unknown_fields=True):
    attest: Categories


class CheckCreate(msgspec.Struct, forbid_unknown_fields=True):
    attest: Categories
    note: Annotated[str, Meta(max_length=2000)] = ""


class Approval(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, Meta(max_length=2000)] = ""


class ReasonGiven(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class Publication(msgspec.Struct, forbid_unknown_fields=True):
    url: (
        Annotated[str, Meta(pattern=r"^https?://", max_length=2000, description="The post on the platform.")] | None
    ) = None
    published_at: Annotated[dt.datetime | None, Meta(description="When it went out (default: now; never later).")] = (
        None
    )


class Deletion(msgspec.Struct, forbid_unknown_fields=True):
    deleted_at: Annotated[dt.datetime | None, Meta(description="When it was deleted (default: now).")] = None


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    note: Annotated[str, Meta(max_length=4000)] = ""


# ---- answers ---------------------------------------------------------------------------------------------


class SignoffRead(msgspec.Struct):
    kind: Literal["check", "approval"]
    signed_by: str
    agency: Annotated[bool, Meta(description="By the agency's own staff (not a contractor).")]
    current: Annotated[bool, Meta(description="Of the post's present content (an edit voids earlier ones).")]
    attested: list[str]
    note: str
    created_at: dt.datetime


PostStateName = Literal["draft", "submitted", "approved", "published", "rejected", "withdrawn"]
AwaitingName = Literal["check", "agency_check", "approval", "publication", "review"]


class PostRead(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    state: PostStateName
    awaiting: Annotated[AwaitingName | None, Meta(description="What it waits for now, if anything.")]
    content: PostContent
    findings: Annotated[list[PostFinding], Meta(description="What the checks found, last run.")]
    blocking: Annotated[int, Meta(description="How many findings stop it going further.")]
    checkers_required: int
    approver_roles: Annotated[list[str], Meta(description="Who must approve it (empty: nobody).")]
    in_range: bool
    by_contractor: bool
    author: str
    source: Literal["operator", "system"]
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    approved_by: str | None
    published_at: dt.datetime | None
    published_url: str | None
    published_by: str | None
    decision: Annotated[
        Literal["approved", "pre_approved_range", "none"] | None,
        Meta(
            description="How the published post was decided: the sign-offs the rules asked, the range, none recorded."
        ),
    ]
    deleted_at: dt.datetime | None
    reason: Annotated[str | None, Meta(description="Why it was rejected or withdrawn.")]
    corrects_id: uuid.UUID | None
    corrected_by_id: uuid.UUID | None
    review_id: uuid.UUID | None
    signoffs: list[SignoffRead]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class CheckResult(msgspec.Struct):
    findings: list[PostFinding]
    blocking: int


class PostCheckRequest(PostContent, forbid_unknown_fields=True, kw_only=True):
    account_id: uuid.UUID


class ReviewRead(msgspec.Struct):
    id: uuid.UUID
    unit_id: uuid.UUID
    reviewed_by: str
    note: str
    post_count: int
    created_at: dt.datetime
