"""Account URLs and handles: one platform account, one identity key, however it is written.

Citizens paste whatever their browser or app shows; agencies register what their staff copied.
`parse_account` turns any of those spellings into an `AccountRef` whose `key` is the same for
every spelling of one account and different for different accounts, so the register can be
searched by key. Keys look like `"{platform}:{kind}:{value}"` where kind is

- `handle`: a username the account can rename (lower-cased where the platform ignores case),
- `id`: a permanent id the platform never reassigns (X and Facebook numeric ids, YouTube `UC…`),
- `url`: a link that names the account only through a redirect we cannot follow offline
  (LINE `lin.ee`, TikTok short links) or a page on no known platform (`other`).

An account written as a handle and the same account written as an id get different keys: telling
that they are one needs the platform's API. Callers that learn both store both (`account_keys`).

Nothing here touches the network; only the text of the URL is read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args
from urllib.parse import parse_qs, quote, unquote, urlsplit

import msgspec

from service.kit.errors import Msg

Platform = Literal["x", "facebook", "instagram", "youtube", "line", "tiktok", "other"]
PLATFORMS: Final[tuple[Platform, ...]] = get_args(Platform)

MAX_LENGTH: Final = 2000
# Control characters (Unicode category Cc: C0, DEL, C1), and those or any whitespace (str.isspace).
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACE_OR_CONTROL: Final = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")

PLATFORM_NAMES: Final[Mapping[Platform, str]] = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "line": "LINE",
    "tiktok": "TikTok",
    "other": "other",
}


class AccountRef(msgspec.Struct, frozen=True):
    """One platform account as the register knows it."""

    platform: Platform
    key: str
    handle: str | None
    platform_user_id: str | None
    canonical_url: str


class UnrecognisedAccount(ValueError):
    """Why a value names no account: a reason code (`account.why.<code>` in the catalog) and its
    params. Callers turn it into a 422 with `message`, in the caller's language; `str()` is the
    English text, for logs."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> Msg:
        return Msg(f"account.why.{self.code}", self.params)

    def __str__(self) -> str:
        return self.message.render("en")


def platform_name(platform: Platform) -> Msg:
    """The platform's name as people call it, in the reader's language (for message params)."""
    return Msg(f"account.platform.{platform}")


def parse_account(value: str, platform: Platform | None = None) -> AccountRef:
    """The account named by a URL, or by a bare handle when `platform` says whose handle it is.

    With `platform` given, a URL must belong to that platform; without it the URL's host decides.
    Raises `UnrecognisedAccount` for anything that does not name one account (a post, a video, a
    group, a search, a reserved path, a malformed or over-long value, a non-http(s) scheme).
    """
    if platform is not None and platform not in PLATFORMS:
        raise UnrecognisedAccount("unknown-platform", platform=str(platform))
    if len(value) > MAX_LENGTH:
        raise UnrecognisedAccount("too-long", limit=MAX_LENGTH)
    text = value.strip()
    if not text:
        raise UnrecognisedAccount("empty")
    if _SPACE_OR_CONTROL.search(text):
        raise UnrecognisedAccount("spaces")

    url_text = _as_url(text, platform)
    if url_text is None:
        if platform is None:
            raise UnrecognisedAccount("handle-needs-platform")
        return _parse_handle(text, platform)

    url = _split(url_text)
    found = _platform_of(url.host)
    if platform is not None and found != platform:
        if found == "other":
            raise UnrecognisedAccount("not-platform-url", expected=platform_name(platform))
        if platform == "other":
            raise UnrecognisedAccount("known-platform", found=platform_name(found))
        raise UnrecognisedAccount("wrong-platform", found=platform_name(found), expected=platform_name(platform))
    return _PARSERS[found](url)


def account_keys(ref: AccountRef) -> tuple[str, ...]:
    """Every key the account can be found under: its own key and, for a handle whose permanent id
    is known, the id key too (callers store both so a record is found by either spelling)."""
    if ref.platform_user_id and ref.key.startswith(f"{ref.platform}:handle:"):
        return (ref.key, f"{ref.platform}:id:{ref.platform_user_id}")
    return (ref.key,)


_OPAQUE_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")


