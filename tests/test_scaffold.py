"""init, init --adopt, demo, status and reindex from the command line."""

import hashlib
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import git, rss, rss_item, shared_path
from newsmirror.cli import main
from newsmirror.config import DEFAULT_SITES, load, to_toml
from newsmirror.mirror import Mirror
from newsmirror.store.article import parse


def test_init_creates_a_complete_mirror(tmp_path: Path):
    root = tmp_path / "mirror"
    assert main(["init", str(root)]) == 0
    config = load(root / "newsmirror.toml")
    assert config.sites == DEFAULT_SITES
    assert [s.url for s in config.sites][2] == "https://feedx.net/rss/mgzy1.xml"
    assert ".newsmirror/" in (root / ".gitignore").read_text().splitlines()
    workflow = (root / ".github/workflows/newsmirror.yml").read_text()
    minute = re.search(r'cron: "(\d+) \* \* \* \*"', workflow).group(1)
    assert minute != "0" and "newsmirror run --push" in workflow
    assert "run: newsmirror status --check-stale" in workflow
    assert (root / ".git").is_dir()
    readme = (root / "README.md").read_text()
    assert "美国之音（暂无文章 / no articles yet）" in readme and "](lists/" not in readme
    # Ready to push: the first commit holds everything init wrote, nothing is left over.
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(git(root, "ls-files").split()) == [
        ".github/workflows/newsmirror.yml",
        ".gitignore",
        "README.md",
        "newsmirror.toml",
    ]
    assert main(["init", str(root)]) == 1  # never over an existing mirror


def test_init_in_an_existing_repository_keeps_it(tmp_path: Path):
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.log")
    assert main(["-C", str(tmp_path), "init"]) == 0
    assert (
        (tmp_path / ".gitignore").read_text()
        == "*.log\n# derived from the archive files; `newsmirror reindex` rebuilds it\n"
        ".newsmirror/\n"
    )


def _copy_corpus(target: Path) -> dict[str, str]:
    """The corpus archive in a temporary folder, with its one newline file name restored;
    returns the expected sha256 of every file by its real path."""
    corpus = shared_path("corpus", "duty-machine-news")
    expected = {}
    for line in (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        stored, original, digest = line.split("\t")
        if not stored.startswith(("articles/", "lists/", "README.md")):
            continue
        real = original.encode("ascii").decode("unicode_escape") if original else stored
        (target / real).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / stored, target / real)
        expected[real] = digest
    return expected


def _digests(root: Path, paths) -> dict[str, str]:
    return {p: hashlib.sha256((root / p).read_bytes()).hexdigest() for p in paths}


def test_adopting_the_old_archive_keeps_every_byte(tmp_path: Path, capsys):
    root = tmp_path / "old"
    expected = _copy_corpus(root)
    assert any("\n" in p for p in expected)
    assert main(["init", "--adopt", str(root)]) == 0
    assert _digests(root, expected) == expected
    out = capsys.readouterr().out
    assert "Indexed 29 archived articles." in out
    config = load(root / "newsmirror.toml")
    voa = config.site("voa")
    assert voa.folders == ("美国之音",) and voa.layout == "flat"
    ft = config.site("ft")
    assert ft.folders == ("金融时报",) and ft.layout == "flat"
    assert config.site("reuters").folders == ("路透",)
    index = Mirror.open(root).open_index()
    assert index.site_summary("dw")[0] == 8  # both eras of DW are one site
    assert index.lowest_flat_id("voa") == 1039500
    index.close()


