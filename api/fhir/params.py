"""Operation parameters: from a GET query, a form POST or a ``Parameters`` body, to request objects.

FHIR R5 "Operations" §3.1.0.6 (``Executing operations``): an operation may be invoked by GET with its
primitive parameters in the query, or by POST with a ``Parameters`` resource (or form-encoded primitives).
A ``Parameters`` body is validated with the ``fhir.resources`` model of the wire version; the rules of each
operation ("system is required", "code xor coding") live in the builders here, so routers stay thin
(STYLE.md principle 6). FHIR parameter names appear only in this module and the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import Request
from pydantic import ValidationError

import terminology as t

from .convert import from_r4

_PRIMITIVE_PREFIX = "value"


@dataclass
class OpParams:
    """The parameters of one operation call: names to values (str, bool, int, dict for complex types)."""

    items: list[tuple[str, object]]
    operation: str
    accept_language: str | None = None
    too_costly_threshold: int | None = None
    fhir_version: str = "5.0.0"
    """The wire's FHIR version (``4.0.1`` on ``/fhir/r4`` and ``/fhir``, ``5.0.0`` on ``/fhir/r5``)."""

    def all(self, name: str) -> list:
        return [v for n, v in self.items if n == name]

    def one(self, name: str):
        values = self.all(name)
        if len(values) > 1:
            raise t.InvalidRequest("OP_INVALID_PARAM", name, "(repeated)", "may appear only once")
        return values[0] if values else None

    def text(self, name: str) -> str | None:
        v = self.one(name)
        if v is None:
            return None
        if isinstance(v, (dict, list)):
            raise t.InvalidRequest("OP_INVALID_PARAM", name, "(complex)", "must be a primitive value")
        return str(v)

    def boolean(self, name: str, default: bool = False) -> bool:
        v = self.one(name)
        if v is None:
            return default
        if isinstance(v, bool):
            return v
        if str(v).lower() in ("true", "false"):
            return str(v).lower() == "true"
        raise t.InvalidRequest("OP_INVALID_PARAM", name, v, "must be true or false")

    def maybe_boolean(self, name: str) -> bool | None:
        """A boolean parameter, or None when the request does not give it."""
        return None if self.one(name) is None else self.boolean(name)

    def texts(self, name: str) -> tuple[str, ...]:
        """Every value of a repeatable primitive parameter, as strings."""
        return tuple(str(v) for v in self.all(name) if not isinstance(v, (dict, list)))

    def resources(self, name: str = "tx-resource") -> tuple[dict, ...]:
        """Resources given as ``tx-resource`` parameters (R5 JSON: R4 bodies are converted on arrival)."""
        return tuple(v for v in self.all(name) if isinstance(v, dict) and v.get("resourceType"))

    def integer(self, name: str) -> int | None:
        v = self.one(name)
        return None if v is None else t.whole_number(name, v)

    def coding(self, name: str) -> dict | None:
        v = self.one(name)
        if v is not None and not isinstance(v, dict):
            raise t.InvalidRequest("OP_INVALID_PARAM", name, v, "must be a Coding (use POST with Parameters)")
        return v

    def display_language(self) -> str | None:
        """``displayLanguage``, else the HTTP ``Accept-Language`` header."""
        return self.text("displayLanguage") or self.accept_language

    def require(self, name: str, value):
        if value is None or value == "":
            raise t.InvalidRequest("OP_MISSING_PARAM", name, self.operation)
        return value


async def op_params(request: Request) -> OpParams:
    """Collect the parameters of an operation call (FastAPI dependency)."""
    operation = request.url.path.rsplit("/", 1)[-1]
    items: list[tuple[str, object]] = list(request.query_params.multi_items())
    if request.method == "POST":
        items += await _body_items(request)
    items = [(n, v) for n, v in items if n not in ("_format", "_pretty")]
    threshold = request.headers.get("x-too-costly-threshold")
    r5 = request.url.path.startswith("/fhir/r5")
    return OpParams(items=items, operation=operation, accept_language=request.headers.get("accept-language"),
                    too_costly_threshold=t.whole_number("X-TOO-COSTLY-THRESHOLD", threshold) if threshold else None,
                    fhir_version="5.0.0" if r5 else "4.0.1")


