"""Which encoding a feed is read in: BOM, HTTP charset, XML declaration, detection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

import newsmirror.parse as parse_module
from conftest import rss, rss_item, shared_path
from newsmirror.parse import parse_feed
from newsmirror.parse.decode import codec_name, decide, to_utf8

FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"


def titles(name: str, content_type: str = "") -> list[str]:
    return [e.title for e in parse_feed((FEEDS / name).read_bytes(), content_type).entries]


def test_utf8_declaring_utf16_is_read_as_utf8():
    assert titles("utf8-declares-utf16.xml") == ["港口恢复通航", "夜间航班加密"]


def test_real_feed_declaring_utf16_but_utf8_gives_its_items():
    path = next(shared_path("corpus", "feeds", "real", "zh").glob("*eksumic*utf16*"))
    feed = parse_feed(path.read_bytes())
    assert len(feed.entries) > 800
    assert all(e.link.startswith("https://") for e in feed.entries)
    assert any("坑" in e.title for e in feed.entries)  # CJK text, not mojibake


def test_gb2312_declaration_reads_gbk_and_gb18030_characters():
    # 镕, € and 䶮 are outside GB2312; 𠀀 and 𪚥 take four bytes in GB18030.
    assert titles("gbk-declared-gb2312.xml") == ["朱镕基谈改革", "欧元€汇率与䶮字"]
    assert titles("gb18030-four-byte.xml") == ["罕见字𠀀与𪚥"]


def test_big5_without_declaration_uses_the_http_charset_widened_to_hkscs():
    # 㗎 exists only in the Hong Kong extension of Big5.
    body = (FEEDS / "big5-undeclared.xml").read_bytes()
    assert decide(body, "application/rss+xml; charset=big5").encoding == "big5hkscs"
    assert titles("big5-undeclared.xml", "text/xml; charset=BIG5") == [
        "香港天文台發出暴雨警告",
        "港式茶餐廳㗎",
    ]


def test_big5_without_any_charset_is_detected():
    assert titles("big5-undeclared.xml")[0] == "香港天文台發出暴雨警告"


def test_latin1_declaration_reads_windows_1252_punctuation():
    assert titles("cp1252-declared-latin1.xml") == ["“Quoted” €5 café — done"]


def test_a_declared_charset_that_does_not_decode_is_passed_over():
    # Declares UTF-8, is windows-1252: UTF-8 fails on the bytes, detection finds the rest.
    assert titles("latin1-declared-utf8.xml") == [
        "Notícias de São Paulo: eleições e política",
        "Informação pública sobre a população",
    ]


def test_http_charset_outranks_the_declaration_but_not_when_it_cannot_decode():
    body = (
        rss(rss_item(1, title="Новости", body="текст"))
        .replace("UTF-8", "windows-1251")
        .encode("cp1251")
    )
    assert parse_feed(body, "text/xml; charset=koi8-r").entries[0].title != "Новости"
    assert parse_feed(body, "text/xml; charset=utf-8").entries[0].title == "Новости"
    assert parse_feed(body).entries[0].title == "Новости"


def test_valid_utf8_wins_over_a_legacy_http_charset():
    body = rss(rss_item(1, title="服务器说这是GBK")).encode()
    assert parse_feed(body, "text/xml; charset=gbk").entries[0].title == "服务器说这是GBK"
    assert decide(body, "text/xml; charset=gbk").encoding == "utf-8"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("utf16le-bom.xml", "双字节小端"),
        ("utf16be-no-bom.xml", "双字节大端"),
        ("utf32-bom.xml", "四字节"),
        ("windows1251.xml", "Новости дня"),
    ],
)
def test_wide_and_single_byte_encodings(name: str, title: str):
    assert titles(name) == [title]


def test_bom_outranks_the_http_charset():
    body = codecs.BOM_UTF16_LE + rss(rss_item(1, title="字节序")).encode("utf-16-le")
    assert parse_feed(body, "text/xml; charset=iso-8859-1").entries[0].title == "字节序"


def test_json_feed_in_utf16_and_unix_time():
    (entry,) = parse_feed((FEEDS / "jsonfeed-utf16.json").read_bytes()).entries
    assert (entry.title, entry.published_ms) == ("十六位的JSON", 1625525942000)


def test_utf8_json_in_a_legacy_http_charset_is_utf8():
    body = '{"version": "https://jsonfeed.org/version/1", "items": [{"title": "新闻"}]}'
    assert parse_feed(body.encode(), "application/json; charset=gbk").entries[0].title == "新闻"


def test_the_common_case_is_parsed_without_decoding(monkeypatch: pytest.MonkeyPatch):
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a valid UTF-8 document was decoded")

    monkeypatch.setattr(parse_module, "decide", forbidden)
    monkeypatch.setattr(parse_module, "to_utf8", forbidden)
    body = rss(rss_item(1, title="快速路径")).encode()
    assert parse_feed(body, "application/rss+xml; charset=utf-8").entries[0].title == "快速路径"
    assert parse_feed(body.replace(b' encoding="UTF-8"', b"")).entries[0].title == "快速路径"


def test_transcoding_rewrites_the_declaration():
    body = '<?xml version="1.0" encoding="gb2312"?><rss/>'.encode("gb18030")
    assert to_utf8(body, decide(body)).startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("ISO-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("Big5", "big5hkscs"),
        ("UTF8", "utf-8"),
        ("x-no-such", None),
        ("", None),
    ],
)
def test_charset_labels_widen_to_what_publishers_mean(label: str, name: str | None):
    assert codec_name(label) == name