def test_adopted_archive_continues_numbering_and_keeps_its_files(tmp_path: Path, capsys):
    root = tmp_path / "old"
    expected = _copy_corpus(root)
    main(["init", "--adopt", str(root)])
    feed = tmp_path / "voa.xml"
    feed.write_text(
        rss(
            rss_item("new1", date="Mon, 05 Jul 2021 23:00:00 GMT"),
            rss_item("new2", date="Mon, 05 Jul 2021 23:30:00 GMT"),
            # already archived (same link as articles/voa/1039701.md): never written twice
            rss_item(
                "dup",
                link="https://www.voachinese.com/a/tajikistan-bolsters-border-as-afhan-troops-fleeing-taliban-se-refutge-20210705/5954259.html",
            ),
        ),
        encoding="utf-8",
    )
    _point_site_at(root, "voa", feed.as_uri())
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    article_files = {p: d for p, d in expected.items() if p.startswith("articles/")}
    assert _digests(root, article_files) == article_files
    older, newer = root / "articles/voa/1039499.md", root / "articles/voa/1039498.md"
    assert parse(older.read_text()).title == "标题 new1"
    assert parse(newer.read_text()).title == "标题 new2"
    listing = (root / "lists/美国之音.md").read_text()
    assert listing.startswith("美国之音\n------\n\n7-15 [美国一政府委员会")  # 1039500 is newer
    assert (
        "\n\n7-6 [标题 new2](/articles/voa/1039498.md)\n\n"
        "7-6 [标题 new1](/articles/voa/1039499.md)\n\n" in listing
    )
    assert "(/articles/美国之音/1048149_数万港人7--1上街反国安法%20议员指" in listing


def _point_site_at(root: Path, slug: str, url: str) -> None:
    """Fetch only `slug`, from `url`: tests never reach the real feeds."""
    config = load(root / "newsmirror.toml")
    sites = tuple(
        replace(s, url=url) if s.slug == slug else replace(s, enabled=False) for s in config.sites
    )
    (root / "newsmirror.toml").write_text(to_toml(sites), encoding="utf-8")


def _old_article(n: int, ms: int = 1695686400000) -> str:
    return f"<!--{ms}-->\n[旧文 {n}](https://www.rfi.fr/cn/{n})\n------\n\n<p>{n}</p>\n"


def test_numbering_continues_numerically_past_one_million(tmp_path: Path):
    root = tmp_path / "old"
    folder = root / "articles" / "rfi"
    folder.mkdir(parents=True)
    for n in (1000002, 1000001, 1000000):  # byte order would call 1000000 the newest
        (folder / f"{n}.md").write_text(_old_article(n), encoding="utf-8")
    assert main(["init", "--adopt", str(root)]) == 0
    feed = tmp_path / "rfi.xml"
    feed.write_text(rss(rss_item(1, date="Tue, 26 Sep 2023 12:00:00 GMT")), encoding="utf-8")
    _point_site_at(root, "rfi", feed.as_uri())
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert (folder / "999999.md").exists()
    feed.write_text(rss(rss_item(2, date="Tue, 26 Sep 2023 13:00:00 GMT")), encoding="utf-8")
    main(["-C", str(root), "run", "--no-commit"])
    assert (folder / "999998.md").exists()
    assert parse((folder / "1000000.md").read_text()).title == "旧文 1000000"  # untouched


def test_a_flat_folder_with_no_ids_left_continues_by_date(tmp_path: Path):
    root = tmp_path / "old"
    (root / "articles" / "cdt").mkdir(parents=True)
    (root / "articles" / "cdt" / "0.md").write_text(_old_article(0), encoding="utf-8")
    main(["init", "--adopt", str(root)])
    feed = tmp_path / "cdt.xml"
    feed.write_text(
        rss(rss_item(1).replace("<guid>", "<category>🔥 热点</category><guid>")), encoding="utf-8"
    )
    _point_site_at(root, "cdt", feed.as_uri())
    main(["-C", str(root), "run", "--no-commit"])
    new = [p for p in (root / "articles" / "cdt").rglob("*.md") if p.name != "0.md"]
    assert len(new) == 1 and new[0].parent.name == "06"  # 2021/07/06 in UTC+8
    assert (root / "articles/cdt/0.md").read_text() == _old_article(0)


