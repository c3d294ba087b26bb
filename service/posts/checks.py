"""The checks of a post against the tenant's rules: pure, synchronous, no I/O.

`check()` reads a draft (`PostContent`) and the guideline configuration in force at the planned
time, and lists what breaks a rule (`blocking`: the workflow refuses to approve or publish) or what
a checker should look at (`warning`: shown, attested, never refused by the machine). It runs on
every save, at approval and at publication, and as the operator types (`POST …/post-checks`), so
it touches no database and no network, and a 2,000-character post takes well under a millisecond
(bench/post_checks.py).

Each finding names the rule (its configuration path), that rule's `basis` from the document, a
JSON Pointer into the draft and, for text, the character range (code points, end exclusive). The
message is not stored: `render()` writes it from the catalog (`post.check.<code>`) in the reader's
language, with the finding's `params`.

Severities, decided here (tests/posts/test_checks.py holds each decision to its word):
- posting hours: outside them is blocking; an emergency with a reason, where the rules allow the
  exception, is a warning (the workflow reports it afterwards); an emergency without a reason is
  blocking.
- URL shorteners: `prohibited` blocks, `discouraged` warns. A link to an outside site not said to be
  one, where the tenant asks for that (004 第2の5(3)オ(ア): 「明記するなど、慎重に」): a warning.
- personal data: what can only be personal blocks where the tenant prohibits `privacy` (every
  preset does), and warns elsewhere: a mobile number or a mobile carrier's mail address (a person's
  own device) and My Number. What an agency also publishes as its own contact (a fixed-line or
  toll-free number, another mail address, a postal address) is a warning: the machine cannot tell
  the agency's 問い合わせ先 from a resident's, the checker can. My Number blocks even where the
  tenant is silent: the My Number Act (§19) forbids handing it out at all.
- a date/time and a place in one sentence, where `location_identifying` is prohibited (003 5(2)カ):
  a warning. The same tenant announces its public events (4(2)ウ), which name a date and a place;
  the checker tells an event from where the children are.
- machine-dependent characters where the tenant asks for accessible text: blocking. 004 第2の5(1)カ
  says 「使用しないこと」, a plain prohibition, and the message says what to write instead.
- the platform's length limit: blocking (the platform refuses the post).
- interaction `not_allowed`: blocking, unless the tenant's exception applies (a repost or quote of a
  government or local-government source: a warning naming the role that must decide);
  `case_by_case`: a warning. Categories, photos without consent or permission, quotes without a
  source: blocking.
Prohibited content is not guessed: the checkers attest it category by category (the workflow).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import phonenumbers

from service.kit.calendar import holiday_name, is_public_holiday, is_year_end_break
from service.kit.i18n import Lang, text
from service.posts.schemas import (
    AttachmentKind,
    Interaction,
    PostContent,
    PostFinding,
    Severity,
    SourceKind,
)
from service.posts.shorteners import shortener_of

BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """A finding as stored with the post (JSON): everything but the message, which is written in the
    reader's language when it is read."""

    code: str
    rule: str
    basis: tuple[str, ...]
    severity: Severity
    pointer: str
    start: int | None = None
    end: int | None = None
    params: dict[str, str] = {}


def render(found: Found, lang: Lang) -> PostFinding:
    return PostFinding(
        code=found.code,
        rule=found.rule,
        basis=list(found.basis),
        severity=found.severity,
        message=text(f"post.check.{found.code}", lang, **found.params),
        pointer=found.pointer,
        start=found.start,
        end=found.end,
    )


