"""Text files from people's tools: UTF-8 checked, and where it is not, the line and column said."""

from __future__ import annotations


class NotUtf8(ValueError):
    """Bytes that are not UTF-8; the message names the line and column of the first bad byte."""


def decode_utf8(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); NotUtf8 names where the first byte that is not UTF-8 sits."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise NotUtf8(f"line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8") from None
