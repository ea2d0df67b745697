"""Daily digests as EPUB books (`epub = true`): full texts and the mirror's pictures inside,
valid by epubcheck (skipped where it is not installed), read back with a library."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import rss, rss_item, write_config
from newsmirror.cli import main
from test_enrich import LONG_STORY, _png


def _mirror(tmp_path, feed_server):
    picture = feed_server.serve("/img/p.png", _png(6, 4), Content_Type="image/png")
    body = (
        LONG_STORY
        + f'<p><img src="{picture}" alt="示意图"><img src="https://far.example/x.jpg" alt="远处">'
        '<font color="red">旧式标签</font><center>居中</center><a href="/local">站内</a>'
        '<iframe src="https://v.example/"></iframe></p>'
        '<table><tr><td align="left">表</td></tr></table>'
    )
    feed = feed_server.serve(
        "/f.xml",
        rss(
            rss_item(1, body=body, date="Mon, 05 Jul 2021 02:00:00 GMT"),
            rss_item(2, title="第二篇 &amp; 更多", date="Mon, 05 Jul 2021 03:00:00 GMT"),
        ),
    )
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror", epub=True)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    return root / "digests" / "2021" / "07" / "2021-07-05.epub"


def test_an_epub_holds_the_day_with_its_pictures_and_reads_back(tmp_path, feed_server):
    from ebooklib import ITEM_DOCUMENT, ITEM_IMAGE, epub

    book_path = _mirror(tmp_path, feed_server)
    assert book_path.is_file() and book_path.stat().st_size < 1_000_000
    book = epub.read_epub(str(book_path))
    texts = [item.get_content().decode("utf-8") for item in book.get_items_of_type(ITEM_DOCUMENT)]
    joined = "\n".join(texts)
    assert "第8段" in joined and "第二篇 &amp; 更多" in joined  # full texts, titles plain
    assert "旧式标签" in joined and "<font" not in joined and "<iframe" not in joined
    assert "[远处]" in joined and "far.example" not in joined  # no remote picture
    images = list(book.get_items_of_type(ITEM_IMAGE))
    assert len(images) == 1 and images[0].get_content().startswith(b"\x89PNG")
    assert f'src="{images[0].file_name}"' in joined


def _epubcheck() -> list[str] | None:
    """How to run epubcheck here: Debian installs it as a jar (run by java), others as a
    program; None when it is missing."""
    found = shutil.which("epubcheck")
    if found is None:
        return None
    real = Path(found).resolve()
    if real.suffix == ".jar":
        java = shutil.which("java")
        return [java, "-jar", str(real)] if java else None
    return [found]


@pytest.mark.skipif(_epubcheck() is None, reason="epubcheck (and java) is not installed")
def test_the_epub_passes_epubcheck(tmp_path, feed_server):
    book_path = _mirror(tmp_path, feed_server)
    command = _epubcheck() or []
    done = subprocess.run([*command, str(book_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
