"""Checking that recently archived stories are still up: each pass asks the links of a few
articles (`recheck_per_pass`, archived within `recheck_days`, not asked for `recheck_hours`;
never asked first) with HEAD, and with GET where a server does not answer HEAD, through the
same fetch layer (per-host limits, deadlines, redirects) as everything else. A link answering
404 or 410 marks its article removed, with the status as evidence; the archived copy stays.
Any other answer, or none, is not evidence: the link is asked again in a later pass.
"""

from __future__ import annotations

from dataclasses import replace

from newsmirror.config import Config
from newsmirror.decide import stories
from newsmirror.decide.schedule import HOUR_MS
from newsmirror.fetch.http import FetchPolicy, fetch_all
from newsmirror.records import Change, Fetched, KnownArticle, Request, StoryUpdate
from newsmirror.store.base import Store

_GET_LIMIT = 2 * 1024 * 1024  # a page read only for its status: no need for all of it


def recheck(config: Config, store: Store, policy: FetchPolicy, now_ms: int) -> list[StoryUpdate]:
    """Ask the links due for a check; the updates to record (every link asked is one)."""
    if config.recheck_per_pass <= 0:
        return []
    due = store.to_recheck(
        now_ms - int(config.recheck_days * 24 * HOUR_MS),
        now_ms - int(config.recheck_hours * HOUR_MS),
        config.recheck_per_pass,
    )
    by_path = {known.article.path: known for known in due}
    answers: dict[str, Fetched] = {}
    heads = [_request(known, "HEAD") for known in due]
    fetch_all(heads, policy, lambda fetched: answers.__setitem__(fetched.key, fetched))
    again = [
        _request(by_path[path], "GET")
        for path, fetched in answers.items()
        if stories.check_verdict(fetched.status, fetched.error_kind) == "retry-get"
    ]
    if again:
        fetch_all(again, policy, lambda fetched: answers.__setitem__(fetched.key, fetched))
    return [_update(by_path[path], fetched, now_ms) for path, fetched in sorted(answers.items())]


def _request(known: KnownArticle, method: str) -> Request:
    return Request(
        known.article.path,
        known.article.url,
        kind="check",
        method=method,
        max_bytes=_GET_LIMIT if method == "GET" else None,
    )


def _update(known: KnownArticle, fetched: Fetched, now_ms: int) -> StoryUpdate:
    state = replace(known.state, checked_ms=now_ms)
    if stories.check_verdict(fetched.status, fetched.error_kind) != "gone":
        return StoryUpdate(state)
    state = stories.removed(state, now_ms, "link", fetched.status)
    change = Change(
        known.article.site,
        known.article.path,
        "removed",
        now_ms,
        known.article.title,
        signal="link",
        status=fetched.status,
    )
    return StoryUpdate(state, known.article, change=change)
