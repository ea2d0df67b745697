"""Whole stories must not make the hourly pass slow: a pass of 200 sources (5 new articles
each, 1,000 in all) where every new article has 2 pictures and 20% of the sources give only
summaries (their articles' pages are read), with `images = "mirror"`, against the same pass
with `images = "keep"` (pages still read) and against a plain pass (`fulltext = false`,
`images = "keep"`). Feeds, pages and pictures are served from disk by `feedserver.FeedFarm`
(100 loopback hosts; a source's pages and pictures are on its feed's host), and the most
requests any one host answered at the same time is reported, against `per_host`.

    python bench/bench_enrich.py [--runs 3] [--feeds 200] [--tmp /dev/shm]

Prints a Markdown table and writes it to bench/results/enrich-<date>.md (scratch/ for runs
that are not the standard measurement).
"""

from __future__ import annotations

import argparse
import datetime
import io
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from feedserver import FeedFarm  # noqa: E402
from report import save_markdown  # noqa: E402
from runner import run_checked  # noqa: E402

ITEMS = 5
PICTURES = 2
SUMMARY_SHARE = 5  # every 5th source gives summaries: 20%
WIDE_SHARE = 10  # every 10th picture is wider than image_max_width: re-encoded
PARAGRAPH = "记者从现场了解到，当地居民对这项政策的反应不一，许多人表示需要更多时间来适应新的变化。"


def _pictures(folder: Path, feeds: int, seed: int = 7) -> int:
    """One distinct JPEG per picture of every item: most 800x533, some 2400x1600."""
    from PIL import ImageDraw

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    bases = {size: _photo_like(size) for size in ((800, 533), (2400, 1600))}
    total = 0
    n = 0
    for feed in range(feeds):
        for item in range(ITEMS):
            for k in range(PICTURES):
                n += 1
                size = (2400, 1600) if n % WIDE_SHARE == 0 else (800, 533)
                image = bases[size].copy()
                draw = ImageDraw.Draw(image)
                for _ in range(6):  # unique bytes for each picture
                    x, y = rng.randrange(size[0] - 60), rng.randrange(size[1] - 60)
                    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
                    draw.rectangle((x, y, x + 60, y + 60), fill=colour)
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85)
                (folder / f"f{feed}-{item}-{k}.jpg").write_bytes(out.getvalue())
                total += out.tell()
    return total