def check(
    content: PostContent, document: Mapping[str, Any], *, platform: str, at: dt.datetime, time_zone: ZoneInfo
) -> list[Found]:
    """Every finding of `content` under `document` (the configuration in force at `at`, the planned
    time, which must be aware), for an account on `platform`; ordered by pointer, start, then code."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the planned time must be timezone-aware")
    draft = _Draft(content, document, platform, at.astimezone(time_zone))
    found = [f for rule in _RULES for f in rule(draft)]
    found.sort(key=_order)
    return found


def _order(found: Found) -> tuple[Any, ...]:
    # Pointer segments compared as numbers where they are indexes (/links/10 after /links/2).
    segments = tuple((0, int(s), "") if s.isdigit() else (1, 0, s) for s in found.pointer.split("/")[1:])
    return (segments, -1 if found.start is None else found.start, found.end or -1, found.code)


@dataclass
class _Draft:
    """A draft with what several rules read, computed once."""

    content: PostContent
    document: Mapping[str, Any]
    platform: str
    local: dt.datetime  # the planned time in the tenant's time zone

    def section(self, *path: str) -> Mapping[str, Any] | None:
        node: Any = self.document
        for name in path:
            if not isinstance(node, Mapping) or not isinstance(node.get(name), Mapping):
                return None
            node = node[name]
        return node  # type: ignore[no-any-return]

    def found(
        self,
        code: str,
        rule: tuple[str, ...],
        severity: Severity,
        pointer: str,
        span: tuple[int, int] | None = None,
        /,
        **params: str,
    ) -> Found:
        section = self.section(*rule)
        basis = tuple(str(b) for b in section.get("basis", ())) if section is not None else ()
        return Found(
            code=code,
            rule="/" + "/".join(rule),
            basis=basis,
            severity=severity,
            pointer=pointer,
            start=span[0] if span else None,
            end=span[1] if span else None,
            params=params,
        )

    @cached_property
    def urls(self) -> list[TextUrl]:
        return find_urls(self.content.text)

    def outside_urls(self, start: int, end: int) -> bool:
        return all(end <= url.start or start >= url.end for url in self.urls)


Rule = Callable[[_Draft], Iterator[Found]]
_RULES: list[Rule] = []


def _rule(fn: Rule) -> Rule:
    _RULES.append(fn)
    return fn


# ---- posting hours ----------------------------------------------------------------------------------------


def _window_text(hours: Mapping[str, Any]) -> str:
    return ", ".join(f"{w['start']}-{w['end']}" for w in hours.get("windows", ()))


def _outside_hours(hours: Mapping[str, Any], local: dt.datetime) -> tuple[str, dict[str, str]] | None:
    """Why `local` is outside the posting hours (a code and its params), or None when inside.

    A window includes both its ends at minute precision: 002 says 「8時30分から17時15分の間」 and
    the agencies' 執務時間 08:30–17:15 include 17:15 itself, so a post planned for 17:15 is in and
    one for 17:16 is out (17:15:59 is still 17:15)."""
    day = local.date()
    params = {"local_time": local.strftime("%Y-%m-%d %H:%M"), "hours": _window_text(hours)}
    if hours.get("days") == "weekdays" and day.weekday() >= 5:
        return "outside_days", params
    if hours.get("exclude_public_holidays") and is_public_holiday(day):
        return "public_holiday", {**params, "holiday": holiday_name(day) or ""}
    if hours.get("exclude_year_end_holidays") and is_year_end_break(day):
        return "year_end_holidays", params
    minute = local.strftime("%H:%M")
    if not any(w["start"] <= minute <= w["end"] for w in hours.get("windows", ())):
        return "outside_hours", params
    return None


@_rule
def _hours(draft: _Draft) -> Iterator[Found]:
    rule = ("posting", "hours")
    hours = draft.section(*rule)
    if hours is None or not hours.get("restricted"):
        return
    outside = _outside_hours(hours, draft.local)
    if outside is None:
        return
    code, params = outside
    content = draft.content
    if content.emergency and hours.get("emergency_exception"):
        if content.emergency_reason is None or not content.emergency_reason.strip():
            yield draft.found("emergency_reason_missing", rule, BLOCKING, "/emergency_reason", **params)
        else:
            yield draft.found("emergency_out_of_hours", rule, WARNING, "/planned_at", **params)
        return
    yield draft.found(code, rule, BLOCKING, "/planned_at", **params)


# ---- links in the text ------------------------------------------------------------------------------------
#
# URLs are found the way twitter-text v3 finds them (X's own rules, which also decide X's length),
# rewritten here in a few patterns: a URL with `http(s)://` or a bare domain under a known top-level
# domain, then an optional port, path and query; a path is ASCII (plus Latin and Cyrillic letters),
# so a URL ends at the first full-width character or space (「…https://example.jp/a。詳しくは」 ends
# at "a"), and trailing punctuation that cannot end a URL (".", ",", "!"…) is left out.
# tests/posts/test_checks.py holds the positions and X's length to twitter-text-parser on thousands of
# posts. Not carried over: internationalised domain names written in Unicode (in punycode they are
# found); the t.co path limit; the long tail of generic TLDs (the common ones are below, every
# two-letter country code is); and the way twitter-text takes the characters glued before a domain
# with no `http(s)://` into the domain (「…ください☀️www.example.jp」), then drops the link when they
# do not make a valid IDN: such a domain is a URL here, as a reader sees it.

# The ASCII country-code TLDs of twitter-text's list (IANA root zone).
_CCTLD_NAMES = (
    "ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs bt "
    "bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et "
    "eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im "
    "in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me "
    "mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg "
    "ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx "
    "sy sz tc td tf tg th tj tk tl tm tn to tp tr tt tv tw tz ua ug uk um us uy uz va vc ve vg vi vn vu wf ws ye "
    "yt za zm zw"
)
_CCTLDS = _CCTLD_NAMES.split()
# Generic TLDs seen in Japanese posts (twitter-text knows about 1,250; the rest are counted as text).
_GTLD_NAMES = (
    "com net org info biz edu gov mil int name pro mobi asia jobs tel travel aero coop museum cat app dev page "
    "xyz online site shop blog news link club top tech store website world life live global city design media "
    "art fun moe work ninja gle google youtube apple microsoft yahoo tokyo osaka nagoya yokohama kyoto okinawa ryukyu"
)
_GTLDS = _GTLD_NAMES.split()


def _trie(words: list[str]) -> str:
    """An alternation of `words` factored by their prefixes (co, com, coop -> c(?:o(?:m|op|))…): the
    regular expression engine tries a few letters at each label instead of 300 words."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if "" in node:
            branches.append("")  # the word may end here; longer words are tried first
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(tree)


