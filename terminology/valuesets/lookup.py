"""``CodeSystem/$lookup``, whatever the code system (a resource, a FHIR core code system, SNOMED CT).

Source: FHIR R5 OperationDefinition CodeSystem-lookup (http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup):
``name``, ``version``, ``display``, ``definition``, ``abstract``, ``designation`` (with the R5 ``source`` part
for designations taken from a supplement) and ``property`` (``property`` parameters select; the code
system's provider says which properties a concept has, see ``lookup_properties``). ``useSupplement``
applies supplements; a missing one is an error (VALUESET_SUPPLEMENT_MISSING), as the HL7 terminology tests
expect.
"""

from __future__ import annotations

from ..errors import InvalidCode, UnknownCode
from ..messages import format_message
from ..model import Designation, LookupResult
from ..requests import LookupRequest
from . import languages
from .context import ResolutionContext
from .expand import required_supplements


def lookup_code(ctx: ResolutionContext, req: LookupRequest, *, default_language: str = "en") -> LookupResult:
    """The ``$lookup`` answer for ``req.code`` in ``req.system``. Raises UnknownCode(System(Version))."""
    supplements = required_supplements(ctx, None, req.use_supplements)
    cs = ctx.code_system(req.system, req.version, supplements=supplements.get(req.system, ()), purpose="lookup")
    info = cs.locate(req.code)
    if info is None:
        why = cs.code_problem(req.code)
        if why:  # a post-coordinated expression that is not valid: say why
            text = format_message("Unknown_Code_in_Version", req.code, cs.url, cs.version) + ". " + why
            raise InvalidCode("Unknown_Code_in_Version", req.code, cs.url, cs.version, text=text,
                              tx_code="invalid-code")
        if cs.version:
            raise UnknownCode("Unknown_Code_in_Version", req.code, cs.url, cs.version, tx_code="invalid-code")
        raise UnknownCode("Unknown_Code_in", req.code, cs.url, tx_code="invalid-code")
    if cs.chooses_display:  # the display is already the one for the request's languages
        shown, designations = info.display, list(info.designations)
    else:
        cs_language = cs.language or default_language
        pref = languages.parse(req.display_language)
        shown, used = languages.choose(info, info.display, cs_language, pref)
        designations = languages.shown_designations(info, info.display, shown, used, cs_language)
        if info.display is not None and shown == info.display:
            designations.insert(0, Designation(cs_language, languages.PREFERRED_FOR_LANGUAGE, info.display))
    return LookupResult(system=cs.url, version=cs.version or "", name=cs.name or cs.title or cs.url,
                        code=info.code, display=shown or "", designations=tuple(designations),
                        properties=tuple(cs.lookup_properties(info, req.properties)), abstract=info.abstract,
                        definition=info.definition, used_supplements=cs.supplements)
