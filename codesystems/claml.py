"""Reader for ClaML (Classification Markup Language, ISO 13120 / CEN EN 14463, ClaML 2.0.0 DTD), streamed with
``lxml.etree.iterparse`` so that a full classification is never held as one tree.

What is read (element and attribute names of the ClaML DTD):

* ``ClaML/Meta`` (``lang`` gives the code system language), ``Identifier@uid`` (the OID: the canonical URL
  is ``urn:oid:`` + uid unless one is given), ``Identifier@authority`` (publisher), ``Title`` (its text,
  ``@name``, ``@version``, ``@date``), ``ClassKinds``, ``RubricKinds``, ``UsageKinds``.
* ``Class@code/@kind/@usage`` with ``Meta`` (name/value pairs, kept as string properties), ``SuperClass``
  and ``SubClass`` (both read: a link given on either side counts), ``Rubric@kind`` with ``Label@xml:lang``
  (mixed content is flattened to its text), ``ModifiedBy`` (``@all``, ``ValidModifierClass``) and
  ``ExcludeModifier``.
* ``Modifier`` and ``ModifierClass@modifier/@code``: a class ``ModifiedBy`` a modifier gets, on each of its
  leaf descendants (or itself when it has none) not excluded by an ``ExcludeModifier`` on the way, one
  child per modifier class: code = class code + modifier class code, text = class text + ", " + modifier
  class text. Several ``ModifiedBy`` apply in order (a fourth, then a fifth character).

Rubrics: ``preferred`` in the code system language is the display, in other languages a designation;
``preferredLong`` and ``inclusion`` become designations (their use names the rubric kind); ``definition``
or ``description`` becomes the definition; any other kind (``exclusion``, ``note``, ``coding-hint``, ...)
becomes a string property named by the kind. Class kinds named in ``grouping_kinds`` (default chapter,
block, section) are grouping concepts (``notSelectable``). The files need no DOCTYPE; one naming
``ClaML.dtd`` is accepted and never fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from lxml import etree

from terminology.errors import LoadError

from .records import CodeList, CodeSystemMeta, Concept, Designation, PropertyDef, Where, computable_name

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEFAULT_GROUPING_KINDS = ("chapter", "block", "section")
DESIGNATION_KINDS = ("preferredLong", "inclusion")
DEFINITION_KINDS = ("definition", "description")
_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")


@dataclass
class _Class:
    code: str
    kind: str | None
    usage: str | None
    where: Where
    supers: list[str] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    rubrics: list[tuple[str, str | None, str]] = field(default_factory=list)
    """(rubric kind, language, text)."""
    modified_by: list[tuple[str, bool, tuple[str, ...]]] = field(default_factory=list)
    """(modifier code, all, valid modifier classes when not all)."""
    excluded: set[str] = field(default_factory=set)
    modifier: str | None = None
    """For a ModifierClass: the code of its Modifier."""


@dataclass
class _Header:
    meta: dict[str, str] = field(default_factory=dict)
    uid: str | None = None
    authority: str | None = None
    title: str | None = None
    title_name: str | None = None
    title_version: str | None = None
    title_date: str | None = None
    rubric_kinds: list[str] = field(default_factory=list)
    usage_kinds: dict[str, str] = field(default_factory=dict)
    """Usage kind name -> its mark (``dagger`` -> ``†``)."""


def read(path: Path, *, grouping_kinds: Sequence[str] = DEFAULT_GROUPING_KINDS, language: str | None = None
         ) -> CodeList:
    """The classes of one ClaML file as concepts, and what its header says about the code system.

    The meta's ``url`` is ``urn:oid:<Identifier@uid>`` when the uid is an OID (else empty: the caller must
    give one); ``version`` is ``Title@version``.
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError("no such file", file=str(path))
    header, classes, modifiers = _parse(path)
    lang = language or header.meta.get("lang") or next((r[1] for c in classes for r in c.rubrics if r[1]), None)
    classes += _apply_modifiers(classes, modifiers)
    concepts = [_concept(c, lang, set(grouping_kinds)) for c in _linked(classes)]
    return CodeList(_meta(header, lang, classes), concepts)


