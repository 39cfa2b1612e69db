"""Re-derive each Snapshot from its Full file and diff them (synthetic-rf2.md §6.7 item 4, §1.7).

For every package folder under the output directory:

* every ``.txt`` RF2 file is checked for the wire format (§1.1): no BOM, CRLF after every line, the
  same number of columns on every row as in the header;
* each Snapshot file must equal the Snapshot derived from the Full file of the same type: per id, the
  row with the greatest effectiveTime;
* when both versions of a package exist, Full(V1) plus Delta(V2) must equal Full(V2), row for row.

File types are matched on the suffix pattern of the name, never on ``"Delta" in name`` (§1.1; the
Swedish package has a Snapshot file whose name contains "Delta").
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

NAME = re.compile(
    r"^(?P<prefix>.+)(?P<release>Snapshot|Full|Delta)(?P<lang>-[A-Za-z-]+)?_(?P<ns>[A-Za-z0-9]+)_(?P<date>\d{8})\.txt$"
)
PACKAGE = re.compile(r"^(?P<product>SnomedCT_.+?)_(?P<date>\d{8})T120000Z$")


def rf2_name(name: str) -> re.Match | None:
    """Parse an RF2 file name; the release type is the last Snapshot/Full/Delta before the suffix."""
    return NAME.match(name)


def _files(package: Path, release: str) -> dict[tuple[str, str, str], Path]:
    """RF2 files of one release type, keyed by (folder, content prefix, language)."""
    root = package / release
    out = {}
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*.txt")):
        m = rf2_name(path.name)
        if m and m["release"] == release:
            out[(path.parent.relative_to(root).as_posix(), m["prefix"], m["lang"] or "")] = path
    return out


def _lines(path: Path) -> tuple[bytes, list[bytes]]:
    data = path.read_bytes()
    lines = data.split(b"\r\n")
    return lines[0], lines[1:-1]


def check_format(path: Path) -> list[str]:
    """Wire-format problems of one RF2 file."""
    data = path.read_bytes()
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(f"{path.name}: starts with a byte order mark")
    if not data.endswith(b"\r\n"):
        problems.append(f"{path.name}: last line does not end with CRLF")
    if data.replace(b"\r\n", b"").count(b"\n") or data.replace(b"\r\n", b"").count(b"\r"):
        problems.append(f"{path.name}: bare LF or CR line break")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{path.name}: not UTF-8")
    lines = data.split(b"\r\n")[:-1]
    if lines:
        width = lines[0].count(b"\t")
        bad = sum(1 for line in lines if line.count(b"\t") != width)
        if bad:
            problems.append(f"{path.name}: {bad} rows with a column count different from the header")
    return problems


def derive_snapshot(full_rows: list[bytes]) -> set[bytes]:
    """Per id (first column), the row with the greatest effectiveTime (second column)."""
    best: dict[bytes, tuple[bytes, bytes]] = {}
    for row in full_rows:
        ident, et, _ = row.split(b"\t", 2)
        seen = best.get(ident)
        if seen is None or et > seen[0]:
            best[ident] = (et, row)
    return {row for _, row in best.values()}


def check_snapshots(package: Path) -> list[str]:
    """Snapshot files of a package against the Snapshots derived from its Full files."""
    problems = []
    full = _files(package, "Full")
    for key, snap_path in _files(package, "Snapshot").items():
        full_path = full.get(key)
        if full_path is None:
            continue
        snap_header, snap_rows = _lines(snap_path)
        full_header, full_rows = _lines(full_path)
        if snap_header != full_header:
            problems.append(f"{package.name}/{snap_path.name}: header differs from the Full file")
            continue
        derived = derive_snapshot(full_rows)
        actual = set(snap_rows)
        if len(actual) != len(snap_rows):
            problems.append(f"{package.name}/{snap_path.name}: duplicate rows")
        missing, extra = derived - actual, actual - derived
        if missing or extra:
            problems.append(
                f"{package.name}/{snap_path.name}: {len(missing)} rows missing and {len(extra)} unexpected "
                f"compared with the Snapshot derived from {full_path.name}"
            )
    return problems


def check_delta(v1: Path, v2: Path) -> list[str]:
    """Full(V1) + Delta(V2) == Full(V2), file by file (§6.5 "Generated Delta")."""
    problems = []
    full1 = _files(v1, "Full")
    full2 = _files(v2, "Full")
    delta = _files(v2, "Delta")
    for key, path2 in full2.items():
        path1, dpath = full1.get(key), delta.get(key)
        if path1 is None or dpath is None:
            problems.append(f"{v2.name}/{path2.name}: no matching V1 Full or V2 Delta file")
            continue
        combined = Counter(_lines(path1)[1]) + Counter(_lines(dpath)[1])
        if combined != Counter(_lines(path2)[1]):
            problems.append(f"{v2.name}/{path2.name}: Full(V1) + Delta differs from Full(V2)")
    return problems


def verify_packages(out_dir: Path) -> list[str]:
    """All checks over the packages found in ``out_dir``; an empty list means everything holds."""
    problems: list[str] = []
    packages = sorted(p for p in out_dir.iterdir() if p.is_dir() and PACKAGE.match(p.name))
    if not packages:
        return [f"{out_dir}: no SnomedCT_* package folders"]
    for package in packages:
        for path in sorted(package.rglob("*.txt")):
            if rf2_name(path.name):
                problems += [f"{package.name}/{p}" for p in check_format(path)]
        problems += check_snapshots(package)
    by_product: dict[str, list[Path]] = {}
    for package in packages:
        by_product.setdefault(PACKAGE.match(package.name)["product"], []).append(package)
    for versions in by_product.values():
        versions.sort(key=lambda p: PACKAGE.match(p.name)["date"])
        for v1, v2 in zip(versions, versions[1:]):
            if (v2 / "Delta").is_dir() and (v1 / "Full").is_dir() and (v2 / "Full").is_dir():
                problems += check_delta(v1, v2)
    return problems