_TLD = "(?:" + _trie(_GTLDS + _CCTLDS) + r"|xn--[0-9a-z-]+)(?![0-9a-z@+-])"
_LATIN = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
_PATH_CHAR = r"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0400-\u04ff]"
_PATH_END = re.compile(r"[+\-a-z0-9=_#/\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0400-\u04ff)]", re.IGNORECASE)
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = re.compile(r"[a-z0-9\-_&=#/]", re.IGNORECASE)
_URL = re.compile(
    rf"(?:(?<![a-z0-9@＠$#＃])(?P<scheme>https?://)|(?<![a-z0-9{_LATIN}@＠$#＃_./-]))"
    rf"(?P<host>(?:[a-z0-9{_LATIN}-]+\.)+{_TLD})"
    r"(?P<port>:[0-9]+)?"
    rf"(?P<path>/(?:{_PATH_CHAR}|\({_PATH_CHAR}+\))*)?"
    rf"(?P<query>\?{_QUERY_CHAR}*)?",
    re.IGNORECASE,
)


_URL_RUN = re.compile("[!-~\u00c0-\u036f\u0400-\u04ff\u1e00-\u1eff\u2013]+")


@dataclass(frozen=True)
class TextUrl:
    start: int
    end: int
    url: str
    host: str  # lower case


def _trim(part: str, ending: re.Pattern[str]) -> str:
    end = len(part)
    while end > 1 and not ending.match(part, end - 1):
        end -= 1
    return part[:end]


def find_urls(text: str) -> list[TextUrl]:
    """The URLs written in `text`, as twitter-text finds them (see above)."""
    if "." not in text:
        return []
    urls: list[TextUrl] = []
    # A URL is made of ASCII (and Latin or Cyrillic letters): the pattern only runs over such runs
    # that hold a dot, and skips the Japanese between them at C speed.
    for run in _URL_RUN.finditer(text):
        if "." in run.group():
            urls += _urls_in(text, run.start(), run.end())
    return urls


def _urls_in(text: str, position: int, end_of_run: int) -> list[TextUrl]:
    urls: list[TextUrl] = []
    while (match := _URL.search(text, position, end_of_run)) is not None:
        path = match["path"] or ""
        query = match["query"] or ""
        if path:
            trimmed = _trim(path, _PATH_END)
            if trimmed != path:
                path, query = trimmed, ""
        if query:
            query = _trim(query, _QUERY_END)
            if query == "?":
                query = ""
        start = match.start()
        end = match.end("port") if match["port"] else match.end("host")
        end += len(path) + len(query)
        urls.append(TextUrl(start, end, text[start:end], match["host"].lower()))
        position = end  # what was trimmed off may begin the next URL
    return urls


def _host_of(link: str) -> str | None:
    address = link.strip()
    if "://" not in address:
        address = "http://" + address
    try:
        return urllib.parse.urlsplit(address).hostname
    except ValueError:
        return None


@_rule
def _shorteners(draft: _Draft) -> Iterator[Found]:
    rule = ("posting", "url_shorteners")
    section = draft.section(*rule)
    policy = section.get("policy") if section is not None else None
    if policy not in ("prohibited", "discouraged"):
        return
    severity = BLOCKING if policy == "prohibited" else WARNING
    for url in draft.urls:
        if shortener_of(url.host):
            yield draft.found("url_shortener", rule, severity, "/text", (url.start, url.end), host=url.host)
    for index, link in enumerate(draft.content.links):
        host = _host_of(link)
        if host and shortener_of(host):
            yield draft.found("url_shortener", rule, severity, f"/links/{index}", host=host)


# What says a link leads outside: 「外部サイト」 and its usual variants, or the English words, within
# this many characters before or after the URL (a line like 「詳しくは協会のサイト（外部サイト）へ」
# above the URL is covered).
_EXTERNAL_MARKER = re.compile(
    r"外部(?:の)?(?:サイト|リンク|ページ|ホームページ|ウェブサイト|webサイト|ｗｅｂサイト)|external\s+(?:site|link|website|page)",
    re.IGNORECASE,
)
_MARKER_REACH = 50


