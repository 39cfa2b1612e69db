"""The one message catalogue of the project, keyed by message id.

Ids and English texts follow the HL7 reference implementation's catalogue (``Messages.properties`` in
``hapifhir/org.hl7.fhir.core``, Apache-2.0), because clients and the HL7 terminology test suite compare
them. Placeholders use Java ``MessageFormat`` numbering (``{0}``, ``{1}``...) so a text can be checked
against the upstream catalogue line by line; :func:`format_message` fills them.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # code systems
    "UNKNOWN_CODESYSTEM": "A definition for CodeSystem '{0}' could not be found, so the code cannot be validated",
    "UNKNOWN_CODESYSTEM_VERSION": (
        "A definition for CodeSystem '{0}' version '{1}' could not be found, so the code cannot be validated. "
        "Valid versions: {2}"
    ),
    "UNKNOWN_CODESYSTEM_VERSION_LOOKUP": "The code system {0} version {1} could not be found. Valid versions: {2}",
    "Unknown_Code_in_Version": "Unknown code '{0}' in the CodeSystem '{1}' version '{2}'",
    "Unknown_Code_in": "Unknown code '{0}' in the CodeSystem '{1}'",
    "INVALID_SNOMED_VERSION": (
        "The SNOMED CT version '{0}' is not valid: use http://snomed.info/sct/[module]/version/[YYYYMMDD] "
        "or http://snomed.info/sct/[module]"
    ),
    "INVALID_SCTID": "The code '{0}' is not a valid SNOMED CT concept id: {1}",
    # display checks
    "Display_Name_for__should_be_one_of__instead_of": (
        "Wrong Display Name '{0}' for {1}#{2}. Valid display is one of {3} choices: {4} (for the language(s) '{5}')"
    ),
    "Display_Name_for__should_be__instead_of": (
        "Wrong Display Name '{0}' for {1}#{2}. Valid display is {3} (for the language(s) '{4}')"
    ),
    "INACTIVE_DISPLAY_FOUND": (
        "'{0}' is no longer considered a correct display for code '{1}' (status = inactive). "
        "The correct display is one of {2}"
    ),
    # status
    "INACTIVE_CONCEPT_FOUND": "The concept '{1}' has a status of {0} and its use should be reviewed",
    "STATUS_CODE_WARNING_CODE": "The concept '{0}' is valid but is not active",
    # value sets
    "Unable_to_resolve_value_Set_": "A definition for the value Set '{0}' could not be found",
    "None_of_the_provided_codes_are_in_the_value_set_one": "The provided code '{0}' was not found in the value set '{1}'",
    "TX_GENERAL_CC_ERROR_MESSAGE": "No valid coding was found for the value set '{0}'",
    "VALUESET_TOO_COSTLY": "The value set '{0}' expansion has too many codes to produce (>{1})",
    "VALUESET_TOO_COSTLY_COUNT": "The value set '{0}' expansion has {1} codes, which is too many to produce (>{2})",
    # requests
    "OP_MISSING_PARAM": "Missing parameter '{0}' for operation {1}",
    "OP_CONFLICTING_PARAMS": "Parameters {0} cannot be used together in operation {1}",
    "OP_INVALID_PARAM": "The value '{1}' of parameter '{0}' is not valid: {2}",
    "OP_UNKNOWN_RESOURCE": "Resource {0}/{1} is not known",
    "RESOURCE_DELETED": "Resource {0}/{1} has been deleted",
    # $translate (no HL7 catalogue entry: the project's own)
    "TRANSLATE_NO_MATCH": "No translation found for {0} in the concept map(s) {1}",
    "OP_UNSUPPORTED": "{0}",
    "SUBSUMES_SYSTEM_MISMATCH": "Codes from different code systems cannot be compared: '{0}' and '{1}'",
    "FHIR_VS_UNSUPPORTED": "The implicit value set '{0}' is not supported: {1}",
    "REQUEST_NOT_PARSEABLE": "The request could not be read: {0}",
    # value sets on FHIR resources ($expand over CodeSystem / ValueSet resources)
    "UNKNOWN_CODESYSTEM_EXP": "A definition for CodeSystem '{0}' could not be found, so the value set cannot be expanded",
    "UNKNOWN_CODESYSTEM_VERSION_EXP": (
        "A definition for CodeSystem '{0}' version '{1}' could not be found, so the value set cannot be expanded. "
        "Valid versions: {2}"
    ),
    "VALUESET_VERSION_CHECK": (
        "The version '{0}' is not allowed for system '{1}': required to be '{2}' by a version-check parameter"
    ),
    "VALUESET_SUPPLEMENT_MISSING": "Required supplement not found: {0}",
    "VALUESET_CIRCULAR_REFERENCE": "Found a circularity pointing to {0} processing ValueSet with pathway [{1}]",
    "VS_EXP_IMPORT_UNK_PINNED": "Unable to find included value set '{0}' version '{1}'",
    "UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE": "The system {0} filter with property = {1}, op = {2} has no value",
    "FILTER_NOT_UNDERSTOOD": "The filter \"{0} {1} {2}\" was not understood in the context of {3}",
    "CODESYSTEM_NOT_ENUMERABLE": "The code system {0} has a grammar, and cannot be enumerated directly",
    "VALUESET_IMPORT_NO_SYSTEM": "The value set include has neither a system nor a value set",
    "REGEX_INVALID": "The regular expression '{0}' is not valid: {1}",
    "REGEX_TOO_COSTLY": "The regular expression '{0}' took too long to evaluate",
    # ECL (terminology/ecl; not in the HL7 catalogue)
    "ECL_SYNTAX": "The ECL expression is not valid at position {0}: expected {1}, found {2}",
    "ECL_INVALID": "The ECL expression cannot be evaluated (position {0}): {1}",
    "ECL_TOO_COSTLY": "The ECL expression is too costly to evaluate: {0}",
}


def format_message(message_id: str, *args: object) -> str:
    """Fill the catalogue text of ``message_id`` with ``args`` (``{0}``, ``{1}``... in order).

    Raises KeyError for an unknown id: every message the server sends must be in the catalogue.
    """
    text = MESSAGES[message_id]
    for i, arg in enumerate(args):
        text = text.replace("{" + str(i) + "}", str(arg))
    return text
