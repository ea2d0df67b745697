"""Content-Encoding decoding that can never produce more than a budget of bytes.

A decompression bomb (a few KB that inflate to gigabytes) is stopped as soon as the decoded
size passes the limit: each step asks the decompressor for at most the remaining budget plus
one byte, so memory stays within the limit plus one step's output.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import brotli

ACCEPT_ENCODING = "gzip, deflate, br"


class TooLarge(Exception):
    """The decoded body would be larger than the limit."""


class BadEncoding(Exception):
    """The body is not what its Content-Encoding says (or the encoding is unknown)."""


class _Stage:
    """One decoder; `feed` returns at most `budget + 1` bytes (one more than allowed shows the
    body is too large, and then nothing more is asked of it)."""

    def feed(self, data: bytes, budget: int) -> bytes:
        raise NotImplementedError

    def finished(self) -> bool:
        return True


class _Identity(_Stage):
    def feed(self, data: bytes, budget: int) -> bytes:
        return data


class _Zlib(_Stage):
    """gzip (all members), or deflate: either the zlib format the standard names, or the raw
    deflate stream that many servers send under that name instead (told apart by the zlib
    header, with raw deflate as the fallback when that guess fails at once)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._head = b""  # deflate: the first bytes, until the format is known
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
        self._produced = False

    def feed(self, data: bytes, budget: int) -> bytes:
        if self._inflater is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if _zlib_header(data) else -15)
        out = bytearray()
        while data and len(out) <= budget:
            out += self._inflate(data, budget + 1 - len(out))
            data = self._inflater.unconsumed_tail
            if self._inflater.eof:
                data = self._next_member()
        return bytes(out)

    def _inflate(self, data: bytes, most: int) -> bytes:
        assert self._inflater is not None
        try:
            out = self._inflater.decompress(data, most)
        except zlib.error as exc:
            if self._gzip or self._produced:
                raise BadEncoding(f"broken {self._name} data: {exc}") from exc
            self._produced = True  # one fallback only
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._inflate(data, most)
        self._produced = self._produced or bool(out)
        return out

    def _next_member(self) -> bytes:
        """gzip allows several members one after another; anything after the end of a deflate
        stream is ignored."""
        assert self._inflater is not None
        rest = self._inflater.unused_data
        if not (self._gzip and rest.startswith(b"\x1f\x8b")):
            return b""
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return rest

    def finished(self) -> bool:
        return self._inflater.eof if self._inflater is not None else not self._head

    @property
    def _name(self) -> str:
        return "gzip" if self._gzip else "deflate"


def _zlib_header(data: bytes) -> bool:
    """RFC 1950: compression method 8, and the two header bytes a multiple of 31."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class _Brotli(_Stage):
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes, budget: int) -> bytes:
        try:
            out = self._decompressor.process(data, output_buffer_limit=budget + 1)
            while len(out) <= budget and not self._decompressor.can_accept_more_data():
                out += self._decompressor.process(b"", output_buffer_limit=budget + 1 - len(out))
        except brotli.error as exc:
            raise BadEncoding(f"broken brotli data: {exc}") from exc
        return out

    def finished(self) -> bool:
        return self._decompressor.is_finished()


def _stage(name: str) -> _Stage:
    match name:
        case "" | "identity":
            return _Identity()
        case "gzip" | "x-gzip":
            return _Zlib(gzip=True)
        case "deflate":
            return _Zlib(gzip=False)
        case "br":
            return _Brotli()
    raise BadEncoding(f"unknown content encoding {name!r}")


class BodyDecoder:
    """Decodes a body of `Content-Encoding: encodings` chunk by chunk, raising TooLarge once
    the decoded body passes `limit` bytes. Encodings are undone in reverse order of listing."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",")]
        self._stages: Sequence[_Stage] = [_stage(n) for n in reversed(names) if n != "identity"]
        self._limit = limit
        self.size = 0

    def feed(self, data: bytes) -> bytes:
        budget = self._limit - self.size
        for stage in self._stages:
            data = stage.feed(data, budget)
            if len(data) > budget:
                raise TooLarge(self._message())
        self.size += len(data)
        return data

    def finished(self) -> bool:
        """Whether every compressed stream came to its proper end."""
        return all(stage.finished() for stage in self._stages)

    def _message(self) -> str:
        return f"decoded body is over the limit of {self._limit:,} bytes"
