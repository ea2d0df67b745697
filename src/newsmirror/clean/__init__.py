"""Normalising what feeds give us into what the archive format holds."""
