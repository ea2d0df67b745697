"""Passes of the mirror against a loopback feed server."""

import os
from pathlib import Path

import pytest

from conftest import git, rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.mirror import Mirror
from newsmirror.store.article import parse


def run(mirror: Path, *extra: str) -> int:
    return main(["-C", str(mirror), "run", *extra])


def articles(mirror: Path, slug: str) -> dict[str, str]:
    base = mirror / "articles" / slug
    return {
        str(p.relative_to(mirror)): p.read_text(encoding="utf-8")
        for p in sorted(base.rglob("*.md"))
    }


def day(n: int, hh: int = 12) -> str:
    return f"Mon, {n:02d} Jul 2021 {hh:02d}:00:00 GMT"


@pytest.fixture
def mirror(tmp_path: Path, feed_server) -> Path:
    root = tmp_path / "m"
    write_config(
        root,
        [
            {"name": "甲", "slug": "a", "url": feed_server.url("/a.xml")},
            {"name": "乙", "slug": "b", "url": feed_server.url("/b.xml")},
        ],
    )
    feed_server.serve("/a.xml", rss(rss_item(1, date=day(1)), rss_item(2, date=day(2))))
    feed_server.serve("/b.xml", rss(rss_item(9, date=day(3))))
    return root


def test_first_pass_writes_articles_lists_and_readme(mirror: Path):
    assert run(mirror, "--no-commit") == 0
    files = articles(mirror, "a")
    assert list(files) == [
        "articles/a/2021/07/01/200000-" + _hash("guid-1") + ".md",
        "articles/a/2021/07/02/200000-" + _hash("guid-2") + ".md",
    ]
    assert parse(files[next(iter(files))]).title == "标题 1"
    listing = (mirror / "lists" / "甲.md").read_text(encoding="utf-8")
    assert listing.startswith("甲\n------\n\n7-2 [标题 2](/articles/a/2021/07/02/")
    assert listing.endswith(
        ".md)\n\n7-1 [标题 1](/articles/a/2021/07/01/200000-" + _hash("guid-1") + ".md)\n\n"
        "[更早的文章：按月归档 / every article, by month](甲/index.md)\n"
    )
    readme = (mirror / "README.md").read_text(encoding="utf-8")
    assert "[甲](lists/甲.md)" in readme and "[乙](lists/乙.md)" in readme


def _hash(guid: str) -> str:
    from newsmirror.clean.entry import key_hash

    return key_hash(guid)


def test_second_pass_writes_nothing_and_items_are_never_duplicated(mirror: Path, feed_server):
    run(mirror, "--no-commit")
    before = articles(mirror, "a")
    # Same items again; one re-dated upstream, one with a new guid but the same link.
    feed_server.serve(
        "/a.xml",
        rss(rss_item(1, date=day(5)), rss_item(2, guid="other-guid"), rss_item(3, date=day(4))),
    )
    assert run(mirror, "--no-commit") == 0
    after = articles(mirror, "a")
    assert set(before) < set(after) and len(after) == 3
    assert all(after[p] == before[p] for p in before)


def test_back_dated_items_are_not_lost(mirror: Path, feed_server):
    run(mirror, "--no-commit")
    # Older than everything archived: the old system dropped such items.
    feed_server.serve(
        "/a.xml", rss(rss_item(1, date=day(1)), rss_item(0, date="Mon, 01 Jan 2001 00:00:00 GMT"))
    )
    run(mirror, "--no-commit")
    assert any("/2001/01/01/" in p for p in articles(mirror, "a"))


def test_a_failing_source_is_reported_and_recorded_but_the_pass_succeeds(
    mirror, feed_server, capsys
):
    feed_server.serve("/b.xml", "gone", status=404)
    assert run(mirror, "--no-commit") == 0  # one source failed, the other did its work
    out = capsys.readouterr().out
    assert "FAILED 乙 (b): http: HTTP 404" in out
    assert "2 new articles from 2 sources (1 ok, 1 failed)" in out
    feed_server.serve("/a.xml", "<html><body>not a feed</body></html>")
    assert run(mirror, "--no-commit") == 5  # every source failed: a distinct status
    captured = capsys.readouterr()
    assert "FAILED 甲 (a): not_a_feed" in captured.out
    assert "every source failed (exit 5)" in captured.err
    assert main(["-C", str(mirror), "status"]) == 0
    status = capsys.readouterr().out
    assert "http: HTTP 404 Not Found (2x in a row)" in status


