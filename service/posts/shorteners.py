"""URL shortener hosts, for `/posting/url_shorteners` (001 §4(6), 004 第2の5(3)オ(イ)).

Both seeds give the same reason: a shortened link hides the address it leads to, and readers of an
official account cannot tell where they are sent. Nothing is resolved over the network: a post is
checked as it is written, the check must be fast and repeatable, and a shortener's redirect can
change after the check anyway. A link is a shortener when its host (or a subdomain of it) is listed.

Where the list comes from: a selection from the active list of PeterDaveHello/url-shorteners on
GitHub (https://github.com/PeterDaveHello/url-shorteners, file `list`, CC BY-SA 4.0), kept to the
services seen in Japanese posts and the general-purpose ones, plus `amzn.asia` (Amazon.co.jp's share
links, not in that list). To maintain it: add a host here with the kind of service it is, and a test
in tests/posts/test_checks.py if it needs a decision.

Decisions on the hosts that list also carries:
- `t.co` IS a shortener here. X wraps every link in t.co when it publishes, but a draft holds the
  address the operator typed: a t.co in a draft was copied from another post, and it hides where it
  goes exactly like bit.ly (it can lead to any site).
- `lin.ee` and `youtu.be` are NOT. They are the platforms' own addresses for one of their own things
  (the add-friend link LINE issues for an official account, opening LINE itself; a YouTube video by
  its id, the same id as in youtube.com/watch?v=…). The reader sees where they lead, which is what
  the rule is about. The same holds for `wa.me`, `t.me`, `m.me`, `fb.watch` and `instagr.am`.
- Brand shorteners that hide which page of a large site they open (amzn.to, forms.gle, aka.ms…) ARE
  shorteners: the long address exists and says what the page is.
"""

from __future__ import annotations

# General-purpose services: a link may lead to any site.
GENERAL: frozenset[str] = frozenset(
    {
        "bit.ly", "bitly.com", "bitly.is", "j.mp", "t.co", "tinyurl.com", "tiny.cc", "tiny.one", "ow.ly",
        "owl.li", "ht.ly", "buff.ly", "dlvr.it", "ift.tt", "goo.gl", "goo.su", "is.gd", "v.gd", "x.gd", "da.gd",
        "cutt.ly", "cutt.us", "rebrand.ly", "rb.gy", "shorturl.at", "shorturl.asia", "shorturl.com", "t.ly",
        "s.id", "bl.ink", "b.link", "dub.sh", "t2m.io", "kutt.it", "u.nu", "u.to", "adf.ly", "ouo.io", "bc.vc",
        "lnkd.in", "trib.al", "snip.ly", "qr.net", "qrco.de", "lnky.jp", "htn.to", "onelink.to",
        "smarturl.it", "surl.li", "reurl.cc", "ppt.cc", "lihi.cc",
    }
)  # fmt: skip

# One brand's own shorteners, hiding which page of its site they open.
BRANDED: frozenset[str] = frozenset(
    {
        "amzn.to", "amzn.asia", "a.co", "forms.gle", "g.co", "goo.gle", "aka.ms", "1drv.ms", "wp.me", "fb.me",
        "pin.it", "spoti.fi", "apple.co", "db.tt", "flic.kr", "redd.it", "dai.ly", "nyti.ms", "bbc.in",
    }
)  # fmt: skip

# Not shorteners, though other lists carry them (see the module's docstring): kept here so the
# decision is visible and tested.
OWN_PLATFORM_ADDRESSES: frozenset[str] = frozenset(
    {"lin.ee", "youtu.be", "wa.me", "t.me", "m.me", "fb.watch", "instagr.am"}
)  # fmt: skip

SHORTENERS: frozenset[str] = GENERAL | BRANDED


def shortener_of(host: str) -> str | None:
    """The listed shortener `host` belongs to (itself or a parent domain, e.g. maps.app.goo.gl ->
    goo.gl), or None. `host` is compared lower-case, without a trailing dot."""
    name = host.lower().rstrip(".")
    while name:
        if name in SHORTENERS:
            return name
        _, dot, rest = name.partition(".")
        if not dot:
            return None
        name = rest
    return None