def _is_own(host: str, own: list[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in own)


@_rule
def _external_links(draft: _Draft) -> Iterator[Found]:
    rule = ("posting", "external_links")
    section = draft.section(*rule)
    if section is None or not section.get("notice_required"):
        return
    own = [str(d).lower().strip(".") for d in section.get("own_domains", ())]
    text_ = draft.content.text
    for url in draft.urls:
        if _is_own(url.host, own):
            continue
        before = text_[max(0, url.start - _MARKER_REACH) : url.start]
        after = text_[url.end : url.end + _MARKER_REACH]
        if not (_EXTERNAL_MARKER.search(before) or _EXTERNAL_MARKER.search(after)):
            yield draft.found("external_link_unmarked", rule, WARNING, "/text", (url.start, url.end), host=url.host)
    marked_anywhere = _EXTERNAL_MARKER.search(text_) is not None
    for index, link in enumerate(draft.content.links):
        host = _host_of(link)
        if host and not _is_own(host, own) and not marked_anywhere:
            yield draft.found("external_link_unmarked", rule, WARNING, f"/links/{index}", host=host)


# ---- personal data ----------------------------------------------------------------------------------------

_PRIVACY_RULE = ("posting", "prohibited_content")
_DIGIT = "[0-9０-９]"
# A run of digits and the separators a Japanese telephone number is written with: only runs holding
# ten digits or more (a Japanese number has ten or eleven) are given to phonenumbers' matcher, which
# decides. The matcher on the whole text costs milliseconds; on these runs, microseconds.
_PHONE_RUN = re.compile(rf"{_DIGIT}[0-9０-９()（）\-－‐‑–—―−ー.． \u3000]{{8,}}{_DIGIT}")
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.PAGER})
_AT_SIGN = re.compile("[@＠]")
_LOCAL_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+[@＠]((?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})"
    r"(?![A-Za-z0-9\-])"
)
# Mail on a mobile carrier's domain belongs to a person's phone.
_MOBILE_MAIL_DOMAINS = (
    "docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp", "vodafone.ne.jp", "disney.ne.jp",
    "ymobile.ne.jp", "ymobile1.ne.jp", "emnet.ne.jp", "pdx.ne.jp", "willcom.com", "rakumail.jp",
)  # fmt: skip
_POSTAL_CODE = re.compile(rf"{_DIGIT}{{3}}[-－‐−ー]{_DIGIT}{{4}}(?![0-9０-９\-－])")
_NUMBER_GOES_ON = frozenset("0123456789０１２３４５６７８９-－")
_PREFECTURES = (
    "北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|東京都|神奈川県|新潟県|富山県|"
    "石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|京都府|大阪府|兵庫県|奈良県|和歌山県|鳥取県|島根県|"
    "岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|沖縄県"
)
# A prefecture, or a municipality's name: up to eight letters and 市, 区, 町, 村 or 郡.
_ADDRESS = re.compile(rf"(?:{_PREFECTURES})|[一-龥々ヶぁ-んァ-ヶー]{{1,8}}?[市区町村郡]")
_ADDRESS_AFTER = re.compile(rf"[ \u3000:：]{{0,3}}(?:{_PREFECTURES}|[一-龥々ヶぁ-んァ-ヶー]{{1,8}}?[市区町村郡])")
_ADDRESS_TAIL = re.compile(r"[^\s、，,。．）)]*")
_ADDRESS_REACH = 40
_MY_NUMBER = re.compile(rf"({_DIGIT}{{4}})[ \u3000\-－]?({_DIGIT}{{4}})[ \u3000\-－]?({_DIGIT}{{4}})(?![0-9０-９\-－])")
_SENTENCE_END = re.compile(r"[。．！？!?\n]")
_NAME_CHAR = re.compile("[一-龥々ァ-ヶー]")
_DATE_OR_TIME = re.compile(
    rf"{_DIGIT}{{1,2}}(?:\s*月\s*{_DIGIT}{{1,2}}\s*日|[/／]{_DIGIT}{{1,2}}(?![0-9０-９/／])|\s*時|[:：]{_DIGIT}{{2}})"
    r"|今日|本日|明日|あす|あした|今朝|今夜|今晩|午前|午後|毎週|毎朝|[月火水木金土日]曜"
)
_PLACE = re.compile(
    r"(?:公園|保育所|保育園|幼稚園|こども園|児童館|児童センター|学童|小学校|中学校|高校|学校|公民館|体育館|図書館|駅|広場"
    r"|会館|センター|ホール|病院|施設|スーパー|プール|グラウンド|河川敷|海岸|神社|寺|丁目|番地)"
)


def _privacy_severity(draft: _Draft) -> Severity:
    section = draft.section(*_PRIVACY_RULE)
    categories = section.get("categories", ()) if section is not None else ()
    return BLOCKING if "privacy" in categories else WARNING


