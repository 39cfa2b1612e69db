"""Reading text code files line by line, with the encoding checked and every line numbered.

The national code files are UTF-8 (Socialstyrelsen's kodtextfiler with a byte order mark, the HSA lists
without). A file in another encoding (a Windows-1252 export from Excel is the usual mistake) must stop the
load with the line where the first byte that is not UTF-8 sits, not load mangled Swedish letters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from terminology.errors import LoadError


def decode(data: bytes, file: str) -> str:
    """``data`` as UTF-8 text without a byte order mark; LoadError naming the line of a bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LoadError(f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be decoded; save it as "
                        "UTF-8)", file=file, line=line) from None


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every line of ``path``; LF and CRLF endings both accepted."""
    if not path.is_file():
        raise LoadError("no such file", file=str(path))
    text = decode(path.read_bytes(), str(path))
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line.removesuffix("\r")

