"""The post checks in process: one 2,000-character post with 20 links, against each preset's rules.

    .venv/bin/python -m bench.post_checks        (BENCH_ROUNDS, default 2,000 runs a preset)

The post mixes what agencies write: Japanese prose with dates, times and places, ASCII, emoji, a
telephone number and an address, and 20 links (the prefecture's own pages, outside sites, two
shorteners). `check()` is timed on it for each of the five presets, as an account on X (the
heaviest platform: the weighted length); printed beside the target: the median per post (target
< 1 ms), with the machine's load average, since a busy machine slows every figure.

`measure(rounds)` gives the medians (milliseconds, by preset) to other benchmarks, e.g. one that
drives the `POST …/post-checks` endpoint and sets its requests per second beside the checks' cost.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import statistics
import time
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import report
from service.config import project_home
from service.posts import checks
from service.posts.checks import check, find_urls, x_weighted_length
from service.posts.schemas import PostContent

PRESETS = ["ageo-hoikuka", "ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen"]
TARGET_MS = 1.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2000"))
TOKYO = ZoneInfo("Asia/Tokyo")
AT = dt.datetime(2026, 6, 10, 10, 0, tzinfo=TOKYO)  # a Wednesday morning: inside every preset's hours

_PARAGRAPHS = [
    "【お知らせ】令和8年度の保育所入所の一次申込みを11月4日から受け付けます。説明会は10月20日（月）14時から市民会館で開きます📢",
    "申込書は保育課の窓口のほか、市のホームページからもダウンロードできます。",
    "Application forms are also available in English. 詳しい案内は次のページをご覧ください。",
    "お問い合わせ：保育課 048-775-5111（平日8時30分〜17時15分）、メール hoiku@city.example.lg.jp",
    "所在地 〒362-8501 上尾市本町3-1-1 市役所2階",
    "当日は混雑が予想されます。お車でのご来場はご遠慮ください🚗 公共交通機関をご利用ください。",
    "関連する国の制度の説明（外部サイト）はこちらです。",
]
_LINKS = [
    "https://www.pref.ehime.jp/h12345/kouhou/page{n}.html",
    "https://www.city.example.lg.jp/kosodate/hoiku/{n}.html",
    "https://www.cfa.go.jp/policies/hoiku/{n}/",
    "https://www.example.or.jp/event/{n}（外部サイト）",
    "www.example.jp/info?id={n}&lang=ja",
]


def sample_post() -> PostContent:
    """The benchmark's post: exactly 2,000 characters, with 20 links in its text (two of them
    shortened) and one more attached."""
    parts: list[str] = []
    for index in range(20):
        link = _LINKS[index % len(_LINKS)].format(n=1000 + index)
        if index in (7, 14):
            link = f"短縮URL：https://bit.ly/3AbC{index}"
        parts += [_PARAGRAPHS[index % len(_PARAGRAPHS)], "\n", link, "\n"]
    text = "".join(parts)
    filler = "保育のことで分からないことがあれば、お気軽にご相談ください。"
    while len(text) < 2000:
        text += filler
    return PostContent(text=text[:2000], links=["https://www.example.or.jp/card"])


def _rules(slug: str) -> dict[str, Any]:
    preset = json.loads((project_home() / "tenants" / f"{slug}.json").read_text(encoding="utf-8"))
    document: dict[str, Any] = preset["guideline"]["document"]
    return document


def measure(rounds: int, *, warm: bool = False) -> dict[str, float]:
    """The median time of one `check()` of the sample post, in milliseconds, by preset.

    Cold by default: the cache of telephone numbers already matched (`checks._phones_in_short`) is emptied
    before each run, so that each run pays for phonenumbers' matcher as the first check of a draft
    does. `warm` keeps it, as when the same draft is checked again (each save, approval, publication)."""
    post = sample_post()
    medians: dict[str, float] = {}
    for slug in PRESETS:
        document = _rules(slug)
        for _ in range(min(rounds, 50)):  # compile the patterns, load phonenumbers' metadata
            check(post, document, platform="x", at=AT, time_zone=TOKYO)
        timings: list[float] = []
        gc.disable()
        try:
            for _ in range(rounds):
                if not warm:
                    checks._phones_in_short.cache_clear()
                started = time.perf_counter()
                check(post, document, platform="x", at=AT, time_zone=TOKYO)
                timings.append(time.perf_counter() - started)
        finally:
            gc.enable()
        medians[slug] = statistics.median(timings) * 1000
    return medians


def main() -> None:
    post = sample_post()
    load_before = os.getloadavg()
    cold = measure(ROUNDS)
    warm = measure(ROUNDS, warm=True)
    load_after = os.getloadavg()
    findings = {slug: len(check(post, _rules(slug), platform="x", at=AT, time_zone=TOKYO)) for slug in PRESETS}
    print(
        f"post: {len(post.text):,} characters, {len(find_urls(post.text))} links in its text and "
        f"{len(post.links)} attached, X weighted length {x_weighted_length(post.text):,}; {ROUNDS:,} runs a preset"
    )
    print(
        f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after, on {os.cpu_count()} CPUs"
    )
    rows: list[tuple[str, str, str, bool | None]] = [
        (f"{slug} ({findings[slug]} findings): median per post", f"{ms:.3f} ms", f"< {TARGET_MS:g} ms", ms < TARGET_MS)
        for slug, ms in cold.items()
    ]
    rows += [(f"{slug}, the same draft checked again", f"{ms:.3f} ms", "—", None) for slug, ms in warm.items()]
    report(rows)


if __name__ == "__main__":
    main()
