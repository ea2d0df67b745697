"""Feed histories for the edit and deletion replay: a few sites over some days of hourly
snapshots, with the ground truth of what happened to every story.

Stories appear (about ten a day per site) and then, by chance: get a title fix (one character,
or a full-width colon made half-width), a body edit, a link with tracking parameters or another
spelling of the same URL (noise, not an edit), a rotating feedx footer (noise), a re-issue under
a new guid and link (the same story), a Traditional twin (on the site marked `twins`), or a
deletion (gone from the feed, and its link answers 404 or 410). Some are deleted only after
they left the feed, so that only a recheck of the link can tell. Unrelated stories that look
alike are mixed in: short briefs from one template, serial titles "…（一）", "…（二）" sharing
an introduction, and daily reports whose wording differs only in numbers.

Every link carries its story: `/<site>/<story>.html` (a re-issue `<story>-r1`, a twin
`<story>-hant`), so that a scorer can tell which story an archived article is.

    python bench/history_gen.py OUT --days 30 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

HOUR_MS = 3_600_000
FEED_SIZE = 30

_WORDS_TEXT = (
    "政府 官员 表示 周一 周二 今天 记者 报道 消息 人士 透露 经济 增长 "
    "放缓 贸易 谈判 代表团 会晤 外交部 发言人 回应 问题 国际 社会 关注 "
    "局势 紧张 地区 冲突 升级 人权 组织 呼吁 释放 律师 法院 审理 案件 "
    "判决 上诉 警方 逮捕 抗议 民众 集会 街头 要求 改革 选举 投票 结果 "
    "公布 议会 通过 法案 预算 赤字 银行 利率 通胀 央行 货币 政策 市场 "
    "股市 下跌 上涨 投资者 担忧 企业 工厂 停产 工人 失业 疫情 防控 措施 "
    "封锁 病例 新增 医院 疫苗 接种 专家 认为 研究 显示 数据 科技 公司 "
    "芯片 出口 管制 制裁 美国 中国 欧盟 日本 台湾 香港 北京 上海 华盛顿 "
    "伦敦 东京 学生 大学 教育 言论 自由 审查 网络 平台 删除 帖子 用户 "
    "账号 媒体 新闻 报纸 电视台 评论 文章 作者 历史 记忆 纪念 事件 周年 "
    "家属 赔偿 调查 报告 发现 环境 污染 洪水 灾害 救援 军队 演习 导弹 "
    "海域 航母 边境 谈判 协议 签署 合作 伙伴 关系 发展 未来 挑战 机遇 "
    "影响 "
)
_WORDS = tuple(_WORDS_TEXT.split())
_CITIES_TEXT = "北京 上海 广州 深圳 成都 武汉 西安 南京 杭州 重庆 天津 郑州 长沙 昆明 兰州 "
_CITIES = tuple(_CITIES_TEXT.split())
_SERIAL = "一二三四五"
_FOOTERS = ("feedx.top", "feedx.xyz", "feedx.best", "feedx.site")


@dataclass(frozen=True)
class Version:
    """What an item looks like in the feed from `hour` on."""

    hour: int
    guid: str
    link: str
    title: str
    body: str
    published_ms: int


@dataclass
class Story:
    sid: str
    site: str
    kind: str  # plain, brief, serial, report, twin
    versions: list[Version] = field(default_factory=list)
    deleted: int | None = None  # the hour it is gone from the feed and its link 404s
    status: int = 404
    twin_of: str | None = None
    edits: int = 0  # changes of title, body or link a mirror should record
    noise: int = 0  # changes it should not

    def at(self, hour: int) -> Version | None:
        if hour < self.versions[0].hour or (self.deleted is not None and hour >= self.deleted):
            return None
        return [v for v in self.versions if v.hour <= hour][-1]


def _sentence(rng: random.Random) -> str:
    return "".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14))) + "。"


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    return ["".join(_sentence(rng) for _ in range(rng.randint(3, 6))) for _ in range(count)]


def _html(paragraphs: list[str], footer: str | None = None) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if footer:
        body += (
            '<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" target="_blank">'
            f'https://feedx.net</a> <br><a href="https://{footer}" target="_blank">'
            f"https://{footer}</a><br></div>"
        )
    return body


def _title_fix(title: str, rng: random.Random) -> str:
    if "：" in title and rng.random() < 0.5:
        return title.replace("：", ":", 1)
    chars = list(title)
    spots = [i for i, c in enumerate(chars) if c in _WORDS_CHARS]
    i = rng.choice(spots or [0])
    chars[i] = rng.choice("汪王黄皇张章")
    return "".join(chars)


_WORDS_CHARS = set("".join(_WORDS))


def _noisy(link: str, rng: random.Random) -> str:
    """Another spelling of the same URL: tracking parameters, `www.`, a trailing slash."""
    choice = rng.randrange(3)
    if choice == 0:
        return link + "?utm_source=rss&utm_medium=feed&utm_campaign=" + str(rng.randrange(99))
    if choice == 1:
        return link + f"?spm=a2c{rng.randrange(999)}.b1&from=rss"
    return link.replace("://", "://www.", 1)


def generate(
    base_url: str,
    days: int,
    seed: int,
    sites: tuple[str, ...] = ("a", "b", "dw"),
    start_ms: int | None = None,
    twins: str = "dw",
) -> tuple[list[Story], int, int]:
    """(stories, hours, start_ms): every story of every site, over `days` days of hours."""
    rng = random.Random(seed)
    hours = days * 24
    if start_ms is None:
        start_ms = (int(datetime.now(UTC).timestamp()) // 3600 - hours) * HOUR_MS
    stories: list[Story] = []
    for site in sites:
        n = 0
        serial_left: list[tuple[str, str]] = []  # (title stem, shared introduction)
        last_event = hours - 48  # deletions and edits land early enough to be seen
        for hour in range(hours - 6):
            if rng.random() > 0.42:
                continue
            n += 1
            sid = f"{site}{n:04d}"
            link = f"{base_url}/{site}/{sid}.html"
            published = start_ms + hour * HOUR_MS + rng.randrange(0, 50) * 60_000
            roll = rng.random()
            if serial_left:
                stem, intro = serial_left.pop(0)
                kind, title = "serial", stem
                paragraphs = [intro, *_paragraphs(rng, rng.randint(4, 6))]
            elif roll < 0.12:
                kind = "brief"
                city = rng.choice(_CITIES)
                title = f"快讯：{city}发生{rng.randint(3, 5)}.{rng.randint(0, 9)}级地震"
                paragraphs = [
                    f"据中国地震台网测定，{city}附近{rng.randint(1, 28)}日发生"
                    f"{rng.randint(3, 5)}.{rng.randint(0, 9)}级地震，"
                    f"震源深度{rng.randint(5, 20)}公里，"
                    "暂无人员伤亡报告。"
                ]
            elif roll < 0.20:
                kind = "report"
                day = rng.randint(1, 28)
                title = f"{rng.randint(1, 12)}月{day}日市场综述：股市{rng.choice(['上涨', '下跌'])}"
                paragraphs = [
                    f"周{rng.choice('一二三四五')}，上证指数收于{rng.randint(2800, 3600)}点，"
                    f"{rng.choice(['上涨', '下跌'])}{rng.randint(1, 99) / 10}%，成交额"
                    f"{rng.randint(3000, 9000)}亿元。分析人士表示，市场情绪受到政策预期和外部"
                    "环境的影响，投资者对经济增长放缓的担忧仍然存在，短期内市场可能继续震荡。"
                    f"深证成指收于{rng.randint(9000, 12000)}点，"
                    f"创业板指收于{rng.randint(1800, 2600)}"
                    "点。北向资金净流入" + f"{rng.randint(1, 90)}亿元。" * 1
                ] * 2
            elif roll < 0.25:
                kind = "serial"
                stem = (
                    "".join(rng.choice(_WORDS) for _ in range(4))
                    + "："
                    + "".join(rng.choice(_WORDS) for _ in range(3))
                )
                intro = "".join(_sentence(rng) for _ in range(3))
                parts = rng.randint(2, 3)
                title = f"{stem}（一）"
                serial_left += [(f"{stem}（{_SERIAL[k]}）", intro) for k in range(1, parts)]
                paragraphs = [intro, *_paragraphs(rng, rng.randint(4, 6))]
            else:
                kind = "plain"
                title = "".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 5)))
                if rng.random() < 0.5:
                    title += "：" + "".join(rng.choice(_WORDS) for _ in range(2))
                paragraphs = _paragraphs(rng, rng.randint(3, 7))
            footer = rng.choice(_FOOTERS) if site == "b" else None
            story = Story(sid, site, kind)
            guid = link if site != "b" else f"tag:{site}.example,2024:{sid}"
            story.versions.append(
                Version(hour, guid, link, title, _html(paragraphs, footer), published)
            )
            stories.append(story)
            _events(story, rng, hour, last_event, paragraphs, footer)
            if site == twins and kind == "plain" and rng.random() < 0.2:
                stories.append(_twin(story, base_url, rng, hours))
    return stories, hours, start_ms


def _events(
    story: Story,
    rng: random.Random,
    hour: int,
    last: int,
    paragraphs: list[str],
    footer: str | None,
) -> None:
    """Edits, noise, re-issues and deletions of one story, in hour order."""
    if hour >= last:
        return
    current = story.versions[0]
    when = hour
    for event in ("title", "body", "noise", "link", "reissue"):
        chance = {"title": 0.15, "body": 0.15, "noise": 0.12, "link": 0.10, "reissue": 0.05}
        if story.kind not in ("plain", "serial") and event in ("reissue", "body"):
            continue
        if rng.random() >= chance[event]:
            continue
        when = min(last, when + rng.randint(1, 10))
        if event == "title":
            current = _replace(current, when, title=_title_fix(current.title, rng))
            story.edits += 1
        elif event == "body":
            paragraphs = [*paragraphs, "（更新）" + _sentence(rng) + _sentence(rng)]
            current = _replace(current, when, body=_html(paragraphs, footer))
            story.edits += 1
        elif event == "noise":
            other = rng.choice([f for f in _FOOTERS if f != footer]) if footer else None
            body = (
                _html(paragraphs, other) if other else current.body.replace("</p><p>", "</p>\n<p>")
            )
            current = _replace(current, when, body=body)
            story.noise += 1
        elif event == "link":
            current = _replace(current, when, link=_noisy(current.link, rng))
            story.noise += 1
        else:
            link = current.link.split("?")[0].replace(".html", "-r1.html").replace("://www.", "://")
            guid = link if current.guid.startswith("http") else current.guid + "-r1"
            current = _replace(
                current,
                when,
                guid=guid,
                link=link,
                published_ms=current.published_ms + rng.randint(1, 6) * HOUR_MS,
            )
            story.edits += 1
        story.versions.append(current)
    if story.kind != "serial" and rng.random() < 0.06:
        after_feed = rng.random() < 0.3  # only a recheck of the link can tell
        gap = rng.randint(40, 60) if after_feed else rng.randint(1, 12)
        story.deleted = min(last, max(when + 1, hour + gap))
        story.status = rng.choice((404, 410))


def _replace(v: Version, hour: int, **changes: object) -> Version:
    return Version(**{**asdict(v), "hour": hour, **changes})


def _twin(story: Story, base_url: str, rng: random.Random, hours: int) -> Story:
    import opencc

    convert = opencc.OpenCC("s2t").convert
    first = story.versions[0]
    link = f"{base_url}/{story.site}/{story.sid}-hant.html"
    twin = Story(story.sid + "-hant", story.site, "twin", twin_of=story.sid)
    hour = min(hours - 1, first.hour + rng.randint(0, 2))
    twin.versions.append(
        Version(
            hour,
            link,
            link,
            convert(first.title),
            convert(first.body),
            first.published_ms + rng.randint(1, 30) * 60_000,
        )
    )
    return twin


def snapshot(stories: list[Story], site: str, hour: int, title: str = "") -> bytes:
    """The site's feed at `hour`: its newest FEED_SIZE live items, newest first (RSS 2.0)."""
    live = [(s, v) for s in stories if s.site == site and (v := s.at(hour)) is not None]
    live.sort(key=lambda sv: sv[1].published_ms, reverse=True)
    items = []
    for _, v in live[:FEED_SIZE]:
        date = format_datetime(datetime.fromtimestamp(v.published_ms / 1000, UTC), usegmt=True)
        items.append(
            f"<item><title>{escape(v.title)}</title><link>{escape(v.link)}</link>"
            f'<guid isPermaLink="{"true" if v.guid.startswith("http") else "false"}">'
            f"{escape(v.guid)}</guid><pubDate>{date}</pubDate>"
            f"<description>{escape(v.body)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title or site)}</title><link>https://{site}.example/</link>"
        "<description>replay</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def link_status(stories: list[Story], hour: int) -> dict[str, int]:
    """The HTTP status of every story's links at `hour` (200 while it lives, then 404/410)."""
    found: dict[str, int] = {}
    for story in stories:
        gone = story.deleted is not None and hour >= story.deleted
        for v in story.versions:
            path = "/" + v.link.split("://", 1)[1].split("/", 1)[1].split("?")[0]
            found[path] = story.status if gone else 200
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    stories, hours, _ = generate(args.base_url, args.days, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    truth = [
        {
            "sid": s.sid,
            "site": s.site,
            "kind": s.kind,
            "edits": s.edits,
            "noise": s.noise,
            "deleted": s.deleted,
            "twin_of": s.twin_of,
        }
        for s in stories
    ]
    (args.out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    for site in sorted({s.site for s in stories}):
        (args.out / f"{site}-last.xml").write_bytes(snapshot(stories, site, hours - 1))
    print(f"{len(stories)} stories over {hours} hours in {args.out}")


if __name__ == "__main__":
    main()