def my_number_is_valid(digits: str) -> bool:
    """The check digit of an individual number (個人番号), by the formula of the ordinance under the My
    Number Act (総務省令第85号 §5): with P(n) the n-th of the first eleven digits counted from the
    right and Q(n) = n + 1 for n ≤ 6, n − 5 for n ≥ 7, r = ΣP(n)Q(n) mod 11; the check digit is 0
    when r ≤ 1, else 11 − r."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    values = [int(d) for d in digits]
    total = sum(values[11 - n] * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    remainder = total % 11
    return values[11] == (0 if remainder <= 1 else 11 - remainder)


def _phones_in(run: str) -> tuple[tuple[int, int, str, bool], ...]:
    """The telephone numbers in a run (start, end, as written, mobile?). The matcher costs about 85 µs
    a number, and the same draft is checked again at every save, at approval and at publication (and
    as the operator types): each distinct run of a usual length is matched once."""
    return _phones_in_short(run) if len(run) <= _CACHED_RUN else _match_phones(run)


_CACHED_RUN = 64  # a number and its neighbours; longer runs (tables of numbers) are not kept


@functools.lru_cache(maxsize=4096)
def _phones_in_short(run: str) -> tuple[tuple[int, int, str, bool], ...]:
    return _match_phones(run)


def _match_phones(run: str) -> tuple[tuple[int, int, str, bool], ...]:
    return tuple(
        (match.start, match.end, match.raw_string, phonenumbers.number_type(match.number) in _MOBILE_TYPES)
        for match in phonenumbers.PhoneNumberMatcher(run, "JP")
    )


@_rule
def _phone_numbers(draft: _Draft) -> Iterator[Found]:
    text_ = draft.content.text
    severity = _privacy_severity(draft)
    for run in _PHONE_RUN.finditer(text_):
        if sum(ch.isdigit() for ch in run.group()) < 10:
            continue
        run_start = run.start()  # with the "+" of +81 or the "(" of (048) before it
        while run_start > 0 and text_[run_start - 1] in "+＋(（":
            run_start -= 1
        for first, last, written, mobile in _phones_in(text_[run_start : run.end()]):
            start, end = run_start + first, run_start + last
            if not draft.outside_urls(start, end):
                continue
            yield draft.found(
                "mobile_phone_number" if mobile else "phone_number",
                _PRIVACY_RULE,
                severity if mobile else WARNING,
                "/text",
                (start, end),
                number=written,
            )


@_rule
def _mail_addresses(draft: _Draft) -> Iterator[Found]:
    if "@" not in draft.content.text and "＠" not in draft.content.text:
        return
    severity = _privacy_severity(draft)
    text_ = draft.content.text
    for at_sign in _AT_SIGN.finditer(text_):
        start = at_sign.start()
        while start > 0 and text_[start - 1] in _LOCAL_PART:
            start -= 1
        match = _EMAIL.match(text_, start)
        if match is None or match.end() <= at_sign.start() or not draft.outside_urls(match.start(), match.end()):
            continue
        domain = match[1].lower()
        mobile = any(domain == d or domain.endswith("." + d) for d in _MOBILE_MAIL_DOMAINS)
        yield draft.found(
            "mobile_email_address" if mobile else "email_address",
            _PRIVACY_RULE,
            severity if mobile else WARNING,
            "/text",
            match.span(),
            address=match.group(),
        )


@_rule
def _postal_addresses(draft: _Draft) -> Iterator[Found]:
    text_ = draft.content.text
    for match in _POSTAL_CODE.finditer(text_):
        start, end = match.start(), match.end()
        if start > 0 and text_[start - 1] in _NUMBER_GOES_ON:
            continue
        mark = start  # 〒, with the spaces after it, starts the range where it is written
        while mark > 0 and text_[mark - 1] in " \u3000":
            mark -= 1
        if mark > 0 and text_[mark - 1] == "〒":
            start = mark - 1
        after = _ADDRESS_AFTER.match(text_, end)
        if after:
            # The address runs on to the next space, comma, full stop or line.
            tail = _ADDRESS_TAIL.match(text_, after.end())
            end = tail.end() if tail else after.end()
        else:
            window_start = max(0, start - _ADDRESS_REACH)
            window = text_[window_start:start]
            cut = max(window.rfind("。"), window.rfind("\n"))
            address = _ADDRESS.search(window, cut + 1)
            if address is None:
                continue
            start = window_start + address.start()
        yield draft.found(
            "postal_address",
            _PRIVACY_RULE,
            WARNING,
            "/text",
            (start, end),
            postal_code=unicodedata.normalize("NFKC", match.group()),
        )


@_rule
def _my_numbers(draft: _Draft) -> Iterator[Found]:
    text_ = draft.content.text
    for match in _MY_NUMBER.finditer(text_):
        if match.start() > 0 and text_[match.start() - 1] in _NUMBER_GOES_ON:
            continue
        digits = unicodedata.normalize("NFKC", "".join(match.groups()))
        if my_number_is_valid(digits) and draft.outside_urls(match.start(), match.end()):
            yield draft.found("my_number", _PRIVACY_RULE, BLOCKING, "/text", match.span())


@_rule
def _location_identifying(draft: _Draft) -> Iterator[Found]:
    section = draft.section(*_PRIVACY_RULE)
    if section is None or "location_identifying" not in section.get("categories", ()):
        return
    text_ = draft.content.text
    # Each pattern runs once over the text; a match belongs to the sentence its start falls in.
    ends = [m.end() for m in _SENTENCE_END.finditer(text_)]
    whens: dict[int, re.Match[str]] = {}
    for match in _DATE_OR_TIME.finditer(text_):
        whens.setdefault(bisect.bisect_right(ends, match.start()), match)
    if not whens:
        return
    wheres: dict[int, re.Match[str]] = {}
    for match in _PLACE.finditer(text_):
        wheres.setdefault(bisect.bisect_right(ends, match.start()), match)
    for sentence in sorted(whens.keys() & wheres.keys()):
        when, where = whens[sentence], wheres[sentence]
        # The place's name: the kanji or katakana before 公園, 会館… (中央公園, 市民会館).
        sentence_start = ends[sentence - 1] if sentence else 0
        place = where.start()
        while place > max(sentence_start, where.start() - 8) and _NAME_CHAR.match(text_, place - 1):
            place -= 1
        # From the first date or time to the first place (or the other way round).
        span = (min(when.start(), place), max(when.end(), where.end()))
        yield draft.found("location_identifying", _PRIVACY_RULE, WARNING, "/text", span)


# ---- machine-dependent characters ------------------------------------------------------------------------
#
# 機種依存文字: characters outside JIS X 0208 that the old vendor character sets added and that
# screen readers, search and older devices still get wrong. Number forms (Ⅰ, ⅰ, ⅓), enclosed
# alphanumerics (①, ⑴, ⒈, ⓐ), dingbat circled digits (❶, ➀), enclosed CJK (㈱, ㊤, ㉑, ㋿), CJK
# compatibility (㍻, ㌔, ㎏, ㏍), half-width katakana and its punctuation (ｶ, ｰ, ｡), the compatibility
# ideographs (﨑; the eleven of them that are unified ideographs in their own right, and so have no
# other spelling, are left alone), №, ℡ and the quotes 〝〟. Emoji are not among them: they are
# characters of their own (and X counts them), not a vendor's variant of a JIS one.
_MACHINE_DEPENDENT = re.compile(
    "[\u2150-\u218f\u2460-\u24ff\u2776-\u2793\u3200-\u32ff\u3300-\u33ff\uff61-\uff9f\u2116\u2121\u301d\u301f"
    "\uf900-\ufa0d\ufa10-\ufa12\ufa15-\ufa1e\ufa20\ufa22\ufa25\ufa26\ufa2a-\ufaff]+"
)
# Where NFKC has no other spelling.
_SPELLED: dict[str, str] = {
    "﨑": "崎",
    "〝": "「",
    "〟": "」",
    **{chr(0x2776 + i): str(i + 1) for i in range(10)},
    **{chr(0x2780 + i): str(i + 1) for i in range(10)},
    **{chr(0x278A + i): str(i + 1) for i in range(10)},
}


@_rule
def _accessible_text(draft: _Draft) -> Iterator[Found]:
    rule = ("posting", "accessible_text")
    section = draft.section(*rule)
    if section is None or not section.get("required"):
        return
    for match in _MACHINE_DEPENDENT.finditer(draft.content.text):
        run = match.group()
        suggestion = unicodedata.normalize("NFKC", "".join(_SPELLED.get(ch, ch) for ch in run))
        yield draft.found(
            "machine_dependent_characters",
            rule,
            BLOCKING,
            "/text",
            match.span(),
            chars=run,
            suggestion=suggestion,
        )


# ---- length --------------------------------------------------------------------------------------------
#
# X: twitter-text's configuration v3 (the `defaults` of config/v3.json in twitter/twitter-text):
# max_weighted_tweet_length 280, scale 100, default_weight 200, transformed_url_length 23,
# emoji_parsing_enabled true, and these ranges of weight 100 (one character):
#     U+0000–U+10FF (Latin, Greek, Cyrillic, Hebrew, Arabic, Indic…, Georgian),
#     U+2000–U+200D (spaces, ZWJ), U+2010–U+201F (dashes, quotes), U+2032–U+2037 (primes);
# every other code point weighs 200 (two: kana, kanji, full-width forms, emoji), every URL 23 and
# every emoji sequence (a flag, a keycap, a ZWJ or modifier sequence, a character with VS16) two, as
# one emoji. The text is NFC-normalised and CR LF counted as one line break first. Emoji sequences are
# recognised by their structure (UTS #51), where the twitter-text ports use a frozen list: sequences
# newer than the list (e.g. ❤️‍🔥, Unicode 13.1) count two here, as X itself counts them.
X_LIMIT = 280
X_URL_WEIGHT = 23
_LIGHT = re.compile("[\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")
_EMOJI_BASE = "\u00a9\u00ae\u203c\u2049\u2100-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
_EMOJI_MODIFIER = "\ufe0f\U0001f3fb-\U0001f3ff"
_EMOJI_SEQUENCE = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    "|[0-9#*]\ufe0f?\u20e3"  # a keycap
    "|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"  # a tag sequence (🏴 + tags)
    f"|[{_EMOJI_BASE}][{_EMOJI_MODIFIER}]?(?:\u200d[{_EMOJI_BASE}][{_EMOJI_MODIFIER}]?)+"  # a ZWJ sequence
    f"|[{_EMOJI_BASE}][{_EMOJI_MODIFIER}]"  # presentation selector or skin tone
    "|[\u00a9\u00ae]"  # © and ® are emoji, weighing two though their code points weigh one
)
_EMOJI_HINT = re.compile(
    "[\u00a9\u00ae\u200d\u20e3\ufe0f\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)
_LINE_BREAKS = re.compile(r"\r\n|\r")


def _x_normal(text: str) -> str:
    return _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text))


def _emoji_sequences(text: str) -> Iterator[re.Match[str]]:
    """The emoji sequences of `text`. Each holds a joiner, a selector, a modifier, a keycap mark, a
    regional indicator or a tag (or is © or ®): text without them (most text) is not scanned."""
    if _EMOJI_HINT.search(text) is None:
        return iter(())
    return _EMOJI_SEQUENCE.finditer(text)


def _plain_weight(text: str) -> int:
    weight = len(text) + len(_LIGHT.sub("", text))  # one for each character, one more for each heavy one
    for emoji in _emoji_sequences(text):
        sequence = emoji.group()
        weight += 2 - len(sequence) - len(_LIGHT.sub("", sequence))
    return weight


def _x_weight(normal: str, urls: list[TextUrl]) -> int:
    weight, position = 0, 0
    for url in urls:
        weight += _plain_weight(normal[position : url.start]) + X_URL_WEIGHT
        position = url.end
    return weight + _plain_weight(normal[position:])


def x_weighted_length(text: str) -> int:
    """The length X counts for `text` (its limit: 280)."""
    normal = _x_normal(text)
    return _x_weight(normal, find_urls(normal))


def _x_overflow(normal: str, urls: list[TextUrl], limit: int) -> int:
    """Where in `normal` the weighted length first goes past `limit`: whole stretches between URLs
    are added at once, and only the stretch that goes past is walked character by character."""
    weight, position = 0, 0
    for url in [*urls, None]:
        stretch = normal[position : url.start if url is not None else len(normal)]
        stretch_weight = _plain_weight(stretch)
        if weight + stretch_weight > limit:
            emoji = {m.start(): m.end() for m in _emoji_sequences(stretch)}
            index = 0
            while index < len(stretch):
                end = emoji.get(index)
                weight += 2 if end is not None or not _LIGHT.match(stretch, index) else 1
                if weight > limit:
                    return position + index
                index = end if end is not None else index + 1
        weight += stretch_weight
        if url is None:
            break
        weight += X_URL_WEIGHT
        if weight > limit:
            return url.start
        position = url.end
    return len(normal)


# Other platforms' published limits for a post's text, and how each counts:
# - Facebook: 63,206 characters for a post (Meta's published figure for page and profile posts).
# - Instagram: 2,200 characters for a caption (Instagram Help Center; the Graph API refuses more).
# - LINE: 5,000 for a text message of an official account, counted in UTF-16 code units
#   (LINE Developers, Messaging API reference, text message; "Counting the characters of a text").
# - TikTok: 2,200 for a caption, in UTF-16 code units ("runes"; TikTok for Developers, Content Posting
#   API, post info `title`).
# - YouTube: 5,000 bytes for a video's description, in UTF-8 (YouTube Data API, videos resource,
#   snippet.description): a full-width character takes three.
# - other: no limit known.
_LIMITS: dict[str, tuple[str, int, str]] = {
    "facebook": ("Facebook", 63_206, "chars"),
    "instagram": ("Instagram", 2_200, "chars"),
    "line": ("LINE", 5_000, "utf16"),
    "tiktok": ("TikTok", 2_200, "utf16"),
    "youtube": ("YouTube", 5_000, "utf8"),
}


def _size(char: str, unit: str) -> int:
    if unit == "utf16":
        return 2 if ord(char) > 0xFFFF else 1
    if unit == "utf8":
        return len(char.encode("utf-8"))
    return 1


def _overflow(text: str, unit: str, limit: int) -> int:
    """The index of the first character past `limit`."""
    counted = 0
    for index, char in enumerate(text):
        counted += _size(char, unit)
        if counted > limit:
            return index
    return len(text)


def _measure(text: str, unit: str) -> int:
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "utf8":
        return len(text.encode("utf-8"))
    return len(text)


@_rule
def _length(draft: _Draft) -> Iterator[Found]:
    rule = ("platforms",)
    text_ = draft.content.text
    if draft.platform == "x":
        normal = _x_normal(text_)
        urls = draft.urls if normal == text_ else find_urls(normal)
        weight = _x_weight(normal, urls)
        if weight > X_LIMIT:
            # The range is given where it points into the text as written (normalisation kept its length).
            span = (_x_overflow(normal, urls, X_LIMIT), len(text_)) if len(normal) == len(text_) else None
            yield draft.found("x_text_too_long", rule, BLOCKING, "/text", span, length=str(weight), limit=str(X_LIMIT))
        return
    if draft.platform not in _LIMITS:
        return
    name, limit, unit = _LIMITS[draft.platform]
    size = _measure(text_, unit)
    if size <= limit:
        return
    index = _overflow(text_, unit, limit)
    code = "youtube_text_too_long" if unit == "utf8" else "text_too_long"
    yield draft.found(
        code, rule, BLOCKING, "/text", (index, len(text_)), platform=name, length=str(size), limit=str(limit)
    )


# ---- interaction, content category, photos, quotes --------------------------------------------------------

_INTERACTION_RULES: dict[Interaction, tuple[str, str]] = {
    Interaction.REPLY: ("replies", "reply"),
    Interaction.REPOST: ("reposts", "repost"),
    Interaction.QUOTE: ("reposts", "repost"),  # a quote is a repost with a comment (003 2(6))
    Interaction.FOLLOW: ("follows", "follow"),
}
_EXCEPTIONS: dict[SourceKind, str] = {
    SourceKind.GOVERNMENT_AGENCY: "government_agencies",
    SourceKind.LOCAL_GOVERNMENT: "local_governments",
}


@_rule
def _interaction(draft: _Draft) -> Iterator[Found]:
    content = draft.content
    if content.interaction not in _INTERACTION_RULES:
        return
    name, kind = _INTERACTION_RULES[content.interaction]
    rule = ("interaction", name)
    if content.source is None:
        yield draft.found("source_missing", rule, BLOCKING, "/source")
    section = draft.section(*rule)
    if section is None:
        return
    policy = section.get("policy")
    if policy == "case_by_case":
        yield draft.found(f"{kind}_case_by_case", rule, WARNING, "/interaction")
    if policy != "not_allowed":
        return
    source = content.source
    exception = _EXCEPTIONS.get(source.kind) if source is not None else None
    if source is not None and exception is not None and exception in section.get("exceptions", ()):
        # The tenant's exception (003 5(1)カ: government and local-government sources, on the 課長's
        # decision): allowed, and the workflow asks that role to approve.
        # Who decides: the role the exception names, else the posts' approver, else the unit head.
        approval = draft.section("posting", "approval") or {}
        role = str(section.get("exception_approver_role") or approval.get("approver_role") or "unit_head")
        titles = draft.section("role_titles")
        title = titles.get(role) if titles is not None and role else None
        yield draft.found(
            "repost_exception",
            rule,
            WARNING,
            "/source",
            role=role,
            role_title=str(title or role),
            source=source.name or source.account,
        )
        return
    yield draft.found(f"{kind}_not_allowed", rule, BLOCKING, "/interaction")


@_rule
def _category(draft: _Draft) -> Iterator[Found]:
    rule = ("posting", "allowed_content")
    section = draft.section(*rule)
    if section is None or not section.get("restricted"):
        return
    category = draft.content.category
    if category is None:
        yield draft.found("category_missing", rule, BLOCKING, "/category")
    elif category not in section.get("categories", ()):
        yield draft.found("category_not_allowed", rule, BLOCKING, "/category", category=category)


_PICTURES = (AttachmentKind.PHOTO, AttachmentKind.VIDEO)


@_rule
def _photos(draft: _Draft) -> Iterator[Found]:
    consent_rule = ("posting", "photo_consent_required")
    consent = draft.section(*consent_rule)
    venue_rule = ("posting", "venue_permission_required")
    venue = draft.section(*venue_rule)
    for index, attachment in enumerate(draft.content.attachments):
        if attachment.kind not in _PICTURES:
            continue
        pointer = f"/attachments/{index}"
        if consent and consent.get("required") and attachment.people_appear and attachment.consent_obtained is not True:
            yield draft.found("photo_consent_missing", consent_rule, BLOCKING, pointer)
        if (
            venue
            and venue.get("required")
            and attachment.third_party_venue
            and attachment.venue_permission_obtained is not True
        ):
            yield draft.found("venue_permission_missing", venue_rule, BLOCKING, pointer)


@_rule
def _quotes(draft: _Draft) -> Iterator[Found]:
    rule = ("posting", "quotes")
    section = draft.section(*rule)
    if section is None or not section.get("source_required"):
        return
    content = draft.content
    quoting = content.contains_quotation or content.interaction == Interaction.QUOTE
    if quoting and not (content.quotation_source and content.quotation_source.strip()):
        yield draft.found("quotation_source_missing", rule, BLOCKING, "/quotation_source")
