"""newsmirror: mirror news feeds into a git repository of Markdown articles."""

__version__ = "0.1.0"
