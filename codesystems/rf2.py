"""SNOMED CT RF2 reader: release packages (zips or folders) in, batches of rows out.

Implements the SNOMED CT Release File Specification as summarised in ``shared/design/synthetic-rf2.md``:

* §1.1 file names: ``[x|z]{sct|der|rel|...}{1|2}_<ContentType>_<...><Snapshot|Full|Delta>[-lang]_<NS>_<YYYYMMDD>.txt``
  are recognised by matching the *suffix* (release type, optional language, namespace, date), so refset names
  with UTF-8 characters or the substring "Delta" (a Swedish refset does both) are classified right, and
  variants such as ``UKEDSnapshot`` or ``Snapshot-en-GB`` work.
* §1.2-§1.4 the header rows of each file type; a wrong header stops the load.
* §1.7 history: a Snapshot as of date T takes, per id, the row with the greatest effectiveTime <= T, over
  all packages (International + an extension), so a component promoted from an extension into core is
  picked from the newer package. Rows with a blank effectiveTime (unpublished authoring content) count as
  newer than any date.

The reader never touches a database: ``read()`` yields :class:`~terminology.model.Rf2Batch` records of
strings, and any problem raises :class:`~terminology.errors.LoadError` naming the file, line and problem.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from terminology.errors import LoadError
from terminology.model import Rf2Batch, Rf2Package, Rf2Release
from terminology.snomed import CORE_MODULE, MODEL_MODULE

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

CHUNK = 50_000

_BROKEN_ZIP = (zipfile.BadZipFile, zlib.error, EOFError)
"""What a damaged zip member raises while it is read: a bad CRC, a broken deflate stream, a cut-off member."""

FILE_NAME = re.compile(
    r"^(?P<status>[xz])?(?P<ftype>sct|der|rel|doc|res|tls)(?P<fver>\d)_"
    r"(?P<content>.+?)"
    r"(?P<release>Snapshot|Full|Delta)(?:-(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*))?"
    r"_(?P<ns>[A-Za-z0-9]+)_(?P<date>\d{8})\.txt$"
)
"""Release File Spec §3.3.2, matched on the suffix so that the content part may hold anything."""

PACKAGE_NAME = re.compile(r"^SnomedCT_(?P<product>.+?)_(?P<date>\d{8})T\d{6}Z$")

COMMON = ("id", "effectiveTime", "active", "moduleId")
REFSET_COMMON = COMMON + ("refsetId", "referencedComponentId")
HEADERS: dict[str, tuple[str, ...]] = {
    "concept": COMMON + ("definitionStatusId",),
    "description": COMMON + ("conceptId", "languageCode", "typeId", "term", "caseSignificanceId"),
    "relationship": COMMON + (
        "sourceId", "destinationId", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"),
    "concrete_value": COMMON + (
        "sourceId", "value", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"),
    "language": REFSET_COMMON + ("acceptabilityId",),
}

# Which columns hold SCTIDs that must be checked (Verhoeff + partition), and the partition expected.
_SCTID_COLUMNS: dict[str, tuple[tuple[int, str | None], ...]] = {
    "concept": ((0, "0"), (3, "0")),
    "description": ((0, "1"), (3, "0"), (4, "0"), (6, "0")),
    "relationship": ((0, "2"), (3, "0"), (4, "0"), (5, "0"), (7, "0")),
    "concrete_value": ((0, "2"), (3, "0"), (4, "0"), (7, "0")),
    "language": ((3, "0"), (4, "0"), (5, "1"), (6, "0")),
    "refset": ((3, "0"), (4, "0")),
}
_HEX_DASH = re.compile(r"[0-9a-fA-F-]*")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Files that are recognised but not loaded: the server serves the inferred (distribution normal) form,
# so stated relationships and OWL axioms are not needed; alternate identifiers are not served yet.
_SKIPPED_CONTENT = ("StatedRelationship", "Stated_Relationship", "sRefset_OWLExpression", "OWLExpression",
                    "Identifier")


@dataclass(frozen=True)
class _File:
    package: Rf2Package
    member: str
    """Path inside the package (zip member name or relative path)."""
    kind: str
    release: str
    namespace: str
    date: str
    size: int
    opener: Callable[[], io.TextIOBase]


def classify(file_name: str) -> tuple[str, str, str, str] | None:
    """Classify an RF2 file name as ``(kind, release type, namespace, date)``; None for non-RF2 files.

    ``kind`` is one of concept, description, relationship, concrete_value, refset, or ``skip`` for RF2
    files that are recognised but not loaded (stated relationships, OWL axioms, identifiers, documents).
    Refset files are told apart by their header later (language refsets have ``acceptabilityId``).
    """
    m = FILE_NAME.match(file_name)
    if not m:
        return None
    ftype, content = m["ftype"], m["content"]
    release, ns, date = m["release"], m["ns"], m["date"]
    if ftype in ("doc", "res", "tls"):
        return "skip", release, ns, date
    if any(content.startswith(s) or ("_" + s) in content for s in _SKIPPED_CONTENT):
        return "skip", release, ns, date
    if ftype == "sct":
        if content.startswith("Concept"):
            return "concept", release, ns, date
        if content.startswith(("Description", "TextDefinition")):
            return "description", release, ns, date
        if content.startswith("RelationshipConcreteValues"):
            return "concrete_value", release, ns, date
        if content.startswith("Relationship"):
            return "relationship", release, ns, date
        return "skip", release, ns, date
    if re.match(r"^[cisx]*Refset_", content):
        return "refset", release, ns, date
    return "skip", release, ns, date


# --- finding packages and files ---------------------------------------------------------------------


def scan(sources: Sequence[str | Path]) -> Rf2Release:
    """Find the RF2 packages and files under ``sources`` (zips or folders) without reading rows.

    Raises LoadError when a source does not exist or holds no RF2 data files.
    """
    files = _find_files(sources)
    packages = tuple(dict.fromkeys(f.package for f in files))
    loadable = tuple(f"{f.package.name}/{f.member}" for f in files if f.kind != "skip")
    ignored = tuple(f"{f.package.name}/{f.member}" for f in files if f.kind == "skip")
    return Rf2Release(packages=packages,
                      release_types=frozenset(f.release for f in files if f.kind != "skip"),
                      files=loadable, ignored=ignored)


def _find_files(sources: Sequence[str | Path]) -> list[_File]:
    found: list[_File] = []
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise LoadError("no such file or folder", file=str(path))
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise LoadError("not a zip file or a folder of an RF2 release", file=str(path))
            found.extend(_zip_files(path))
        else:
            found.extend(_folder_files(path))
    if not any(f.kind != "skip" for f in found):
        raise LoadError("no RF2 data files found (expected names like sct2_Concept_Snapshot_INT_20250701.txt)",
                        file=", ".join(str(s) for s in sources))
    return found


def _package_for(root_name: str, path: str, dates: Iterable[str], namespaces: Iterable[str]) -> Rf2Package:
    m = PACKAGE_NAME.match(root_name)
    date = m["date"] if m else max(dates, default="")
    ns = sorted(set(namespaces), key=lambda n: (n == "INT", n))
    return Rf2Package(name=root_name, path=path, release_date=date, namespace=ns[0] if ns else "INT")


def _zip_files(path: Path) -> list[_File]:
    zf = zipfile.ZipFile(path)
    entries = []
    for info in zf.infolist():
        name = info.filename.rsplit("/", 1)[-1]
        c = classify(name)
        if c is not None and not info.is_dir():
            entries.append((info, c))
    root = path.name[:-4] if path.name.lower().endswith(".zip") else path.name
    package = _package_for(root, str(path), (c[3] for _, c in entries), (c[2] for _, c in entries if c[0] != "skip"))

    def opener(member: str) -> Callable[[], io.TextIOBase]:
        return lambda: io.TextIOWrapper(zipfile.ZipFile(path).open(member), encoding="utf-8", newline="")

    return [_File(package, info.filename, c[0], c[1], c[2], c[3], info.file_size, opener(info.filename))
            for info, c in entries]


def _folder_files(path: Path) -> list[_File]:
    """Files of one or several package folders below ``path`` (a package root or a folder of packages)."""
    by_root: dict[Path, list[tuple[Path, tuple[str, str, str, str]]]] = defaultdict(list)
    zips = []
    for p in sorted(path.rglob("*")):
        if p.is_file() and p.suffix.lower() == ".zip" and zipfile.is_zipfile(p):
            zips.append(p)
            continue
        c = classify(p.name) if p.is_file() else None
        if c is None:
            continue
        by_root[_package_root(p, path)].append((p, c))
    out: list[_File] = []
    for root, entries in by_root.items():
        package = _package_for(root.name, str(root), (c[3] for _, c in entries),
                               (c[2] for _, c in entries if c[0] != "skip"))
        for p, c in entries:
            out.append(_File(package, str(p.relative_to(root)), c[0], c[1], c[2], c[3], p.stat().st_size,
                             (lambda p=p: open(p, encoding="utf-8", newline=""))))
    for z in zips:
        out.extend(_zip_files(z))
    return out


def _package_root(file: Path, top: Path) -> Path:
    """The package folder of ``file``: the nearest ancestor named like a package, else ``top``."""
    for parent in file.parents:
        if PACKAGE_NAME.match(parent.name):
            return parent
        if parent == top:
            break
    return top


# --- reading --------------------------------------------------------------------------------------


def read(sources: Sequence[str | Path], *, release_type: str | None = None, as_of: str | None = None,
         progress: Progress | None = None) -> Iterator[Rf2Batch]:
    """Read the packages in ``sources`` and yield batches of rows, kind by kind.

    ``release_type`` is ``Snapshot`` or ``Full`` (default: Snapshot when present, else Full). With Full,
    ``as_of`` (YYYYMMDD, default the newest date in the files) picks the snapshot at that date. Over several
    packages the row with the greatest effectiveTime per id wins (§1.7). Batches come in the order concept,
    description, relationship, concrete_value, language, refset, so a consumer can build the hierarchy and
    indexes as it goes. ``progress(stage, bytes_done, bytes_total)`` is called as files are read.
    """
    files = [f for f in _find_files(sources) if f.kind != "skip"]
    available = {f.release for f in files}
    if release_type is None:
        release_type = "Snapshot" if "Snapshot" in available else "Full"
    release_type = release_type.capitalize()
    if release_type not in ("Snapshot", "Full"):
        raise LoadError(f"release type must be Snapshot or Full, not {release_type!r}")
    chosen = [f for f in files if f.release == release_type]
    if not chosen:
        raise LoadError(f"no {release_type} files found; present: {', '.join(sorted(available)) or 'none'}")
    if as_of is not None and (len(as_of) != 8 or not as_of.isdigit()):
        raise LoadError(f"the snapshot date must be YYYYMMDD, not {as_of!r}")
    if release_type == "Snapshot":
        as_of = None
    total = sum(f.size for f in chosen)
    done = 0
    for kind in ("concept", "description", "relationship", "concrete_value", "refset"):
        group = [f for f in chosen if f.kind == kind]
        if not group:
            continue
        if kind == "refset":
            yield from _read_refsets(group, release_type, as_of, progress, done, total)
        else:
            yield from _read_group(kind, group, release_type, as_of, progress, done, total)
        done += sum(f.size for f in group)
    if progress:
        progress("read", total, total)


def locator(sources: Sequence[str | Path], *, release_type: str | None = None
            ) -> Callable[[str, dict[int, str]], tuple[str, int] | None]:
    """A function that finds the file and line of a row: ``find(kind, {column index: value})`` reads the
    files of that kind (``language`` and ``refset`` rows are in refset files) until a row has those values.
    Used only to report a problem found after the rows were stored, so it may read files again."""
    def find(kind: str, columns: dict[int, str]) -> tuple[str, int] | None:
        files = [f for f in _find_files(sources) if f.kind == ("refset" if kind == "language" else kind)]
        wanted = release_type or ("Snapshot" if any(f.release == "Snapshot" for f in files) else "Full")
        needle = next(iter(columns.values()), "")
        last = max(columns, default=0)
        for f in (f for f in files if f.release == wanted):
            with f.opener() as fh:
                for number, line in enumerate(fh, start=1):
                    if needle in line:
                        cells = line.rstrip("\r\n").split("\t", last + 1)
                        if all(len(cells) > i and cells[i] == v for i, v in columns.items()):
                            return _name(f), number
        return None
    return find


def _read_group(kind: str, group: list[_File], release_type: str, as_of: str | None,
                progress: Progress | None, done: int, total: int) -> Iterator[Rf2Batch]:
    """One kind over all its files; dedupe by id only where ids can repeat (Full, or several files)."""
    header = HEADERS[kind]
    if release_type == "Snapshot" and len(group) == 1:
        f = group[0]
        for chunk in _chunks(f, kind, header, progress, done, total):
            yield Rf2Batch(kind, _name(f), header, chunk)
        return
    latest: dict[str, list[str]] = {}
    names = []
    for f in group:
        names.append(_name(f))
        for chunk in _chunks(f, kind, header, progress, done, total):
            _keep_latest(latest, chunk, 0, as_of)
        done += f.size
    rows = list(latest.values())
    latest.clear()
    for i in range(0, len(rows), CHUNK):
        yield Rf2Batch(kind, " + ".join(names), header, rows[i:i + CHUNK])


def _read_refsets(group: list[_File], release_type: str, as_of: str | None,
                  progress: Progress | None, done: int, total: int) -> Iterator[Rf2Batch]:
    """Refset files, grouped by header (one group per refset pattern) and deduplicated by member UUID.

    A member's UUID is unique across refsets, so deduplication is by id alone; files sharing a header are
    merged, which covers the same refset shipped in an International and an extension package.
    """
    by_header: dict[tuple[str, ...], list[_File]] = defaultdict(list)
    for f in group:
        by_header[_read_header(f, "refset")].append(f)
    for header, files in by_header.items():
        kind = "language" if header == HEADERS["language"] else "refset"
        if release_type == "Snapshot" and len(files) == 1:
            f = files[0]
            for chunk in _chunks(f, kind, header, progress, done, total):
                yield Rf2Batch(kind, _name(f), header, chunk)
            done += f.size
            continue
        latest: dict[str, list[str]] = {}
        for f in files:
            for chunk in _chunks(f, kind, header, progress, done, total):
                _keep_latest(latest, chunk, 0, as_of)
            done += f.size
        rows = list(latest.values())
        latest.clear()
        name = " + ".join(_name(f) for f in files)
        for i in range(0, len(rows), CHUNK):
            yield Rf2Batch(kind, name, header, rows[i:i + CHUNK])


def _keep_latest(latest: dict[str, list[str]], rows: list[list[str]], id_col: int, as_of: str | None) -> None:
    """Keep in ``latest`` the row with the greatest effectiveTime (<= as_of) per id (§1.7).

    A blank effectiveTime sorts after every date (unpublished content); among equal dates the later row wins.
    """
    get = latest.get
    for row in rows:
        et = row[1] or "99999999"
        if as_of is not None and row[1] and et > as_of:
            continue
        key = row[id_col]
        old = get(key)
        if old is None or et >= (old[1] or "99999999"):
            latest[key] = row


def _name(f: _File) -> str:
    return f"{f.package.name}/{f.member}"


def _read_header(f: _File, kind: str) -> tuple[str, ...]:
    try:
        with f.opener() as fh:
            first = fh.readline()
    except _BROKEN_ZIP as exc:
        raise LoadError(f"the zip member is damaged and cannot be read ({exc}); download the package again",
                        file=_name(f)) from exc
    header = tuple(first.rstrip("\r\n").split("\t"))
    if header and header[0].startswith("\ufeff"):
        raise LoadError("file starts with a byte order mark; RF2 files are UTF-8 without BOM",
                        file=_name(f), line=1)
    if kind == "refset" and header[:6] != REFSET_COMMON:
        raise LoadError(f"not a refset header: expected it to start with {' '.join(REFSET_COMMON)}, "
                        f"found {' '.join(header[:6])}", file=_name(f), line=1)
    return header


def _chunks(f: _File, kind: str, header: tuple[str, ...], progress: Progress | None,
            done: int, total: int) -> Iterator[list[list[str]]]:
    """Read, split and validate one file, ``CHUNK`` rows at a time. Empty lines are skipped."""
    name = _name(f)
    try:
        fh = f.opener()
    except (OSError, *_BROKEN_ZIP) as exc:
        raise LoadError(f"cannot open: {exc}", file=name) from exc
    with fh:
        try:
            first = fh.readline()
            found = tuple(first.rstrip("\r\n").split("\t"))
            if found and found[0].startswith("\ufeff"):
                raise LoadError("file starts with a byte order mark; RF2 files are UTF-8 without BOM",
                                file=name, line=1)
            if found != header:
                raise LoadError(f"wrong header: expected {' '.join(header)!r}, found {' '.join(found)!r}",
                                file=name, line=1)
            line_no = 1
            read_bytes = len(first)
            while True:
                lines = list(itertools.islice(fh, CHUNK))
                if not lines:
                    break
                rows = [line.rstrip("\r\n").split("\t") for line in lines]
                line_of = range(line_no + 1, line_no + 1 + len(rows))
                line_no += len(lines)
                if [""] in rows:
                    keep = [i for i, r in enumerate(rows) if r != [""]]
                    rows = [rows[i] for i in keep]
                    line_of = [line_of[i] for i in keep]
                _check_rows(rows, header, kind, name, line_of)
                if progress:
                    read_bytes += sum(map(len, lines))
                    progress(f"read {kind}", done + min(read_bytes, f.size), total)
                if rows:
                    yield rows
        except UnicodeDecodeError as exc:
            raise LoadError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=name) from exc
        except _BROKEN_ZIP as exc:
            raise LoadError(f"the zip member is damaged and cannot be read ({exc}); download the package "
                            "again", file=name) from exc


def _check_rows(rows: list[list[str]], header: tuple[str, ...], kind: str, name: str,
                line_of: Sequence[int]) -> None:
    """Column counts, booleans, dates, SCTIDs (Verhoeff + partition) and UUIDs of one chunk.

    Each check runs over a whole column at C speed and only looks for the failing row when one fails.
    """
    def fail(i: int, problem: str) -> LoadError:
        return LoadError(problem, file=name, line=line_of[i])

    width = len(header)
    if set(map(len, rows)) - {width}:
        i = next(i for i, r in enumerate(rows) if len(r) != width)
        raise fail(i, f"expected {width} tab-separated columns, found {len(rows[i])}")
    if {r[2] for r in rows} - {"0", "1"}:
        i = next(i for i, r in enumerate(rows) if r[2] not in ("0", "1"))
        raise fail(i, f"active must be 1 or 0, found {rows[i][2]!r}")
    bad_dates = {et for et in {r[1] for r in rows} if et and (len(et) != 8 or not et.isdigit())}
    if bad_dates:
        i = next(i for i, r in enumerate(rows) if r[1] in bad_dates)
        raise fail(i, f"effectiveTime must be YYYYMMDD, found {rows[i][1]!r}")
    if kind in ("language", "refset"):
        ids = [r[0] for r in rows]
        if set(map(len, ids)) - {36} or not _HEX_DASH.fullmatch("".join(ids)):
            i = next(i for i, v in enumerate(ids) if not _UUID.match(v))
            raise fail(i, f"member id {ids[i]!r} is not a UUID")
    for col, partition in _SCTID_COLUMNS[kind]:
        values = list({r[col] for r in rows})
        bad = _bad_sctids(values, partition)
        if bad is not None:
            j, problem = bad
            i = next(i for i, r in enumerate(rows) if r[col] == values[j])
            raise fail(i, f"{header[col]} {values[j]!r} is not a valid SCTID: {problem}")


# Verhoeff tables as numpy arrays for the vectorised check (see terminology.snomed for the scalar one).
_VD = np.array([
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]], dtype=np.int8)
_VP = np.array([
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]], dtype=np.int8)


def _bad_sctids(values: list[str], partition: str | None) -> tuple[int, str] | None:
    """Index and reason of the first invalid SCTID in ``values`` (vectorised Verhoeff), or None."""
    if not values:
        return None
    joined = "\t" + "\t".join(values)
    if not joined.replace("\t", "").isdigit() or "\t0" in joined or set(map(len, values)) - _SCTID_LENGTHS:
        i = next(i for i, v in enumerate(values) if not (6 <= len(v) <= 18) or not v.isdigit() or v[0] == "0")
        return i, "must be 6 to 18 digits without a leading zero"
    x = np.array(values, dtype=np.int64)
    fmt = (x // 100) % 10
    kind = (x // 10) % 10
    bad_part = (fmt > 1) | ~np.isin(kind, (0, 1, 2, 5))
    if partition is not None:
        bad_part |= kind != int(partition)
    if bad_part.any():
        i = int(np.argmax(bad_part))
        return i, f"partition {values[i][-3:-1]} is not a {_PART_NAMES.get(partition, 'known')} partition"
    c = np.zeros(len(x), dtype=np.int8)
    rest = x.copy()
    for pos in range(18):
        live = rest > 0
        if not live.any():
            break
        digit = (rest % 10).astype(np.int8)
        c = np.where(live, _VD[c, _VP[pos % 8, digit]], c)
        rest //= 10
    bad = c != 0
    if bad.any():
        return int(np.argmax(bad)), "Verhoeff check digit is wrong"
    return None


_SCTID_LENGTHS = set(range(6, 19))
_PART_NAMES = {"0": "concept", "1": "description", "2": "relationship", None: "known"}


# --- package facts ---------------------------------------------------------------------------------


def package_information(package: Rf2Package) -> dict:
    """The package's ``release_package_information.json`` when present, else an empty dict."""
    path = Path(package.path)
    try:
        if path.is_file():
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if name.endswith("release_package_information.json"):
                        return json.loads(zf.read(name).decode("utf-8"))
            return {}
        candidate = path / "release_package_information.json"
        return json.loads(candidate.read_text("utf-8")) if candidate.exists() else {}
    except (OSError, ValueError, zipfile.BadZipFile):
        return {}


def edition_module(module_concept_counts: dict[str, int], dependencies: Iterable[tuple[str, str]]) -> str:
    """The edition's module: the most dependent module that owns concepts (§1.7 "Edition URI").

    ``module_concept_counts`` counts concepts per moduleId; ``dependencies`` are (module, depends-on)
    pairs from the module dependency refset. Among the modules that own concepts, those no other
    concept-owning module depends on are candidates; core wins when it is among them (International),
    else the one owning most concepts (an extension such as the Swedish module).
    """
    owners = {m for m, n in module_concept_counts.items() if n > 0 and m != str(MODEL_MODULE)}
    depended = {target for source, target in dependencies if source in owners and source != target}
    candidates = owners - depended or owners or {CORE_MODULE}
    extension = [m for m in candidates if m != str(CORE_MODULE)]
    if not extension:
        return str(CORE_MODULE)
    return max(extension, key=lambda m: (module_concept_counts.get(m, 0), m))