async def _body_items(request: Request) -> list[tuple[str, object]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        form = await request.form()
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    raw = await request.body()
    if not raw.strip():
        return []
    if ctype and "json" not in ctype:
        raise t.Unsupported.plain(f"Content type {ctype} is not supported; send application/fhir+json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"the body is not valid JSON ({exc})") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", "the body must be a Parameters resource")
    r4 = request.url.path.startswith("/fhir/r4") or not request.url.path.startswith("/fhir/r5")
    _validate_parameters(body, r4)
    if r4:
        body = from_r4(body)
    return [(p["name"], _param_value(p)) for p in body.get("parameter", [])]


_ENGINE_READ = ("CodeSystem", "ValueSet", "ConceptMap")
"""Resources inside a Parameters body that are not model-validated: the terminology engine reads them and
reports their problems as the HL7 messages the tests expect (e.g. a filter without a value), and validating
a 2,000-concept CodeSystem with the models would cost ~150 ms on every request that carries it."""


def _envelope(body: dict, r4: bool) -> dict:
    """``body`` with the engine-read resources replaced by a stub, for validating the Parameters structure; a
    ``resource`` that names no resource type of the wire's FHIR version is refused here (the models would fail
    on it with a lookup error instead of a validation error)."""
    if r4:
        from fhir.resources.R4B import get_fhir_model_class
    else:
        from fhir.resources import get_fhir_model_class

    def strip(params: list) -> list:
        out = []
        for p in params:
            if not isinstance(p, dict):
                out.append(p)
                continue
            q = dict(p)
            r = q.get("resource")
            if isinstance(r, dict):
                kind = r.get("resourceType")
                try:
                    get_fhir_model_class(kind) if isinstance(kind, str) else None
                except ValueError:
                    kind = None
                if not isinstance(kind, str):
                    raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"parameter {q.get('name')!r}: the resource has no "
                                           "valid resourceType") from None
            if isinstance(r, dict) and r.get("resourceType") in _ENGINE_READ:
                q["resource"] = {"resourceType": "Basic", "code": {"text": r["resourceType"]}}
            if isinstance(q.get("part"), list):
                q["part"] = strip(q["part"])
            out.append(q)
        return out
    return {**body, "parameter": strip(body.get("parameter", []))} if isinstance(body.get("parameter"), list) else body


def _validate_parameters(body: dict, r4: bool) -> None:
    """Check the body against the FHIR Parameters model of the wire version (see :data:`_ENGINE_READ`)."""
    if r4:
        from fhir.resources.R4B.parameters import Parameters
    else:
        from fhir.resources.parameters import Parameters
    try:
        Parameters.model_validate(_envelope(body, r4))
    except ValidationError as exc:
        # FHIR's uuid is any RFC 4122 UUID; the models insist on version 4 (the HL7 test runner sends a v1).
        errors = [e for e in exc.errors() if e.get("type") != "uuid_version"]
        if not errors:
            return
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors[:5])
        raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"the Parameters resource is not valid: {problems}") from None


def _param_value(p: dict):
    if "resource" in p:
        return p["resource"]
    if "part" in p:
        return {q["name"]: _param_value(q) for q in p["part"]}
    for key, value in p.items():
        if key.startswith(_PRIMITIVE_PREFIX):
            return value
    return None


# --- request builders ------------------------------------------------------------------------------


def lookup_request(p: OpParams) -> t.LookupRequest:
    """``$lookup``: ``system`` + ``code`` (+ ``version``), or ``coding``."""
    coding = p.coding("coding")
    code, system, version = p.text("code"), p.text("system"), p.text("version")
    if coding is not None:
        if code is not None:
            raise t.InvalidRequest("OP_CONFLICTING_PARAMS", "code and coding", "$lookup")
        code, system, version = coding.get("code"), coding.get("system"), coding.get("version") or version
    return t.LookupRequest(system=p.require("system", system), code=p.require("code", code), version=version,
                           display_language=p.display_language(),
                           properties=tuple(str(v) for v in p.all("property")), resources=p.resources(),
                           use_supplements=p.texts("useSupplement"), fhir_version=p.fhir_version)


def subsumes_request(p: OpParams) -> t.SubsumesRequest:
    """``$subsumes``: ``codeA`` + ``codeB`` + ``system``, or ``codingA`` + ``codingB``."""
    a, b = p.coding("codingA"), p.coding("codingB")
    system, version = p.text("system"), p.text("version")
    code_a, code_b = p.text("codeA"), p.text("codeB")
    if a is not None or b is not None:
        if a is None or b is None or code_a or code_b:
            raise t.InvalidRequest("OP_CONFLICTING_PARAMS", "codingA/codingB and codeA/codeB", "$subsumes")
        if a.get("system") != b.get("system"):
            raise t.InvalidRequest("SUBSUMES_SYSTEM_MISMATCH", a.get("system"), b.get("system"))
        code_a, code_b, system = a.get("code"), b.get("code"), system or a.get("system")
        version = version or a.get("version")
    return t.SubsumesRequest(system=p.require("system", system), code_a=p.require("codeA", code_a),
                             code_b=p.require("codeB", code_b), version=version, resources=p.resources(),
                             fhir_version=p.fhir_version)