def _parse(path: Path) -> tuple[_Header, list[_Class], dict[str, list[_Class]]]:
    header = _Header()
    classes: list[_Class] = []
    modifiers: dict[str, list[_Class]] = {}
    file = str(path)
    try:
        context = etree.iterparse(str(path), events=("end",), load_dtd=False, no_network=True,
                                  resolve_entities=False, huge_tree=True, remove_comments=True)
        root_seen = False
        for _, elem in context:
            tag = elem.tag
            parent = elem.getparent()
            if parent is None:
                root_seen = True
                if tag != "ClaML":
                    raise LoadError(f"the root element is <{tag}>, not <ClaML>", file=file, line=elem.sourceline)
                continue
            if parent.tag != "ClaML":
                continue
            if tag == "Meta":
                header.meta[elem.get("name", "")] = elem.get("value", "")
            elif tag == "Identifier":
                header.uid = header.uid or elem.get("uid")
                header.authority = header.authority or elem.get("authority")
            elif tag == "Title":
                header.title = " ".join("".join(elem.itertext()).split()) or None
                header.title_name, header.title_version = elem.get("name"), elem.get("version")
                header.title_date = elem.get("date")
            elif tag == "RubricKinds":
                header.rubric_kinds = [k.get("name", "") for k in elem if k.tag == "RubricKind"]
            elif tag == "UsageKinds":
                header.usage_kinds = {k.get("name", ""): k.get("mark", "") for k in elem if k.tag == "UsageKind"}
            elif tag in ("Class", "ModifierClass", "Modifier"):
                item = _read_class(elem, file)
                if tag == "Class":
                    classes.append(item)
                elif tag == "ModifierClass":
                    if not item.modifier:
                        raise LoadError(f"ModifierClass '{item.code}' has no modifier attribute", file=file,
                                        line=item.where.line)
                    modifiers.setdefault(item.modifier, []).append(item)
                else:
                    modifiers.setdefault(item.code, [])
            elem.clear(keep_tail=False)
            while elem.getprevious() is not None:
                del parent[0]
        if not root_seen:
            raise LoadError("the file holds no XML element", file=file)
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"not well-formed XML: {exc.msg}", file=file, line=exc.lineno) from None
    return header, classes, modifiers


def _read_class(elem, file: str) -> _Class:
    code = (elem.get("code") or "").strip()
    if not code:
        raise LoadError(f"<{elem.tag}> without a code attribute", file=file, line=elem.sourceline)
    item = _Class(code, elem.get("kind"), elem.get("usage"), Where(file, elem.sourceline),
                  modifier=elem.get("modifier"))
    for child in elem:
        tag = child.tag
        if tag == "SuperClass":
            item.supers.append(child.get("code", "").strip())
        elif tag == "SubClass":
            item.subs.append(child.get("code", "").strip())
        elif tag == "Meta":
            item.meta.append((child.get("name", ""), child.get("value", "")))
        elif tag == "Rubric":
            kind = child.get("kind", "")
            for label in child:
                if label.tag == "Label":
                    text = " ".join("".join(label.itertext()).split())
                    if text:
                        item.rubrics.append((kind, label.get(XML_LANG), text))
        elif tag == "ModifiedBy":
            valid = tuple(v.get("code", "") for v in child if v.tag == "ValidModifierClass")
            item.modified_by.append((child.get("code", ""), child.get("all", "true") != "false", valid))
        elif tag == "ExcludeModifier":
            item.excluded.add(child.get("code", ""))
    return item