def with_user_id(ref: AccountRef, user_id: str) -> AccountRef:
    """`ref` with the platform's permanent id a caller knows (e.g. from the platform's own API),
    in the platform's own form: numeric ids without leading zeros, YouTube's `UC…` channel ids."""
    raw = user_id.strip()
    if ref.platform in {"x", "facebook"}:
        value = _numeric_id(raw)
    elif ref.platform == "youtube":
        value = raw if _YOUTUBE_CHANNEL_ID.fullmatch(raw) else None
    else:
        value = raw if _OPAQUE_ID.fullmatch(raw) else None
    if value is None:
        if ref.platform in {"x", "facebook"}:
            raise UnrecognisedAccount("numeric-id", platform=platform_name(ref.platform))
        if ref.platform == "youtube":
            raise UnrecognisedAccount("youtube-channel-id")
        raise UnrecognisedAccount("user-id", platform=platform_name(ref.platform))
    if ref.platform_user_id is not None and ref.platform_user_id != value:
        raise UnrecognisedAccount("different-user-id")
    return msgspec.structs.replace(ref, platform_user_id=value)


# ---- URL or handle, and the parts of a URL --------------------------------------------------------

_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.DOTALL)
# "x.com:443/..." looks like scheme "x.com" followed by a port: that is a host, not a scheme.
_PORT_AFTER_HOST: Final = re.compile(r"[0-9]+(?:[/?#]|$)")
_HOST_NAME: Final = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")


@dataclass(frozen=True, slots=True)
class _Url:
    host: str  # lower-case, without a trailing dot or port
    port: int | None
    path: str  # percent-decoded
    segments: tuple[str, ...]  # the non-empty segments of `path`
    query: Mapping[str, list[str]]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def _as_url(text: str, platform: Platform | None) -> str | None:
    """`text` as an absolute http(s) URL, or None when it is a bare handle."""
    if text.startswith("//"):  # scheme-relative, as copied from some page sources
        return "https:" + text
    match = _SCHEME.fullmatch(text)
    if match and not _PORT_AFTER_HOST.match(match[2]):
        scheme, rest = match[1].lower(), match[2]
        if scheme in ("http", "https") and rest.startswith("//"):
            return text
        if scheme == "line" and rest.startswith("//"):
            # The LINE app scheme: line://X is what https://line.me/R/X opens.
            return "https://line.me/R/" + rest[2:]
        raise UnrecognisedAccount("scheme", scheme=scheme)

    # No scheme: a URL if it has a path, query or fragment, or starts with a host we know;
    # otherwise a handle. Facebook usernames may contain dots ("city.ageo"), so a dot alone
    # does not make a host when a platform is given.
    if any(ch in text for ch in "/?#"):
        return "https://" + text
    host = text.split(":", 1)[0].lower().rstrip(".")
    if host in _HOSTS or _platform_domain(host) or host.startswith("www."):
        return "https://" + text
    if platform is None and _HOST_NAME.fullmatch(host):
        return "https://" + text
    return None


def _split(url_text: str) -> _Url:
    try:
        parts = urlsplit(url_text)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as exc:
        raise UnrecognisedAccount("invalid-url") from exc
    if "@" in parts.netloc:
        # "https://x.com@evil.example/" goes to evil.example: refuse rather than mislead.
        raise UnrecognisedAccount("user-in-url")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnrecognisedAccount("no-host")
    if not host.isascii():
        raise UnrecognisedAccount("idn-host")
    if not _HOST_NAME.fullmatch(host):
        raise UnrecognisedAccount("bad-host")

    raw_path, raw_query = parts.path, parts.query
    if raw_path in ("", "/") and parts.fragment.startswith("!/"):
        # Old "#!" links (twitter.com/#!/name, facebook.com/#!/name) keep the path in the fragment.
        raw_path, _, raw_query = parts.fragment[1:].partition("?")
    try:
        # Decoded before matching, so "%40name" is "@name"; invalid UTF-8 is not a URL we can read.
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError as exc:
        raise UnrecognisedAccount("path-encoding") from exc
    if _CONTROL.search(path):
        raise UnrecognisedAccount("path-control")
    segments = tuple(segment for segment in path.split("/") if segment)
    return _Url(host, port, path, segments, parse_qs(raw_query))


# ---- hosts -----------------------------------------------------------------------------------------