def validate_request(p: OpParams, *, value_set: bool) -> t.ValidateRequest:
    """``$validate-code`` (ValueSet or CodeSystem) as one request over all codings: a ``codeableConcept``, a
    ``coding``, or ``code`` with ``system``/``systemVersion`` (ValueSet) or ``url``/``version`` (CodeSystem).

    Raises InvalidRequest when there is nothing to validate (``VALIDATE_NO_CODE``) or the ``displayLanguage``
    is not a language tag (``INVALID_DISPLAY_NAME``).
    """
    cc, coding, code = p.one("codeableConcept"), p.one("coding"), p.text("code")
    url = p.text("url")
    if cc is not None and isinstance(cc, dict):
        mode = "codeableConcept"
        codings = tuple(_coding(c) for c in cc.get("coding", []) if isinstance(c, dict))
    elif coding is not None and isinstance(coding, dict):
        mode, codings, cc = "coding", (_coding(coding),), None
    elif code is not None:
        mode, cc = "code", None
        if value_set:
            system, version = p.text("system"), p.text("systemVersion")
        else:
            system, version = url or p.text("system"), p.text("version")
        codings = (t.Coding(system or None, code, p.text("display"), version),)  # type: ignore[arg-type]
    else:
        raise t.InvalidRequest.plain(t.format_message("VALIDATE_NO_CODE"))
    inline = p.one("valueSet") if value_set else p.one("codeSystem")
    inline = inline if isinstance(inline, dict) and inline.get("resourceType") else None
    if value_set and inline is None and not url:
        raise t.InvalidRequest("OP_MISSING_PARAM", "url", p.operation)
    display_language = p.text("displayLanguage")
    return t.ValidateRequest(
        target="ValueSet" if value_set else "CodeSystem", mode=mode, codings=codings, codeable_concept=cc,
        url=url, version=p.text("valueSetVersion") if value_set else p.text("version"),
        value_set=inline if value_set else None, code_system=None if value_set else inline,
        infer_system=p.boolean("inferSystem"), abstract_ok=p.boolean("abstract", True),
        active_only=p.boolean("activeOnly"), membership_only=p.boolean("valueset-membership-only"),
        lenient_display=p.boolean("lenient-display-validation"), display_language=display_language,
        accept_language=p.accept_language, resources=p.resources(), use_supplements=p.texts("useSupplement"),
        system_versions=p.texts("system-version"), check_system_versions=p.texts("check-system-version"),
        force_system_versions=p.texts("force-system-version"),
        default_value_set_versions=p.texts("default-valueset-version"), fhir_version=p.fhir_version)


def _coding(c: dict) -> t.Coding:
    return t.Coding(c.get("system") or None, str(c.get("code", "")), c.get("display"),  # type: ignore[arg-type]
                    c.get("version"))


def batch_items(p: OpParams) -> list[OpParams]:
    """``ValueSet/$batch-validate-code``: one parameter set per ``validation`` (a Parameters resource), each
    the request's own parameters with the validation's parameters replacing those of the same name."""
    shared = [(n, v) for n, v in p.items if n != "validation"]
    out = []
    for v in p.all("validation"):
        if not isinstance(v, dict):
            continue
        inner = [(q["name"], _param_value(q)) for q in v.get("parameter", []) if isinstance(q, dict) and "name" in q]
        names = {n for n, _ in inner}
        out.append(OpParams(items=[(n, x) for n, x in shared if n not in names] + inner, operation="$validate-code",
                            accept_language=p.accept_language, too_costly_threshold=p.too_costly_threshold,
                            fhir_version=p.fhir_version))
    return out


def expand_request(p: OpParams, *, max_size: int | None = None) -> t.ExpandRequest:
    """``$expand`` of a value set named by ``url`` or given inline as ``valueSet``, with ``tx-resource``s."""
    value_set = p.one("valueSet")
    if value_set is not None and not isinstance(value_set, dict):
        raise t.InvalidRequest("OP_INVALID_PARAM", "valueSet", value_set, "must be a ValueSet resource")
    url = p.text("url")
    if value_set is None:
        p.require("url", url)
    system_versions = p.texts("system-version")
    return t.ExpandRequest(
        url=url, value_set_version=p.text("valueSetVersion"), filter=_filter(p),
        count=p.integer("count"), offset=p.integer("offset"), active_only=p.maybe_boolean("activeOnly"),
        display_language=p.display_language(), include_designations=p.maybe_boolean("includeDesignations"),
        max_size=p.too_costly_threshold if p.too_costly_threshold is not None else max_size,
        value_set=value_set, resources=p.resources(), exclude_nested=p.maybe_boolean("excludeNested"),
        include_definition=p.maybe_boolean("includeDefinition"), properties=p.texts("property"),
        designations=p.texts("designation"), use_supplements=p.texts("useSupplement"),
        system_versions=system_versions, check_system_versions=p.texts("check-system-version"),
        force_system_versions=p.texts("force-system-version"),
        default_value_set_versions=p.texts("default-valueset-version"), fhir_version=p.fhir_version)


def _filter(p: OpParams) -> str | None:
    """``filter``, bounded in length and words (``terminology.bounded_filter``)."""
    text = p.text("filter")
    return None if text is None else t.bounded_filter(text, name="filter")

