"""One exception tree for everything newsmirror raises on purpose.

    NewsmirrorError
    ├── ConfigError        the configuration file is missing or invalid
    ├── MirrorError        the mirror directory cannot be used (not a mirror, unwritable)
    │   └── LockedError    another run holds the mirror's lock
    ├── FetchError         a source could not be fetched (carries a failure class)
    ├── ParseError         a fetched document is not a feed we can read
    └── ArticleFormatError a file in the archive is not an article file

Fetch and parse errors are per source: the pipeline records them as data and goes on.
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


class FetchError(NewsmirrorError):
    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class ParseError(NewsmirrorError):
    pass


class ArticleFormatError(NewsmirrorError):
    pass