# Hosts that serve account pages (or short links to them), as written after lower-casing.
_HOSTS: Final[Mapping[str, Platform]] = {
    **dict.fromkeys(
        ["x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com"],
        "x",
    ),
    **dict.fromkeys(
        [
            "facebook.com",
            "www.facebook.com",
            "m.facebook.com",
            "mbasic.facebook.com",
            "web.facebook.com",
            "business.facebook.com",
            "touch.facebook.com",
            "fb.com",
            "www.fb.com",
        ],
        "facebook",
    ),
    **dict.fromkeys(["instagram.com", "www.instagram.com", "m.instagram.com"], "instagram"),
    **dict.fromkeys(
        ["youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be", "www.youtu.be"],
        "youtube",
    ),
    **dict.fromkeys(["line.me", "page.line.me", "lin.ee"], "line"),
    **dict.fromkeys(
        ["tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"],
        "tiktok",
    ),
}

# Facebook serves every locale on its own host too (ja-jp.facebook.com).
_FACEBOOK_LOCALE_HOST: Final = re.compile(r"[a-z]{2}-[a-z]{2}\.facebook\.com")

# Domains the platforms own. A host under one of them that is not in _HOSTS (help.x.com,
# developers.facebook.com, t.co) is refused rather than filed as "other": filing it would give a
# second key to a page of the platform itself, or to an account behind an unsupported spelling.
_PLATFORM_DOMAINS: Final[Mapping[str, Platform]] = {
    "x.com": "x",
    "twitter.com": "x",
    "t.co": "x",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.me": "facebook",
    "fb.watch": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "line.me": "line",
    "lin.ee": "line",
    "tiktok.com": "tiktok",
}


def _platform_domain(host: str) -> Platform | None:
    for domain, platform in _PLATFORM_DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            return platform
    return None


def _platform_of(host: str) -> Platform:
    if host in _HOSTS:
        return _HOSTS[host]
    if _FACEBOOK_LOCALE_HOST.fullmatch(host):
        return "facebook"
    owner = _platform_domain(host)
    if owner is not None:
        raise UnrecognisedAccount("platform-host", host=host, platform=platform_name(owner))
    return "other"


# ---- shared pieces ---------------------------------------------------------------------------------

_DIGITS: Final = re.compile(r"[0-9]{1,20}")


def _numeric_id(text: str) -> str | None:
    """A numeric platform id without leading zeros, or None if `text` is not one."""
    return str(int(text)) if _DIGITS.fullmatch(text) else None


def _handle_ref(platform: Platform, key_value: str, handle: str, canonical_url: str) -> AccountRef:
    return AccountRef(platform, f"{platform}:handle:{key_value}", handle, None, canonical_url)


def _id_ref(platform: Platform, user_id: str, canonical_url: str) -> AccountRef:
    return AccountRef(platform, f"{platform}:id:{user_id}", None, user_id, canonical_url)


def _url_ref(platform: Platform, key_value: str, canonical_url: str) -> AccountRef:
    return AccountRef(platform, f"{platform}:url:{key_value}", None, None, canonical_url)


def _no_account(platform: Platform) -> UnrecognisedAccount:
    return UnrecognisedAccount("no-account", platform=platform_name(platform))


# ---- X -----------------------------------------------------------------------------------------------

_X_HANDLE: Final = re.compile(r"[A-Za-z0-9_]{1,15}")
# First path segments that are X's own pages, not accounts ("i" is handled for /i/user/<id>).
_X_RESERVED: Final = frozenset(
    {
        "home",
        "i",
        "intent",
        "share",
        "search",
        "hashtag",
        "settings",
        "explore",
        "notifications",
        "messages",
        "compose",
        "login",
        "logout",
        "signup",
        "tos",
        "privacy",
    }
)


def _x_handle(name: str) -> AccountRef:
    if not _X_HANDLE.fullmatch(name) or name.lower() in _X_RESERVED:
        raise UnrecognisedAccount("x-handle")
    # X handles ignore case: @Ageo_City and @ageo_city are one account; the display keeps the case.
    return _handle_ref("x", name.lower(), name, f"https://x.com/{name}")


def _x_user_id(text: str) -> AccountRef:
    user_id = _numeric_id(text)
    if user_id is None:
        raise UnrecognisedAccount("numeric-id", platform=platform_name("x"))
    return _id_ref("x", user_id, f"https://x.com/i/user/{user_id}")


def _x(url: _Url) -> AccountRef:
    segments = url.segments
    if not segments:
        raise _no_account("x")
    first = segments[0].lower()
    if first == "i":
        if len(segments) >= 3 and segments[1].lower() == "user":
            return _x_user_id(segments[2])
        raise _no_account("x")
    if first in _X_RESERVED:
        raise _no_account("x")
    # Anything under a handle (/status/123, /media, /with_replies) is that account's page.
    return _x_handle(segments[0])