def test_unreachable_source_is_a_failure_not_a_crash(tmp_path, capsys):
    root = tmp_path / "m"
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(root, [{"name": "x", "slug": "x", "url": f"http://127.0.0.1:{port}/f.xml"}])
    assert run(root, "--no-commit") == 5
    assert "FAILED x (x): refused" in capsys.readouterr().out


def test_only_changed_sites_get_their_list_rewritten(mirror: Path, feed_server):
    run(mirror, "--no-commit")
    list_b = mirror / "lists" / "乙.md"
    list_b.write_text("hand edit\n", encoding="utf-8")
    feed_server.serve("/a.xml", rss(rss_item(1, date=day(1)), rss_item(7, date=day(7))))
    run(mirror, "--no-commit")
    assert list_b.read_text(encoding="utf-8") == "hand edit\n"
    assert "7-7 [标题 7]" in (mirror / "lists" / "甲.md").read_text(encoding="utf-8")
    assert main(["-C", str(mirror), "build"]) == 0
    assert list_b.read_text(encoding="utf-8").startswith("乙\n------\n\n7-3 [标题 9]")


def test_list_is_newest_first_and_limited(tmp_path, feed_server):
    root = tmp_path / "m"
    write_config(root, [{"name": "n", "slug": "n", "url": feed_server.url("/n.xml")}], list_size=3)
    feed_server.serve("/n.xml", rss(*(rss_item(i, date=day(i)) for i in range(1, 10))))
    run(root, "--no-commit")
    lines = [ln for ln in (root / "lists" / "n.md").read_text().splitlines() if ln[:1].isdigit()]
    assert [ln.split(" ")[0] for ln in lines] == ["7-9", "7-8", "7-7"]


def test_a_pass_with_nothing_new_does_not_read_the_archive(mirror: Path, feed_server, monkeypatch):
    run(mirror, "--no-commit")
    feed_server.serve(
        "/a.xml", rss(rss_item(2, date=day(2)), rss_item(1, date=day(1)))
    )  # reordered

    def forbidden(*args, **kwargs):
        raise AssertionError(f"the archive was listed: {args}")

    monkeypatch.setattr(os, "walk", forbidden)
    monkeypatch.setattr(os, "scandir", forbidden)
    monkeypatch.setattr(os, "listdir", forbidden)
    monkeypatch.setattr(Path, "iterdir", forbidden)
    monkeypatch.setattr(Path, "rglob", forbidden)
    assert run(mirror, "--no-commit") == 0


def test_missing_or_stale_index_is_rebuilt_from_the_files(mirror: Path, feed_server):
    run(mirror, "--no-commit")
    index_file = mirror / ".newsmirror" / "index.sqlite"
    os.remove(index_file)
    assert run(mirror, "--no-commit") == 0  # rebuilt: the known items are not written again
    assert len(articles(mirror, "a")) == 2
    index_file.write_bytes(b"this is not a database")
    for extra in ("-wal", "-shm"):
        Path(str(index_file) + extra).unlink(missing_ok=True)
    assert run(mirror, "--no-commit") == 0
    assert len(articles(mirror, "a")) == 2


def test_commits_with_a_summary_and_not_when_nothing_is_new(mirror: Path, feed_server):
    git(mirror, "init", "-q")
    assert run(mirror) == 0
    log = git(mirror, "log", "--format=%s")
    assert log.splitlines() == ["Archive 3 new articles from 甲 2, 乙 1"]
    assert run(mirror) == 0
    assert len(git(mirror, "log", "--format=%s").splitlines()) == 1
    assert (
        git(mirror, "status", "--porcelain") == "?? newsmirror.toml\n"
    )  # the index is never shown


def test_commit_message_names_failed_sources(mirror: Path, feed_server):
    git(mirror, "init", "-q")
    feed_server.serve("/b.xml", "oops", status=500)
    run(mirror)
    message = git(mirror, "log", "-1", "--format=%B")
    assert message.startswith("Archive 2 new articles from 甲 2")
    assert "- 乙 (b): http: HTTP 500" in message


