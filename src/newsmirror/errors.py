"""One exception tree for everything newsmirror raises on purpose.

    NewsmirrorError
    ├── ConfigError        the configuration file is missing or invalid
    ├── MirrorError        the mirror directory cannot be used (not a mirror, unwritable)
    │   └── LockedError    another run holds the mirror's lock
    ├── ParseError         a fetched document is not a feed we can read (carries its kind)
    └── ArticleFormatError a file in the archive is not an article file

A failed fetch is not an exception but a result (`records.Fetched` with its failure kind); a
parse error is per source too: the pipeline records both as data and goes on.
Config, mirror and lock errors stop a run before it starts.
"""


class NewsmirrorError(Exception):
    """Base class of every error newsmirror raises on purpose."""


class ConfigError(NewsmirrorError):
    def __init__(self, path: str, key: str | None, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class MirrorError(NewsmirrorError):
    pass


class LockedError(MirrorError):
    pass


class ParseError(NewsmirrorError):
    """`kind`: `not_a_feed` (a web page, say, where a feed was expected) or `unparsable` (a
    feed too broken to read)."""

    def __init__(self, message: str, kind: str = "unparsable") -> None:
        self.kind = kind
        super().__init__(message)


class ArticleFormatError(NewsmirrorError):
    pass