# ---- Facebook ----------------------------------------------------------------------------------------

_FACEBOOK_USERNAME: Final = re.compile(r"[A-Za-z0-9.]{1,50}")
# "/p/Some-Name-61550000000000/": the id is the trailing run of digits.
_FACEBOOK_P_SLUG: Final = re.compile(r"(?:.*-)?([0-9]{1,20})")
_FACEBOOK_RESERVED: Final = frozenset(
    {
        "groups",
        "events",
        "watch",
        "share",
        "sharer",
        "login",
        "help",
        "pages",
        "marketplace",
        "gaming",
        "stories",
        "reel",
        "reels",
        "photo",
        "photos",
        "videos",
        "hashtag",
        "search",
        "settings",
        "notifications",
        "messages",
        "friends",
        "bookmarks",
        "privacy",
        "policies",
        "legal",
        "dialog",
        "plugins",
        "permalink",
        "story",
        "media",
        "fundraisers",
        "home",
        "people",
        "profile",
        "p",
        "pg",
        "recover",
        "checkpoint",
        "ads",
        "business",
        "l",
    }
)


def _facebook_username(name: str) -> AccountRef:
    if not _FACEBOOK_USERNAME.fullmatch(name) or name.lower() in _FACEBOOK_RESERVED:
        raise UnrecognisedAccount("facebook-username")
    # Facebook ignores case and dots in usernames: john.smith55 and JohnSmith55 are one username.
    key_value = name.replace(".", "").lower()
    if not key_value:
        raise UnrecognisedAccount("facebook-username")
    return _handle_ref("facebook", key_value, name, f"https://www.facebook.com/{name}")


def _facebook_user_id(text: str | None) -> AccountRef:
    user_id = _numeric_id(text or "")
    if user_id is None:
        raise UnrecognisedAccount("numeric-id", platform=platform_name("facebook"))
    return _id_ref("facebook", user_id, f"https://www.facebook.com/profile.php?id={user_id}")


def _facebook(url: _Url) -> AccountRef:
    segments = url.segments
    if not segments:
        raise _no_account("facebook")
    first = segments[0].lower()
    if first == "profile.php":
        return _facebook_user_id(url.param("id"))
    if first == "people" and len(segments) >= 3:  # /people/Display-Name/<id>/
        return _facebook_user_id(segments[2])
    if first == "pages" and len(segments) >= 3 and _DIGITS.fullmatch(segments[2]):  # /pages/Name/<id>/
        return _facebook_user_id(segments[2])
    if first == "p" and len(segments) >= 2 and (slug := _FACEBOOK_P_SLUG.fullmatch(segments[1])):
        return _facebook_user_id(slug[1])
    if first == "pg" and len(segments) >= 2:  # the old Pages layout: /pg/<username>/posts
        return _facebook_username(segments[1])
    if first.endswith(".php") or first in _FACEBOOK_RESERVED:
        raise _no_account("facebook")
    if _DIGITS.fullmatch(segments[0]):  # facebook.com/<id> opens the profile with that id
        return _facebook_user_id(segments[0])
    # Anything under a username (/posts/…, /about) is that account's page.
    return _facebook_username(segments[0])


# ---- Instagram ---------------------------------------------------------------------------------------

_INSTAGRAM_USERNAME: Final = re.compile(r"[A-Za-z0-9._]{1,30}")
_INSTAGRAM_RESERVED: Final = frozenset(
    {
        "p",
        "reel",
        "reels",
        "tv",
        "explore",
        "accounts",
        "direct",
        "stories",
        "about",
        "legal",
        "developer",
        "web",
        "challenge",
        "emails",
        "api",
        "graphql",
        "privacy",
        "terms",
        "directory",
        "create",
        "highlights",
        "s",
        "_u",
    }
)


def _instagram_username(name: str) -> AccountRef:
    if (
        not _INSTAGRAM_USERNAME.fullmatch(name)
        or not any(ch.isalnum() for ch in name)
        or name.lower() in _INSTAGRAM_RESERVED
    ):
        raise UnrecognisedAccount("instagram-username")
    # Instagram usernames ignore case and are shown lower-case, so the handle is lower-cased too.
    # Dots do count on Instagram (unlike Facebook).
    name = name.lower()
    return _handle_ref("instagram", name, name, f"https://www.instagram.com/{name}")