def test_the_commit_message_counts_what_the_commit_holds(mirror: Path, feed_server):
    """Articles an earlier pass wrote but did not commit (--no-commit, or a run cut short)
    are in this pass's commit, and its message counts them, not only this pass's news."""
    git(mirror, "init", "-q")
    run(mirror, "--no-commit")  # 3 articles written, none committed
    feed_server.serve(
        "/a.xml", rss(rss_item(1, date=day(1)), rss_item(2, date=day(2)), rss_item(4, date=day(4)))
    )
    run(mirror)  # 1 new article now
    subject = git(mirror, "log", "-1", "--format=%s").strip()
    assert subject == "Archive 4 new articles from 甲 3, 乙 1"
    assert len(git(mirror, "ls-files", "articles").split()) == 4


def test_index_follows_commits_made_elsewhere(mirror: Path, feed_server, tmp_path):
    git(mirror, "init", "-q")
    run(mirror)
    # Another machine's run adds an article; we pull it: the index catches up from the diff.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(mirror), str(other))
    write_config(
        other,
        [
            {"name": "甲", "slug": "a", "url": feed_server.url("/a.xml")},
            {"name": "乙", "slug": "b", "url": feed_server.url("/b.xml")},
        ],
    )
    feed_server.serve("/a.xml", rss(rss_item(1, date=day(1)), rss_item(5, date=day(5))))
    run(other)
    git(mirror, "pull", "-q", str(other), "HEAD")
    before = len(articles(mirror, "a"))
    run(mirror)
    assert len(articles(mirror, "a")) == before == 3
    index = Mirror.open(mirror).open_index()
    assert index.site_summary("a")[0] == 3
    index.close()


def test_second_run_refuses_while_the_lock_is_held(mirror: Path, capsys):
    m = Mirror.open(mirror)
    with m.lock():
        assert run(mirror, "--no-commit") == 3
    assert "another newsmirror run holds the lock" in capsys.readouterr().err
    assert run(mirror, "--no-commit") == 0


def test_bad_configuration_names_file_and_key(tmp_path, capsys):
    root = tmp_path / "m"
    write_config(root, [{"name": "x", "slug": "Bad Slug", "url": "https://a.org/f"}])
    assert run(root) == 2
    err = capsys.readouterr().err
    assert 'newsmirror.toml: site[0].slug (name "x"): must be 1 to 40 lower-case' in err


def test_a_folder_that_is_not_a_mirror_is_an_error(tmp_path, capsys):
    assert run(tmp_path / "missing") == 1
    assert "is not a directory" in capsys.readouterr().err
    assert run(tmp_path) == 2  # a folder, but no configuration
    assert "newsmirror.toml: not found" in capsys.readouterr().err


def test_an_unwritable_archive_stops_the_pass_before_fetching(mirror: Path, feed_server, capsys):
    (mirror / "articles").write_text("a file where the archive folder should be")
    assert run(mirror, "--no-commit") == 1
    assert "cannot write to the archive" in capsys.readouterr().err
    assert feed_server.requests == []


def test_a_pass_spread_over_processes_archives_everything_once(tmp_path, monkeypatch):
    import newsmirror.pipeline as pipeline

    shard_counts = []
    real_run_shards = pipeline.run_shards

    def counting(shards, **kwargs):
        shard_counts.append(len(shards))
        return real_run_shards(shards, **kwargs)

    monkeypatch.setattr(pipeline, "run_shards", counting)
    root = tmp_path / "m"
    sites = []
    for n in range(5):
        feed = tmp_path / f"f{n}.xml"
        feed.write_text(rss(*(rss_item(f"{n}-{i}", date=day(i + 1)) for i in range(4))))
        sites.append({"name": f"站{n}", "slug": f"s{n}", "url": feed.as_uri()})
    write_config(root, sites, workers=2)
    assert run(root, "--no-commit") == 0
    assert shard_counts == [2]  # and the child's sites are all archived below
    assert sum(len(articles(root, f"s{n}")) for n in range(5)) == 20
    index = Mirror.open(root).open_index()
    assert [index.site_summary(f"s{n}")[0] for n in range(5)] == [4] * 5
    index.close()
    assert all((root / "lists" / f"站{n}.md").exists() for n in range(5))
    assert run(root, "--no-commit") == 0
    assert sum(len(articles(root, f"s{n}")) for n in range(5)) == 20