def _photo_like(size: tuple[int, int]):  # type: ignore[no-untyped-def]
    """Smooth colour areas with a little grain: compresses like a news photo (800 px: ~60 KB
    at quality 85), where pure noise would not compress at all."""
    from PIL import Image

    coarse = Image.merge(
        "RGB", [Image.effect_noise((size[0] // 20, size[1] // 20), 60) for _ in range(3)]
    )
    grain = Image.effect_noise(size, 12).convert("RGB")
    return Image.blend(coarse.resize(size, Image.Resampling.BICUBIC), grain, 0.15)


def _story(feed: int, item: int) -> str:
    return "".join(f"<p>第{p}段（{feed}-{item}）：{PARAGRAPH * 3}</p>" for p in range(1, 13))


def _corpus(root: Path, farm: FeedFarm, feeds: int) -> list[str]:
    """Feeds, pages and pictures under root; the [[site]] tables of the configuration."""
    now = datetime.datetime.now(datetime.UTC)
    sites = []
    for feed in range(feeds):
        base = farm.base_url(feed)
        summaries = feed % SUMMARY_SHARE == 0
        items = []
        for item in range(ITEMS):
            pictures = "".join(
                f'<p><img src="{base}/img/f{feed}-{item}-{k}.jpg" alt="图{k}"></p>'
                for k in range(PICTURES)
            )
            story = _story(feed, item)
            link = f"{base}/pages/f{feed}-{item}.html"
            body = f"<p>{PARAGRAPH[:30]}……</p>{pictures}" if summaries else story + pictures
            if summaries:
                page = (
                    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>新闻</title></head>"
                    "<body><nav><a href='/'>首页</a> <a href='/world'>国际</a></nav>"
                    f"<article><h1>标题 {feed}-{item}</h1>{story}{pictures}</article>"
                    "<footer>版权所有 · 联系我们</footer></body></html>"
                )
                (root / "pages").mkdir(exist_ok=True)
                (root / "pages" / f"f{feed}-{item}.html").write_text(page, "utf-8")
            date = (now - datetime.timedelta(minutes=feed + item)).strftime(
                "%a, %d %b %Y %H:%M:%S GMT"
            )
            items.append(
                f"<item><title>标题 {feed}-{item}</title><link>{link}</link>"
                f"<guid>g-{feed}-{item}</guid><pubDate>{date}</pubDate>"
                f"<description><![CDATA[{body}]]></description></item>"
            )
        feed_xml = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>源 {feed}</title><link>{base}/</link><description>d</description>"
            + "".join(items)
            + "</channel></rss>"
        )
        (root / "feeds").mkdir(exist_ok=True)
        (root / "feeds" / f"f{feed}.xml").write_text(feed_xml, "utf-8")
        sites.append(
            f'[[site]]\nname = "源{feed}"\nslug = "s{feed}"\nurl = "{base}/feeds/f{feed}.xml"\n'
        )
    return sites


MODES = {
    "plain (fulltext = false, images = keep)": ("fulltext = false\n", 'images = "keep"'),
    "full text, images = keep": ("", 'images = "keep"'),
    "full text, images = mirror": ("", 'images = "mirror"'),
}


def _config(sites: list[str], site_extra: str, mirror_extra: str) -> str:
    mirror = f"[mirror]\n{mirror_extra}\nimage_budget = 100000\npage_budget = 100000\n"
    return mirror + "\n".join(s + site_extra for s in sites)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--newsmirror", default=str(HERE.parent / ".venv" / "bin" / "newsmirror"))
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-enrich-"))
    try:
        corpus = temp / "corpus"
        corpus.mkdir()
        farm = FeedFarm(corpus, hosts=100, conditional=False)
        sites = _corpus(corpus, farm, args.feeds)
        picture_bytes = _pictures(corpus / "img", args.feeds)
        farm.start()
        samples: dict[str, list[float]] = {mode: [] for mode in MODES}
        details: dict[str, tuple[str, dict[str, int], int]] = {}
        for run in range(args.runs):
            order = list(MODES) if run % 2 == 0 else list(reversed(MODES))
            for mode in order:
                mirror = temp / f"m-{run}-{len(samples[mode])}"
                mirror.mkdir()
                (mirror / "newsmirror.toml").write_text(_config(sites, *MODES[mode]), "utf-8")
                farm.take_stats()
                elapsed, summary = run_checked(
                    [args.newsmirror, "-q", "-C", str(mirror), "run", "--no-commit"]
                )
                samples[mode].append(elapsed)
                stats = farm.take_stats()
                if mode not in details:
                    details[mode] = (summary, stats, _folder_bytes(mirror / "assets"))
                shutil.rmtree(mirror)
        farm.shutdown()
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    plain = statistics.median(samples[next(iter(MODES))])
    pictures = args.feeds * ITEMS * PICTURES
    lines = [
        f"# newsmirror whole-stories benchmark, {datetime.date.today()}",
        "",
        f"{args.feeds} sources x {ITEMS} new articles ({args.feeds * ITEMS:,}), {PICTURES} pictures"
        f" each ({pictures:,} distinct JPEGs, {picture_bytes / 1e6:.1f} MB, every"
        f" {WIDE_SHARE}th 2400 px wide), every {SUMMARY_SHARE}th source summaries only"
        f" ({args.feeds // SUMMARY_SHARE * ITEMS} pages to read); 100 loopback hosts, per_host = 2;"
        f" medians of {args.runs} runs, each pass into a fresh mirror{_where(args.tmp)}.",
        "",
        "| pass | wall time | / plain pass | most requests to one host at once |",
        "|---|---|---|---|",
    ]
    for mode, times in samples.items():
        median = statistics.median(times)
        peak = details[mode][1].get("peak", 0)
        lines.append(f"| {mode} | {median:.2f} s | {median / plain:.2f} | {peak} |")
    lines += ["", "What each pass said, and what the servers saw (first run):", ""]
    for mode, (summary, stats, assets) in details.items():
        lines.append(f"- {mode}: `{summary}`; server {stats}; assets/ {assets / 1e6:.1f} MB")
    text = "\n".join(lines) + "\n"
    print(text)
    save_markdown("enrich", text, args.feeds == 200 and args.runs >= 3, args.tmp)


def _where(tmp: Path | None) -> str:
    return f" (under {tmp})" if tmp else ""


if __name__ == "__main__":
    main()