def _apply_modifiers(classes: list[_Class], modifiers: dict[str, list[_Class]]) -> list[_Class]:
    """The classes a ``ModifiedBy`` generates (see the module docstring)."""
    by_code = {c.code: c for c in classes}
    children: dict[str, list[str]] = {}
    for c in classes:
        for s in c.supers:
            children.setdefault(s, []).append(c.code)
    made: list[_Class] = []
    existing = set(by_code)
    for c in classes:
        for modifier, all_, valid in c.modified_by:
            if modifier not in modifiers:
                raise LoadError(f"class '{c.code}' is modified by '{modifier}', which is not a Modifier of the "
                                "file", file=c.where.file, line=c.where.line)
            options = [m for m in modifiers[modifier] if all_ or m.code in valid]
            for target in _leaves(c.code, children, by_code, modifier):
                base = by_code[target]
                for option in options:
                    code = base.code + option.code
                    if code in existing:
                        continue
                    existing.add(code)
                    rubrics = [(k, lang, f"{text}, {_text(option, k, lang) or ''}".rstrip(", "))
                               for k, lang, text in base.rubrics if k == "preferred"]
                    item = _Class(code, base.kind, base.usage, option.where, supers=[base.code], rubrics=rubrics,
                                  meta=[("modifier", modifier)] + base.meta)
                    made.append(item)
                    by_code[code] = item
    return made


def _leaves(code: str, children: dict[str, list[str]], by_code: dict[str, _Class], modifier: str) -> Iterable[str]:
    stack = [code]
    while stack:
        current = stack.pop()
        if current != code and modifier in by_code[current].excluded:
            continue
        kids = [k for k in children.get(current, []) if k in by_code]
        if kids:
            stack.extend(reversed(kids))
        else:
            yield current


def _text(item: _Class, kind: str, lang: str | None) -> str | None:
    return next((t for k, la, t in item.rubrics if k == kind and la == lang), None) or \
        next((t for k, _, t in item.rubrics if k == kind), None)


def _linked(classes: list[_Class]) -> list[_Class]:
    """Parents from SuperClass, plus those only given as a SubClass of the parent."""
    extra: dict[str, list[str]] = {}
    for c in classes:
        for s in c.subs:
            extra.setdefault(s, []).append(c.code)
    for c in classes:
        for p in extra.get(c.code, ()):
            if p not in c.supers:
                c.supers.append(p)
    return classes


def _concept(c: _Class, lang: str | None, grouping: set[str]) -> Concept:
    display = _text(c, "preferred", lang)
    designations = [Designation(t, la, "display") for k, la, t in c.rubrics if k == "preferred"]
    designations += [Designation(t, la, k) for k, la, t in c.rubrics if k in DESIGNATION_KINDS]
    definition = next((t for k, la, t in c.rubrics if k in DEFINITION_KINDS), None)
    props: list[tuple[str, str | int | bool]] = []
    if c.kind:
        props.append(("kind", c.kind))
    if c.usage:
        props.append(("usage", c.usage))
    props += [(name, value) for name, value in c.meta if name]
    props += [(k, t) for k, la, t in c.rubrics
              if k not in ("preferred",) + DESIGNATION_KINDS + DEFINITION_KINDS]
    return Concept(c.code, display, tuple(c.supers), definition, tuple(designations), tuple(props),
                   not_selectable=c.kind in grouping, where=c.where)


def _meta(header: _Header, lang: str | None, classes: list[_Class]) -> CodeSystemMeta:
    uid = header.uid or ""
    oid = uid[len("urn:oid:"):] if uid.startswith("urn:oid:") else uid
    oid = oid if _OID.fullmatch(oid) else None
    name = computable_name(header.title_name or header.title or "", "ClaML")
    props = [PropertyDef("kind", "code", "ClaML class kind (chapter, block, category, ...)")]
    if any(c.usage for c in classes):
        props.append(PropertyDef("usage", "code", "ClaML usage kind (dagger, aster, ...)"))
    seen = {"kind", "usage"}
    for c in classes:
        for n, _ in c.meta:
            if n and n not in seen:
                seen.add(n)
                props.append(PropertyDef(n, "string", f"ClaML class Meta '{n}'"))
        for k, _, _ in c.rubrics:
            if k not in seen and k not in ("preferred",) + DESIGNATION_KINDS + DEFINITION_KINDS:
                seen.add(k)
                props.append(PropertyDef(k, "string", f"ClaML rubric of kind '{k}'"))
    return CodeSystemMeta(url=f"urn:oid:{oid}" if oid else "", name=name, title=header.title or name,
                          version=header.title_version, oid=oid, language=lang, publisher=header.authority,
                          date=header.title_date, properties=tuple(props))