def test_shards_cover_every_site_once():
    from newsmirror.config import Site
    from newsmirror.workers import plan_shards, worker_count

    sites = [Site(f"n{i}", f"s{i}", f"https://h{i}.org/feed") for i in range(7)]
    shards = plan_shards(sites, 3)
    assert sorted(s.slug for shard in shards for s in shard) == sorted(s.slug for s in sites)
    assert [len(s) for s in shards] == [3, 2, 2]
    assert plan_shards(sites[:1], 4) == [sites[:1]]
    # all sources of one host stay in one shard, so its per-host limit holds across processes
    one_host = [Site(f"o{i}", f"o{i}", f"https://Same.org:8443/f{i}") for i in range(4)]
    shards = plan_shards(one_host + sites[:4], 2)
    assert [s.slug for s in shards[0]] == ["o0", "o1", "o2", "o3"]
    assert [s.slug for s in shards[1]] == ["s0", "s1", "s2", "s3"]
    assert worker_count(0, 5) == 1 and worker_count(3, 2) == 2 and worker_count(1, 200) == 1


def test_the_real_corpus_feeds_go_through_a_whole_pass(tmp_path, capsys):
    from conftest import shared_path
    from newsmirror.store.article import render

    feeds = sorted(p for p in shared_path("corpus", "feeds", "real").rglob("*") if p.is_file())
    sites = [{"name": f"f{i}", "slug": f"f{i}", "url": p.as_uri()} for i, p in enumerate(feeds)]
    root = tmp_path / "m"
    write_config(root, sites)
    assert run(root, "--no-commit") == 0
    out = capsys.readouterr().out
    assert "internal" not in out and "write" not in out
    written = list((root / "articles").rglob("*.md"))
    assert len(written) > 1000
    for path in written:
        text = path.read_text(encoding="utf-8")
        article = parse(text)
        assert render(article) == text and "\n" not in article.title + article.body
    assert run(root, "--no-commit") == 0
    assert len(list((root / "articles").rglob("*.md"))) == len(written)


def test_a_mirror_inside_a_larger_repository_follows_its_commits(tmp_path, feed_server):
    repo = tmp_path / "repo"
    mirror = repo / "news"
    write_config(mirror, [{"name": "甲", "slug": "a", "url": feed_server.url("/a.xml")}])
    feed_server.serve("/a.xml", rss(rss_item(1, date=day(1))))
    git(repo, "init", "-q")
    assert run(mirror) == 0
    # A commit made elsewhere adds an article file inside the mirror's folder.
    extra = mirror / "articles/a/2021/07/09/120000-0123456789ab.md"
    extra.parent.mkdir(parents=True)
    extra.write_text("<!--1625832000000-->\n[外来](https://example.org/x)\n------\n\n<p>x</p>\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "by hand")
    assert run(mirror) == 0
    index = Mirror.open(mirror).open_index()
    assert index.site_summary("a") == (2, 1625832000000)
    index.close()


def test_only_new_items_pay_for_body_cleaning(mirror: Path, feed_server, monkeypatch):
    import newsmirror.clean.entry as entry_module

    run(mirror, "--no-commit")  # items 1 and 2 archived
    cleaned: list[str] = []
    real_clean = entry_module.cleaned_body

    def counting(content: str, base: str) -> tuple[str, str | None]:
        cleaned.append(content)
        return real_clean(content, base)

    monkeypatch.setattr(entry_module, "cleaned_body", counting)
    feed_server.serve(
        "/a.xml",
        rss(
            rss_item(3, date=day(3), body="<p>新的</p>"),
            rss_item(2, date=day(2)),
            rss_item(1, date=day(1)),
        ),
    )
    assert run(mirror, "--no-commit") == 0
    assert cleaned == ["<p>新的</p>"]
    assert len(articles(mirror, "a")) == 3