def test_demo_works_offline(tmp_path: Path, capsys, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the demo tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    root = tmp_path / "demo"
    assert main(["demo", str(root)]) == 0
    assert "7 new articles from 3 sources (3 ok, 0 failed)" in capsys.readouterr().out
    assert len(list((root / "articles").rglob("*.md"))) == 7
    assert git(root, "log", "--format=%s").startswith("Archive 7 new articles")
    assert main(["-C", str(root), "run"]) == 0
    assert "0 new articles" in capsys.readouterr().out


def test_status_and_reindex(tmp_path: Path, capsys):
    root = tmp_path / "demo"
    main(["demo", str(root)])
    capsys.readouterr()
    assert main(["-C", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"示例新闻\s+sample-rss\s+ok\s+\d{4}-\d\d-\d\d \d\d:\d\d \(.*\s3\s+2026-11-26 22:05 ",
        out,
    )
    assert main(["-C", str(root), "reindex"]) == 0
    assert "Indexed 7 articles" in capsys.readouterr().out


@pytest.mark.parametrize(
    "bad, key",
    [
        ('[mirror]\nlist_size = "many"\n', "mirror.list_size: must be an integer, not 'many'"),
        ("[mirror]\ncolour = 1\n", "mirror.colour: unknown key"),
        ('[[site]]\nname = "x"\nslug = "x"\n', 'site[0].url (slug "x"): is required'),
        (
            '[[site]]\nname = "x"\nslug = "x"\nurl = "ftp://a"\n',
            'site[0].url (slug "x"): must be an http',
        ),
        (
            '[[site]]\nname = "a/b"\nslug = "x"\nurl = "https://a"\n',
            'site[0].name (slug "x"): must be',
        ),
        ('[[site]]\nname = "CON"\nslug = "x"\nurl = "https://a"\n', "cannot be a file name"),
        ('[[site]]\nname = "Lpt1.txt"\nslug = "x"\nurl = "https://a"\n', "on Windows"),
        ('[[site]]\nname = "news."\nslug = "x"\nurl = "https://a"\n', "on Windows"),
        ('[[site]]\nname = "x"\nslug = "nul"\nurl = "https://a"\n', "device name on Windows"),
        (
            '[[site]]\nname = "x"\nslug = "../x"\nurl = "https://a"\n',
            'site[0].slug (name "x"): must be',
        ),
        (
            '[[site]]\nname = "x"\nslug = "x"\nurl = "https://a"\n'
            '[[site]]\nname = "y"\nslug = "x"\nurl = "https://b"\n',
            """site[1].slug: 'x' is already used by site[0] (slug "x")""",
        ),
        ("[[site]\n", "not valid TOML"),
        (
            '[[site]]\nname = "x"\nslug = "' + "a" * 41 + '"\nurl = "https://a"\n',
            "must be 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit"
            " (it has 41 characters)",
        ),
        (
            '[[site]]\nname = "x"\nslug = "x"\nurl = "https://a"\ndefault_zone = "+8"\n',
            'site[0].default_zone (slug "x"): must look like "+08:00"',
        ),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path: Path, capsys, bad, key):
    (tmp_path / "newsmirror.toml").write_text(bad)
    assert main(["-C", str(tmp_path), "run"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "newsmirror.toml") in err and key in err


def test_adopting_keeps_unknown_folders_as_archive_only_sites(tmp_path: Path, capsys):
    root = tmp_path / "old"
    for folder in ("其他: 杂项", "extra"):
        (root / "articles" / folder).mkdir(parents=True)
        (root / "articles" / folder / "1048574.md").write_text(_old_article(1), encoding="utf-8")
    assert main(["init", "--adopt", str(root)]) == 0
    assert (
        "articles/其他: 杂项: no known site; kept as an archive-only site"
        in capsys.readouterr().out
    )
    config = load(root / "newsmirror.toml")
    extra, odd = config.sites[-2:]
    assert (odd.name, odd.folders, odd.enabled) == ("其他_ 杂项", ("其他: 杂项",), False)
    assert (extra.slug, extra.enabled) == ("extra", False)
    assert main(["-C", str(root), "build"]) == 0
    assert "旧文 1" in (root / "lists" / "其他_ 杂项.md").read_text(encoding="utf-8")


def test_every_setting_has_one_default():
    """The settings table is the one place defaults are written: the records agree with it."""
    from pathlib import Path

    from newsmirror.config import MIRROR_SETTINGS, SITE_SETTINGS, Config, Site

    config, site = Config(Path("x"), ()), Site("n", "s", "u")
    for setting in MIRROR_SETTINGS:
        assert getattr(config, setting.key) == setting.default, setting.key
    for setting in SITE_SETTINGS:
        if setting.default is not None:
            expected = (
                tuple(setting.default) if isinstance(setting.default, list) else setting.default
            )
            assert getattr(site, setting.key) == expected, setting.key