def _instagram(url: _Url) -> AccountRef:
    segments = url.segments
    if not segments:
        raise _no_account("instagram")
    first = segments[0].lower()
    # /stories/<user>/<id>/ is the user's story; /_u/<user> is the app's deep link to a profile.
    if first in ("stories", "_u") and len(segments) >= 2:
        return _instagram_username(segments[1])
    if first in _INSTAGRAM_RESERVED:  # posts (/p/), reels, explore, account settings…
        raise _no_account("instagram")
    return _instagram_username(segments[0])


# ---- YouTube -----------------------------------------------------------------------------------------

_YOUTUBE_CHANNEL_ID: Final = re.compile(r"UC[A-Za-z0-9_-]{22}")
# Handles are 3–30 characters in many scripts (Japanese included): letters, digits, _ - . and ·.
_YOUTUBE_HANDLE: Final = re.compile(r"[\w.·-]{3,30}")
_YOUTUBE_LEGACY_NAME: Final = re.compile(r"[\w.·-]{1,100}")


def _youtube_key(name: str) -> str:
    # Handles ignore case (@AgeoCity is @ageocity); NFC so that composed and decomposed kana match.
    return unicodedata.normalize("NFC", name).lower()


def _youtube_handle(name: str) -> AccountRef:
    if not _YOUTUBE_HANDLE.fullmatch(name):
        raise UnrecognisedAccount("youtube-handle")
    return _handle_ref("youtube", _youtube_key(name), name, f"https://www.youtube.com/@{quote(name, safe='')}")


def _youtube_channel(channel_id: str) -> AccountRef:
    if not _YOUTUBE_CHANNEL_ID.fullmatch(channel_id):
        raise UnrecognisedAccount("youtube-channel-id")
    # Channel ids are case-sensitive: the key keeps the case.
    return _id_ref("youtube", channel_id, f"https://www.youtube.com/channel/{channel_id}")


def _youtube_legacy(kind: str, name: str) -> AccountRef:
    """/c/Name and /user/Name are legacy custom URLs and usernames, treated as the handle of that name
    (same key as /@Name): YouTube reserved each legacy name as its channel's handle when handles came
    in. A channel that took a different handle is then not matched by it, which cannot be told
    offline. The canonical URL keeps the legacy form, the one known to open the channel."""
    if not _YOUTUBE_LEGACY_NAME.fullmatch(name):
        raise UnrecognisedAccount("youtube-channel-name")
    return _handle_ref("youtube", _youtube_key(name), name, f"https://www.youtube.com/{kind}/{quote(name, safe='')}")


def _youtube(url: _Url) -> AccountRef:
    if url.host.endswith("youtu.be"):
        raise UnrecognisedAccount("youtube-video-link")
    segments = url.segments
    if not segments:
        raise _no_account("youtube")
    first = segments[0]
    if first.startswith("@"):
        return _youtube_handle(first[1:])
    kind = first.lower()
    if kind == "channel" and len(segments) >= 2:
        return _youtube_channel(segments[1])
    if kind in ("c", "user") and len(segments) >= 2:
        return _youtube_legacy(kind, segments[1])
    # /watch, /shorts/…, /live/…, /playlist, /results, /embed/…: videos and lists, not channels.
    raise _no_account("youtube")


# ---- LINE --------------------------------------------------------------------------------------------

# Basic IDs ("@123abcde") and premium IDs ("@city-ageo") are lower-case; the "@" is not part of the key.
_LINE_ID: Final = re.compile(r"[a-z0-9._-]{1,20}")
_SHORT_CODE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _line_id(text: str) -> AccountRef:
    # LINE IDs ignore case and are shown lower-case, so the handle is lower-cased too.
    line_id = text.removeprefix("@").lower()
    if not _LINE_ID.fullmatch(line_id):
        raise UnrecognisedAccount("line-id")
    return _handle_ref("line", line_id, line_id, f"https://line.me/R/ti/p/@{line_id}")


def _line(url: _Url) -> AccountRef:
    segments = url.segments
    if url.host == "lin.ee":
        # A short link redirects to the account; the code is case-sensitive and kept as written.
        if len(segments) != 1 or not _SHORT_CODE.fullmatch(segments[0]):
            raise _no_account("line")
        return _url_ref("line", f"lin.ee/{segments[0]}", f"https://lin.ee/{segments[0]}")
    if url.host == "page.line.me":  # page.line.me/<id> or page.line.me/?accountId=<id>
        account_id = segments[0] if segments else url.param("accountId")
        if not account_id:
            raise _no_account("line")
        return _line_id(account_id)
    # line.me: /R/ti/p/@<id> (also without /R/), and /R/oaMessage/@<id>/ which opens a chat with it.
    lowered = [segment.lower() for segment in segments]
    start = 1 if lowered[:1] == ["r"] else 0
    rest, lowered = segments[start:], lowered[start:]
    if lowered[:2] == ["ti", "p"] and len(rest) >= 3 and rest[2].startswith("@"):
        return _line_id(rest[2])
    if lowered[:1] == ["oamessage"] and len(rest) >= 2 and rest[1].startswith("@"):
        return _line_id(rest[1])
    # /R/ti/p/<code> without "@" is a personal QR code; other paths are LINE's own pages.
    raise _no_account("line")


