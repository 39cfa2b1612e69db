"""Reader for SKOS vocabularies (W3C SKOS Reference, 2009) in Turtle, RDF/XML or JSON-LD, parsed with rdflib.

What becomes what:

* every resource typed ``skos:Concept`` (or ``skos:inScheme`` / ``skos:topConceptOf`` a scheme) is a
  concept; its code is its ``skos:notation`` (the first one, in sorted order, when there are several),
  else its IRI;
* ``skos:prefLabel`` in the code system's language is the display (lacking one, a prefLabel in English, then
  in any language); every ``prefLabel`` is a designation of its language, every ``altLabel`` a synonym
  designation (``hiddenLabel``s are left out: SKOS says they are for search only);
* ``skos:definition`` is the definition;
* ``skos:broader`` of a concept, and ``skos:narrower`` of another concept pointing at it, are its parents.
  A broader concept that is not in the file stops the read (a dangling parent); ``broaderTransitive``
  is not read (SKOS does not state it, it is inferred);
* the ``skos:ConceptScheme`` gives the title (``dct:title``, ``rdfs:label`` or ``skos:prefLabel``), the
  description (``dct:description``), the version (``owl:versionInfo``) and, unless one is given, the
  canonical URL (its IRI). A file with more than one scheme needs ``scheme`` to say which one to read.

SKOS ``broader`` means "more general" and is not necessarily is-a, so the hierarchy meaning defaults to
``grouped-by``. RDF has no line numbers: problems name the file and the concept's IRI.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from terminology.errors import LoadError

from .records import CodeList, CodeSystemMeta, Concept, Designation, Where, computable_name

FORMATS = {".ttl": "turtle", ".n3": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld",
           ".json": "json-ld", ".nt": "nt"}


def guess_format(path: Path) -> str:
    """The rdflib parser name for a file name (``turtle``, ``xml``, ``json-ld``)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise LoadError(f"cannot tell the RDF syntax from the extension '{path.suffix}'; give the format "
                        "(turtle, xml or json-ld)", file=str(path))
    return fmt


def read(path: Path, *, fmt: str | None = None, scheme: str | None = None, language: str = "sv") -> CodeList:
    """The concepts of one SKOS file; ``meta.url`` is the scheme IRI (or empty when there is no scheme)."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise LoadError("no such file", file=file)
    graph = rdflib.Graph()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's JSON-LD parser uses its own old API
            graph.parse(str(path), format=fmt or guess_format(path))
    except Exception as exc:  # noqa: BLE001 - rdflib raises many unrelated types for bad input
        raise LoadError(f"not readable as {fmt or guess_format(path)}: {_problem(exc)}", file=file,
                        line=_line(exc)) from None
    scheme_ref = _scheme(graph, scheme, file)
    subjects = set(graph.subjects(RDF.type, SKOS.Concept))
    if scheme_ref is not None:
        in_scheme = set(graph.subjects(SKOS.inScheme, scheme_ref)) | set(graph.subjects(SKOS.topConceptOf,
                                                                                        scheme_ref))
        in_scheme |= set(graph.objects(scheme_ref, SKOS.hasTopConcept))
        subjects = {s for s in subjects if (s, SKOS.inScheme, None) not in graph} | in_scheme
    if not subjects:
        raise LoadError("no skos:Concept in the file", file=file)
    codes = {s: _code(graph, s) for s in subjects}
    narrower_of: dict[URIRef, list[URIRef]] = {}
    for s in subjects:
        for child in graph.objects(s, SKOS.narrower):
            narrower_of.setdefault(child, []).append(s)

    concepts = []
    for s in sorted(subjects, key=lambda x: codes[x]):
        where = Where(f"{file} <{s}>")
        broader = list(graph.objects(s, SKOS.broader)) + narrower_of.get(s, [])
        parents = []
        for b in broader:
            if b not in codes:
                raise LoadError(f"concept {codes[s]!r} has broader <{b}>, which is not a skos:Concept of the file",
                                file=where.file)
            if codes[b] not in parents:
                parents.append(codes[b])
        pref = [(o.language, str(o)) for o in graph.objects(s, SKOS.prefLabel) if isinstance(o, Literal)]
        alt = [(o.language, str(o)) for o in graph.objects(s, SKOS.altLabel) if isinstance(o, Literal)]
        display = _pick(pref, language)
        designations = [Designation(v.strip(), la, "display") for la, v in sorted(pref, key=_key)]
        designations += [Designation(v.strip(), la, "synonym") for la, v in sorted(alt, key=_key)]
        definitions = [(o.language, str(o)) for o in graph.objects(s, SKOS.definition) if isinstance(o, Literal)]
        concepts.append(Concept(codes[s], display, tuple(sorted(parents)), _pick(definitions, language),
                                tuple(designations), where=where))
    return CodeList(_meta(graph, scheme_ref, language), concepts)


def _scheme(graph: rdflib.Graph, wanted: str | None, file: str):
    schemes = sorted(set(graph.subjects(RDF.type, SKOS.ConceptScheme)))
    if wanted is not None:
        ref = URIRef(wanted)
        if ref not in schemes:
            raise LoadError(f"no skos:ConceptScheme <{wanted}> in the file (it has: "
                            f"{', '.join(map(str, schemes)) or 'none'})", file=file)
        return ref
    if len(schemes) > 1:
        raise LoadError(f"{len(schemes)} concept schemes in the file; say which one to read", file=file)
    return schemes[0] if schemes else None


def _code(graph: rdflib.Graph, s) -> str:
    notations = sorted(str(o).strip() for o in graph.objects(s, SKOS.notation))
    return notations[0] if notations else str(s)


def _pick(labels: list[tuple[str | None, str]], language: str) -> str | None:
    """The label in ``language`` (or a regional variant such as sv-SE), else English, else any."""
    for want in (language, "en", None):
        for la, v in sorted(labels, key=_key):
            if want is None or (la or "").split("-")[0].lower() == want:
                return v.strip()
    return None


def _key(label: tuple[str | None, str]) -> tuple[str, str]:
    return (label[0] or "", label[1])


def _meta(graph: rdflib.Graph, scheme, language: str) -> CodeSystemMeta:
    def literal(*predicates) -> str | None:
        if scheme is None:
            return None
        for p in predicates:
            found = [(o.language, str(o)) for o in graph.objects(scheme, p) if isinstance(o, Literal)]
            if found:
                return _pick(found, language)
        return None
    title = literal(DCTERMS.title, RDFS.label, SKOS.prefLabel) or "SKOS vocabulary"
    name = computable_name(title, "SKOS")
    return CodeSystemMeta(url=str(scheme) if scheme is not None else "", name=name, title=title,
                          version=literal(OWL.versionInfo), language=language,
                          publisher=literal(DCTERMS.publisher, DCTERMS.creator),
                          description=literal(DCTERMS.description, SKOS.definition), hierarchy_meaning="grouped-by")


def _line(exc: Exception) -> int | None:
    """The 1-based line of a parse error: rdflib's Turtle errors count lines from 0, SAX and JSON from 1."""
    if isinstance(getattr(exc, "lines", None), int):
        return exc.lines + 1
    get = getattr(exc, "getLineNumber", None)
    if callable(get):
        return get()
    return getattr(exc, "lineno", None)


def _problem(exc: Exception) -> str:
    why = getattr(exc, "_why", None) or getattr(exc, "getMessage", lambda: None)()
    if why:
        return str(why)
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
