"""Care search answers on the wire: a FHIR searchset Bundle with a Parameters explanation per hit, and the
plain JSON of the web API. Explanations are Swedish text with English codes (``narrower``, ``not-met``).

Bundle layout (R5; R4 via ``api/fhir/convert.py``): first an OperationOutcome (``search.mode = outcome``)
saying in words which concept(s) the query used and what else was offered, and a Parameters
``care-search-resolution`` (mode ``include``) with the same as data; then per hit the HealthcareService
(mode ``match``), its Parameters ``explanation-<id>`` and the resources it refers to (unit, provider,
places, commission, agreement, capacity reports; mode ``include``, each once); with ``includeExcluded``
each excluded service (mode ``include``) with an explanation whose ``status`` is ``excluded`` and whose
``reason`` parameters say why.
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import urlencode

from mappings import care

SYSTEM_NAMES = {care.codes.SNOMED: "SNOMED CT", care.codes.KVA: "KVÅ", care.codes.ICD10SE: "ICD-10-SE"}
VERDICT_TEXT = {"met": "uppfyllt", "not-met": "ej uppfyllt", "not-stated": "ej angivet av tjänsten"}
CRITERION_TEXT = {"age": "Ålder", "sex": "Kön", "asa": "ASA-klass", "bmi": "BMI"}


def _coding(c) -> dict:
    out = {"system": c.system, "code": c.code}
    if c.display:
        out["display"] = c.display
    return out


def _label(c) -> str:
    return f"{c.display or c.code} ({SYSTEM_NAMES.get(c.system, c.system)} {c.code})"


def resolution_text(r: care.Resolution) -> str:
    """One Swedish sentence: what the query was resolved to."""
    if r.how == "ecl":
        return f"ECL-uttrycket {r.query} valde {r.ecl_members} begrepp."
    if not r.used:
        return f"Inget begrepp hittades för '{r.query}'. Inga tjänster visas (sökningen breddas aldrig av sig själv)."
    used = r.used[0]
    how = {"exact": "exakt term", "prefix": "början av term", "words": "ord i term", "fuzzy": "liknande stavning",
           "code": "kod"}[used.how]
    text = f"Sökningen använde {_label(used.concept.coding)}"
    if r.how == "text":
        text += f", träff på '{used.term}' ({how})"
    text += "."
    if r.alternatives:
        names = ", ".join(_label(a.concept.coding) for a in r.alternatives[:5])
        text += (" Flera begrepp passar texten – välj ett av dem för att smalna av: " if r.ambiguous
                 else " Smalare alternativ: ") + names + "."
    return text


def _candidate(c: care.Candidate) -> list[dict]:
    parts = [{"name": "concept", "valueCoding": _coding(c.concept.coding)},
             {"name": "how", "valueCode": c.how}, {"name": "hasServices", "valueBoolean": c.has_services}]
    if c.term:
        parts.insert(1, {"name": "matchedTerm", "valueString": c.term})
    return parts


def _resolution_parameters(r: care.Resolution, result: care.CareSearchResult) -> dict:
    params = [{"name": "query", "valueString": r.query}, {"name": "queryType", "valueCode": r.how},
              {"name": "region", "valueReference": {"reference": f"Organization/{result.region.id}",
                                                    "display": result.region.name}},
              {"name": "date", "valueDate": result.date}]
    params += [{"name": "used", "part": _candidate(c)} for c in r.used]
    params += [{"name": "alternative", "part": _candidate(c)} for c in r.alternatives]
    params.append({"name": "ambiguous", "valueBoolean": r.ambiguous})
    if r.ecl_members is not None:
        params.append({"name": "eclMembers", "valueInteger": r.ecl_members})
    if result.terminology_version:
        params.append({"name": "terminologyVersion", "valueString": result.terminology_version})
    params.append({"name": "text", "valueString": resolution_text(r)})
    params += [{"name": "note", "valueString": n} for n in result.notes]
    params += [{"name": "total", "valueInteger": result.total},
               {"name": "excludedTotal", "valueInteger": result.excluded_total},
               {"name": "offset", "valueInteger": result.request.offset},
               {"name": "count", "valueInteger": result.request.count}]
    return {"resourceType": "Parameters", "id": "care-search-resolution", "parameter": params}


def page_links(result: care.CareSearchResult, url: str, items: Iterable[tuple[str, object]]) -> dict[str, str]:
    """``self``, ``next`` and ``previous`` of one page of a care search: ``_offset`` and ``_count`` are one
    window over the hits and the excluded candidates, so ``next`` (while either list has more) pages both
    (R5 http.html "Paging"); ``url`` is the operation's URL, ``items`` the request's parameters."""
    kept = [(n, str(v).lower() if isinstance(v, bool) else v) for n, v in items if n not in ("_offset", "_count")]
    offset, count = result.request.offset, result.request.count

    def at(start: int) -> str:
        return f"{url}?{urlencode(kept + [('_offset', start), ('_count', count)])}"

    links = {"self": at(offset)}
    if count and offset + count < max(result.total, result.excluded_total):
        links["next"] = at(offset + count)
    if offset > 0:
        links["previous"] = at(max(0, offset - count))
    return links


def _ref(rtype: str, stored_or_record) -> dict:
    record = getattr(stored_or_record, "record", stored_or_record)
    out = {"reference": f"{rtype}/{record.id}"}
    if getattr(record, "name", None):
        out["display"] = record.name
    return out


def wait_label(w: care.Wait) -> str:
    return w.label


def _explanation(hit: care.Hit) -> dict:
    s = hit.service.record
    params: list[dict] = [
        {"name": "service", "valueReference": _ref("HealthcareService", s)},
        {"name": "status", "valueCode": "excluded" if hit.reasons else "hit"},
        {"name": "matchType", "valueCode": hit.match.type},
        {"name": "matchText", "valueString": care.MATCH_TEXT[hit.match.type]},
        {"name": "conceptPath", "part": [{"name": "concept", "valueCoding": _coding(c)} for c in hit.match.path]},
    ]
    if hit.match.map:
        params.append({"name": "map", "valueCanonical": hit.match.map})
    if hit.agreement is not None:
        a = hit.agreement.record
        parts = [{"name": "reference", "valueReference": _ref("Contract", a)},
                 {"name": "identifier", "valueString": a.identifier}]
        parts += [{"name": k, "valueDate": v} for k, v in (("validFrom", a.valid_from), ("validTo", a.valid_to)) if v]
        parts.append({"name": "expiresWithin90Days", "valueBoolean": hit.expires_within_90_days})
        parts += [{"name": k, "valueString": v} for k, v in (("extensionOption", a.extension_option),
                                                              ("contact", a.contact)) if v]
        parts.append({"name": "confidential", "valueBoolean": a.confidential})
        params.append({"name": "agreement", "part": parts})
    if hit.agreement_withheld:
        params.append({"name": "agreementWithheld", "valueBoolean": True})
    if hit.commission is not None:
        cm = hit.commission.record
        parts = [{"name": "reference", "valueReference": _ref("OrganizationAffiliation", cm)}]
        parts += [{"name": k, "valueDate": v} for k, v in (("validFrom", cm.valid_from), ("validTo", cm.valid_to)) if v]
        params.append({"name": "commission", "part": parts})
    for v in hit.eligibility:
        parts = [{"name": "verdict", "valueCode": v.verdict}, {"name": "asked", "valueString": v.asked},
                 {"name": "text", "valueString": f"{CRITERION_TEXT[v.criterion]}: {VERDICT_TEXT[v.verdict]}"}]
        if v.stated:
            parts.insert(2, {"name": "stated", "valueString": v.stated})
        params.append({"name": "eligibility", "part": [{"name": "criterion", "valueCode": v.criterion}] + parts})
    conditions = []
    if s.referral:
        conditions += [{"name": "referral", "valueCode": s.referral},
                       {"name": "referralText", "valueString": care.codes.REFERRALS[s.referral]}]
    conditions.append({"name": "paymentCommitment", "valueBoolean": s.payment_commitment})
    if s.conditions:
        conditions.append({"name": "text", "valueString": s.conditions})
    params.append({"name": "conditions", "part": conditions})
    if hit.place is not None:
        params.append({"name": "place", "valueReference": _ref("Location", hit.place)})
    if hit.distance_km is not None:
        params.append({"name": "distanceKm", "valueDecimal": hit.distance_km})
    w = hit.wait
    parts = [{"name": "status", "valueCode": w.status}, {"name": "text", "valueString": w.label}]
    if w.days is not None:
        parts.append({"name": "days", "valueDecimal": w.days})
        parts.append({"name": "measure", "valueCode": w.measure})
        parts.append({"name": "reported", "valueDate": w.reported})
    if w.source:
        parts.append({"name": "source", "valueString": w.source})
    for measure, value in w.others:
        parts.append({"name": measure, "valueDecimal": value})
    params.append({"name": "waitingTime", "part": parts})
    for cap in hit.capacity:
        parts = [{"name": "reference", "valueReference": {"reference": f"Observation/{cap.id}"}},
                 {"name": "periodStart", "valueDate": cap.period_start}, {"name": "periodEnd", "valueDate": cap.period_end},
                 {"name": "available", "valueBoolean": cap.available}]
        if cap.volume is not None:
            parts.append({"name": "volume", "valueInteger": cap.volume})
        if cap.conditions:
            parts.append({"name": "conditions", "valueString": cap.conditions})
        params.append({"name": "capacity", "part": parts})
    for reason in hit.reasons:
        params.append({"name": "reason", "part": [{"name": "code", "valueCode": reason},
                                                  {"name": "text", "valueString": care.REASON_TEXT[reason]}]})
    return {"resourceType": "Parameters", "id": f"explanation-{s.id}", "parameter": params}


def search_bundle(result: care.CareSearchResult, base: str, links: dict[str, str] | None = None) -> dict:
    """The searchset Bundle (R5) of a care search; ``base`` is the FHIR base URL for ``fullUrl``s, ``links``
    the paging links (:func:`page_links`). ``total`` counts the hits; the ``care-search-resolution``
    Parameters count the excluded candidates (``excludedTotal``)."""
    entries: list[dict] = []
    seen: set[str] = set()

    def add(resource: dict, mode: str, score: float | None = None) -> None:
        key = f"{resource['resourceType']}/{resource['id']}"
        if key in seen:
            return
        seen.add(key)
        entry: dict = {"fullUrl": f"{base}/{key}", "resource": resource, "search": {"mode": mode}}
        if score is not None:
            entry["search"]["score"] = score
        entries.append(entry)

    r = result.resolution
    outcome = {"resourceType": "OperationOutcome", "id": "care-search-outcome", "issue": [
        {"severity": "information", "code": "informational", "details": {"text": resolution_text(r)}}]}
    add(outcome, "outcome")
    add(_resolution_parameters(r, result), "include")
    for i, hit in enumerate(result.hits):
        add(care.render_resource(hit.service), "match", round(1 - i / max(1, len(result.hits)), 4))
        _add_related(hit, add)
    for hit in result.excluded:
        add(care.render_resource(hit.service), "include")
        add(_explanation(hit), "include")
    bundle: dict = {"resourceType": "Bundle", "type": "searchset", "total": result.total}
    if links:
        bundle["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    bundle["entry"] = entries
    return bundle


def _add_related(hit: care.Hit, add) -> None:
    add(_explanation(hit), "include")
    for stored in (hit.unit, hit.provider, hit.commission, hit.agreement):
        if stored is not None:
            add(care.render_resource(stored), "include")
    for place in hit.places:
        add(_bare(place.location), "include")
    for cap in hit.capacity:
        add(_bare(cap), "include")


def _bare(record) -> dict:
    """A resource read without its version (places and capacity reports come from list queries)."""
    resource = care.render_resource(care.Stored(record, 0, ""))
    resource.pop("meta", None)
    return resource


# --- the JSON API --------------------------------------------------------------------------------------


def _plain_coding(c) -> dict:
    return {"system": c.system, "code": c.code, "display": c.display}


def _plain_candidate(c: care.Candidate) -> dict:
    return {**_plain_coding(c.concept.coding), "matchedTerm": c.term or None, "language": c.language or None,
            "how": c.how, "hasServices": c.has_services}


def search_json(result: care.CareSearchResult, links: dict[str, str] | None = None) -> dict:
    """The plain JSON answer of the web API (same content as the Bundle, flat and Swedish-labelled); ``next`` and
    ``previous`` are the URLs of the neighbouring pages (:func:`page_links`), None at the ends."""
    r = result.resolution
    return {
        "region": {"id": result.region.id, "name": result.region.name, "county": result.region.county},
        "date": result.date,
        "terminologyVersion": result.terminology_version,
        "resolution": {"queryType": r.how, "query": r.query, "text": resolution_text(r),
                       "used": [_plain_candidate(c) for c in r.used],
                       "alternatives": [_plain_candidate(c) for c in r.alternatives], "ambiguous": r.ambiguous,
                       "eclMembers": r.ecl_members},
        "total": result.total,
        "hits": [hit_json(h) for h in result.hits],
        "excludedTotal": result.excluded_total,
        "excluded": [hit_json(h) for h in result.excluded],
        "origin": _origin(result.request),
        "distanceKm": result.request.distance_km,
        "offset": result.request.offset,
        "count": result.request.count,
        "next": (links or {}).get("next"),
        "previous": (links or {}).get("previous"),
        "notes": list(result.notes),
    }


def _origin(req: care.CareSearchRequest) -> dict | None:
    """The point distances are measured from (``near``, or the kommun of ``postalCode``), None without one."""
    point = req.near or (care.geo.postal_point(req.postal_code) if req.postal_code else None)
    return {"lat": point[0], "lon": point[1]} if point else None


def hit_json(hit: care.Hit) -> dict:
    s = hit.service.record
    unit = hit.unit.record if hit.unit else None
    provider = hit.provider.record if hit.provider else None
    place = hit.place
    a = hit.agreement.record if hit.agreement else None
    cm = hit.commission.record if hit.commission else None
    w = hit.wait
    return {
        "service": {"id": s.id, "name": s.name, "types": [_plain_coding(x) for x in s.types],
                    "meetingForms": list(s.meeting_forms), "description": s.description,
                    "validFrom": s.valid_from, "validTo": s.valid_to},
        "unit": unit and {"id": unit.id, "name": unit.name, "hsaId": unit.hsa_id, "phone": unit.phone,
                          "openingHours": unit.opening_hours},
        "provider": provider and {"id": provider.id, "name": provider.name, "orgnr": provider.orgnr,
                                  "web": provider.web, "kind": provider.kind},
        "place": place and {"id": place.id, "name": place.name, "address": place.address,
                            "postalCode": place.postal_code, "city": place.city, "municipality": place.municipality,
                            "county": place.county, "lat": place.lat, "lon": place.lon,
                            "distanceKm": hit.distance_km},
        "match": {"type": hit.match.type, "text": care.MATCH_TEXT[hit.match.type],
                  "path": [_plain_coding(c) for c in hit.match.path], "map": hit.match.map},
        "agreement": a and {"id": a.id, "identifier": a.identifier, "title": a.title, "type": a.type,
                            "status": a.status, "validFrom": a.valid_from, "validTo": a.valid_to,
                            "expiresWithin90Days": hit.expires_within_90_days, "extensionOption": a.extension_option,
                            "contact": a.contact, "documentUrl": a.document_url, "confidential": a.confidential},
        "agreementWithheld": hit.agreement_withheld,
        "commission": cm and {"id": cm.id, "validFrom": cm.valid_from, "validTo": cm.valid_to},
        "conditions": {"referral": s.referral, "referralText": care.codes.REFERRALS.get(s.referral or ""),
                       "paymentCommitment": s.payment_commitment, "text": s.conditions},
        "eligibility": [{"criterion": v.criterion, "verdict": v.verdict, "asked": v.asked, "stated": v.stated,
                         "text": f"{CRITERION_TEXT[v.criterion]}: {VERDICT_TEXT[v.verdict]}"} for v in hit.eligibility],
        "waitingTime": {"status": w.status, "days": w.days, "measure": w.measure, "reported": w.reported,
                        "source": w.source, "text": w.label, "others": dict(w.others)},
        "capacity": [{"id": x.id, "periodStart": x.period_start, "periodEnd": x.period_end, "volume": x.volume,
                      "available": x.available, "conditions": x.conditions, "contact": x.contact,
                      "reportedAt": x.reported_at} for x in hit.capacity],
        "reasons": [{"code": x, "text": care.REASON_TEXT[x]} for x in hit.reasons],
    }


def event_json(e: care.Event) -> dict:
    return {"seq": e.seq, "at": e.at, "who": e.who, "channel": e.channel, "action": e.action,
            "resource": f"{e.resource_type}/{e.resource_id}", "versionId": e.version_id, "what": e.what}