# ---- TikTok ------------------------------------------------------------------------------------------

_TIKTOK_HANDLE: Final = re.compile(r"[A-Za-z0-9_.]{1,24}")


def _tiktok_handle(name: str) -> AccountRef:
    if not _TIKTOK_HANDLE.fullmatch(name) or not any(ch.isalnum() for ch in name):
        raise UnrecognisedAccount("tiktok-username")
    # TikTok usernames ignore case and are shown lower-case, so the handle is lower-cased too.
    name = name.lower()
    return _handle_ref("tiktok", name, name, f"https://www.tiktok.com/@{name}")


def _tiktok(url: _Url) -> AccountRef:
    segments = url.segments
    if url.host in ("vm.tiktok.com", "vt.tiktok.com"):
        # A short link redirects to a profile or a video; the code is case-sensitive.
        if len(segments) != 1 or not _SHORT_CODE.fullmatch(segments[0]):
            raise _no_account("tiktok")
        return _url_ref("tiktok", f"{url.host}/{segments[0]}", f"https://{url.host}/{segments[0]}")
    if segments and segments[0].startswith("@"):  # /@name, /@name/video/123, /@name/live
        return _tiktok_handle(segments[0][1:])
    if len(segments) == 2 and segments[0].lower() == "t" and _SHORT_CODE.fullmatch(segments[1]):
        # www.tiktok.com/t/<code> is the same kind of short link as vm.tiktok.com/<code>.
        return _url_ref("tiktok", f"tiktok.com/t/{segments[1]}", f"https://www.tiktok.com/t/{segments[1]}")
    raise _no_account("tiktok")


# ---- other -------------------------------------------------------------------------------------------

# Characters left as they are when the decoded path is written back into a URL.
_PATH_SAFE: Final = "/:@!$&'()*+,;="


def _other(url: _Url) -> AccountRef:
    # Hosts ignore case (already lower-cased) and www. is taken as the same site; paths keep their
    # case because servers may distinguish it. Query and fragment are dropped: they pick a view of
    # the page, not a different page, as far as the register is concerned.
    port = f":{url.port}" if url.port not in (None, 80, 443) else ""
    path = url.path.rstrip("/")
    key_value = f"{url.host.removeprefix('www.')}{port}{path}"
    return _url_ref("other", key_value, f"https://{url.host}{port}{quote(path, safe=_PATH_SAFE)}")


_PARSERS: Final[Mapping[Platform, Callable[[_Url], AccountRef]]] = {
    "x": _x,
    "facebook": _facebook,
    "instagram": _instagram,
    "youtube": _youtube,
    "line": _line,
    "tiktok": _tiktok,
    "other": _other,
}


# ---- bare handles ------------------------------------------------------------------------------------


def _parse_handle(text: str, platform: Platform) -> AccountRef:
    # NFKC: handles typed with a Japanese IME often come with a full-width "＠" or letters.
    text = unicodedata.normalize("NFKC", text)
    name = text.removeprefix("@")
    if not name:
        raise UnrecognisedAccount("empty-handle")
    match platform:
        case "x":
            return _x_handle(name)  # all-digit X handles exist, so digits stay a handle
        case "facebook":
            # facebook.com/<digits> opens the profile with that id, so bare digits are an id too.
            return _facebook_user_id(name) if _DIGITS.fullmatch(name) else _facebook_username(name)
        case "instagram":
            return _instagram_username(name)
        case "youtube":
            # A bare UC… channel id is taken as the id; "@UC…" is a handle.
            if not text.startswith("@") and _YOUTUBE_CHANNEL_ID.fullmatch(name):
                return _youtube_channel(name)
            return _youtube_handle(name)
        case "line":
            return _line_id(name)
        case "tiktok":
            return _tiktok_handle(name)
        case "other":
            raise UnrecognisedAccount("other-needs-url")
