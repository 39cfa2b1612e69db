"""The Atom syndication feed of the FHIR packages this server published (``GET /feed``), so other servers can
follow it, and the packages themselves (``GET /feed/{name}/{version}.tgz``).

Atom 1.0 (RFC 4287) with the NCTS Atom Syndication Format extensions that terminology servers follow
(Ontoserver, the HL7 "Terminology Syndication Feed" IG): one entry per package with ``title``, ``updated``,
``published``, ``author``, a category ``FHIR_Package`` in the NCTS scheme, a ``rel="alternate"`` link to the
``.tgz`` with its ``length`` and ``ncts:sha256Hash``, and ``ncts:contentItemIdentifier`` (the package name),
``ncts:contentItemVersion`` (``name#version``) and ``ncts:fhirVersion``. Reads follow
``VARDTERM_OPEN_TERMINOLOGY_READS`` like the FHIR reads.
"""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, FastAPI, Request, Response

import terminology as t

from .auth import terminology_reader
from .fhir.package import MEDIA_TYPE

ATOM = "http://www.w3.org/2005/Atom"
NCTS = "http://ns.electronichealth.net.au/ncts/syndication/asf/extensions/1.0.0"
PROFILE = "http://ns.electronichealth.net.au/ncts/syndication/asf/profile/1.0.0"
SCHEME = "http://ns.electronichealth.net.au/ncts/syndication/asf/scheme/1.0.0"
FEED_ID = uuid.UUID("6f2c3f1e-8d0b-4a57-9a1c-2f3e4d5c6b7a")
"""Namespace of the entry ids: ``urn:uuid:`` + uuid5(FEED_ID, name#version), stable for a package version."""

router = APIRouter(tags=["Packages"], dependencies=[Depends(terminology_reader)])


def install(app: FastAPI) -> None:
    ET.register_namespace("", ATOM)
    ET.register_namespace("ncts", NCTS)
    app.include_router(router)


@router.get("/feed", summary="Atom feed of the published FHIR packages",
            responses={200: {"content": {"application/atom+xml": {}}}})
def feed(request: Request) -> Response:
    base = _base(request)
    authoring: t.Authoring = request.app.state.authoring
    packages = authoring.packages()
    root = ET.Element(f"{{{ATOM}}}feed")
    _text(root, "title", "vardterm: publicerade FHIR-paket")
    _text(root, "id", f"{base}/feed")
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=f"{base}/feed", type="application/atom+xml")
    _text(root, "updated", packages[0].published_at if packages else "2000-01-01T00:00:00+00:00")
    _text(root, "generator", "vardterm")
    ET.SubElement(root, f"{{{NCTS}}}atomSyndicationFormatProfile").text = PROFILE
    for p in packages:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(entry, "title", f"{p.title} {p.version}")
        _text(entry, "id", f"urn:uuid:{uuid.uuid5(FEED_ID, f'{p.name}#{p.version}')}")
        _text(entry, "updated", p.published_at)
        _text(entry, "published", p.published_at)
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", p.who)
        _text(entry, "summary", f"FHIR-paket {p.name} version {p.version}: {p.resources} resurser (FHIR "
                                f"{p.fhir_version})")
        ET.SubElement(entry, f"{{{ATOM}}}category", term="FHIR_Package", label="FHIR Package", scheme=SCHEME)
        link = ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type=MEDIA_TYPE,
                             href=f"{base}/feed/{p.name}/{p.version}.tgz", length=str(p.size))
        link.set(f"{{{NCTS}}}sha256Hash", p.sha256)
        ET.SubElement(entry, f"{{{NCTS}}}contentItemIdentifier").text = p.name
        ET.SubElement(entry, f"{{{NCTS}}}contentItemVersion").text = f"{p.name}#{p.version}"
        ET.SubElement(entry, f"{{{NCTS}}}fhirVersion").text = p.fhir_version
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feed/{name}/{version}.tgz", summary="A published FHIR package",
            responses={200: {"content": {MEDIA_TYPE: {}}}, 404: {"description": "no such package"}})
def package(name: str, version: str, request: Request) -> Response:
    found, content = request.app.state.authoring.package(name, version)
    return Response(content, media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{found.name}-{found.version}.tgz"',
                             "ETag": f'"{found.sha256}"'})


def _text(parent, tag: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = value


def _base(request: Request) -> str:
    configured = request.app.state.settings.public_base_url
    return (configured or str(request.base_url)).rstrip("/")
