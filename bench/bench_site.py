"""The static site of a big mirror: `newsmirror site` over N synthetic articles (`filler.py`,
realistic Chinese text), its time, the size of its search index, and what a browser
downloads for one query (measured in headless Chromium: every response the search page asks
for, the page itself included, as sent and as gzip would send it) and how long it takes.

    python bench/bench_site.py [--articles 100000] [--tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gzip
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from history_gen import _WORDS  # noqa: E402
from report import save_markdown  # noqa: E402

THREE_YEARS_MS = 3 * 365 * 86_400_000
QUERIES = ("美国", "香港", "经济增长", "臺灣", '"政府官员表示"', "市场")


def write_articles(root: Path, slugs: list[str], count: int, now_ms: int) -> None:
    rng = random.Random(5)
    step = THREE_YEARS_MS // count
    for k in range(count):
        slug = slugs[k % len(slugs)]
        ms = now_ms - 86_400_000 - k * step
        local = time.gmtime(ms // 1000 + 8 * 3600)
        folder = root / "articles" / slug / time.strftime("%Y/%m/%d", local)
        folder.mkdir(parents=True, exist_ok=True)
        title = "".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 6)))
        text = "".join(
            rng.choice(_WORDS) + ("。" if rng.random() < 0.1 else "") for _ in range(170)
        )
        name = time.strftime("%H%M%S", local) + f"-{k:012x}.md"
        (folder / name).write_text(
            f"<!--{ms}-->\n[{title}](https://example.org/{slug}/{k})\n------\n\n<p>{text}</p>\n",
            "utf-8",
        )


def downloaded(site: Path, chromium: str) -> dict[str, tuple[int, int, int, float]]:
    """For each query on the site's search page: the bytes fetched (as sent, and gzipped as a
    static host such as GitHub Pages sends them), the requests, and the seconds until its first
    page of results was shown."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    SimpleHTTPRequestHandler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    found = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for query in QUERIES:
                page = browser.new_page()  # a fresh cache for every query
                fetched: list[str] = []
                page.on("request", lambda r, fetched=fetched: fetched.append(r.url))
                began = time.perf_counter()
                page.goto(base + "search.html?q=" + quote(query))
                status = page.locator("#search-status")
                while status.inner_text() in ("", "正在搜索…"):
                    page.wait_for_timeout(10)
                took = time.perf_counter() - began
                page.wait_for_load_state("networkidle")
                files = [site / unquote(urlsplit(url).path).lstrip("/") for url in fetched]
                files = [f if f.suffix else f / "index.html" for f in files]
                sent = sum(f.stat().st_size for f in files)
                zipped = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
                found[query] = (sent, zipped, len(files), took)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--newsmirror", default=str(HERE.parent / ".venv" / "bin" / "newsmirror"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser's query")
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-site-"))
    try:
        mirror, site = temp / "m", temp / "site"
        mirror.mkdir()
        slugs = [f"s{n:02d}" for n in range(20)]
        (mirror / "newsmirror.toml").write_text(
            "[mirror]\n"
            + "".join(
                f'[[site]]\nname = "站点{n:02d}"\nslug = "{s}"\nenabled = false\n'
                for n, s in enumerate(slugs)
            ),
            "utf-8",
        )
        write_articles(mirror, slugs, args.articles, int(time.time() * 1000))
        subprocess.run([args.newsmirror, "-q", "-C", str(mirror), "reindex"], check=True)
        began = time.perf_counter()
        done = subprocess.run(
            [args.newsmirror, "-q", "-C", str(mirror), "site", str(site)],
            check=True,
            capture_output=True,
            text=True,
        )
        first_s = time.perf_counter() - began
        began = time.perf_counter()
        subprocess.run(
            [args.newsmirror, "-q", "-C", str(mirror), "site", str(site)],
            check=True,
            capture_output=True,
        )
        again_s = time.perf_counter() - began
        index = site / "search"
        index_bytes = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
        files = sum(1 for f in index.rglob("*") if f.is_file())
        pages = sum(1 for _ in site.rglob("*.html"))
        fetched = {} if args.no_browser else downloaded(site, args.chromium)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    lines = [
        f"# newsmirror static site benchmark, {datetime.date.today()}",
        "",
        f"{args.articles:,} synthetic articles (about 400 characters of Chinese each) over 20"
        f" sites{f' (under {args.tmp})' if args.tmp else ''}; `site` said:"
        f" `{done.stdout.strip()}`",
        "",
        "| measurement | result |",
        "|---|---|",
        f"| `newsmirror site` from nothing ({pages:,} pages, search index included)"
        f" | {first_s:.0f} s |",
        f"| `newsmirror site` again, nothing changed | {again_s:.0f} s |",
        f"| search index | {index_bytes / 2**20:,.1f} MiB in {files:,} files |",
        *(
            f"| the query {q}: downloaded (the page, its script, the index's files and the"
            f" articles shown), as sent / gzipped; requests; time to the first results"
            f" | {n / 1024:,.0f} KiB / {z / 1024:,.0f} KiB; {r}; {s:.2f} s |"
            for q, (n, z, r, s) in fetched.items()
        ),
    ]
    text = "\n".join(lines)
    print(text)
    save_markdown("site", text + "\n", args.articles >= 100_000, args.tmp)


if __name__ == "__main__":
    main()
