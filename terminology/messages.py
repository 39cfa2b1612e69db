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
    # $validate-code on FHIR resources (terminology/valuesets/validate.py); plural forms keep the HL7 key with
    # the _one / _other suffix of the reference catalogue
    "Display_Name_for__should_be_one_of__instead_of_one": (
        "Wrong Display Name '{4}' for {1}#{2}. Valid display is {3} (for the language(s) '{5}')"
    ),
    "Display_Name_for__should_be_one_of__instead_of_other": (
        "Wrong Display Name '{4}' for {1}#{2}. Valid display is one of {0} choices: {3} (for the language(s) '{5}')"
    ),
    "Display_Name_WS_for__should_be_one_of__instead_of": (
        "Wrong whitespace in Display Name '{4}' for {1}#{2}. Valid display is {3} (for the language(s) '{5}')"
    ),
    "Display_Name_WS_for__should_be_one_of__instead_of_one": (
        "Wrong whitespace in Display Name '{4}' for {1}#{2}. Valid display is {3} (for the language(s) '{5}')"
    ),
    "Display_Name_WS_for__should_be_one_of__instead_of_other": (
        "Wrong whitespace in Display Name '{4}' for {1}#{2}. Valid display is one of {0} choices: {3} "
        "(for the language(s) '{5}')"
    ),
    "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK": (
        "There are no valid display names found for the code {1}#{2} for language(s) '{3}'. "
        "The display is '{0}' which is a valid display for the default language"
    ),
    "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR": (
        "Wrong Display Name '{0}' for {1}#{2}. There are no valid display names found for language(s) '{3}'. "
        "Default display is '{4}'"
    ),
    "NO_VALID_DISPLAY_AT_ALL": "The display '{0}' cannot be checked for {1}#{2}: the concept has no display",
    "INACTIVE_DISPLAY_FOUND_one": (
        "'{0}' is no longer considered a correct display for code '{1}' (status = {3}). "
        "The correct display is one of {2}."
    ),
    "INACTIVE_DISPLAY_FOUND_other": (
        "'{0}' is no longer considered a correct display for code '{1}' (status = {3}). "
        "The correct display is one of {2}."
    ),
    "INVALID_DISPLAY_NAME": "Invalid displayLanguage: '{0}'",
    "UNKNOWN_CODE_IN_FRAGMENT": (
        "Unknown Code '{0}' in the CodeSystem '{1}' version '{2}' - note that the code system is labeled as a "
        "fragment, so the code may be valid in some other fragment"
    ),
    "UNKNOWN_CODESYSTEM_VERSION_NONE": (
        "A definition for CodeSystem '{0}' version '{1}' could not be found, so the code cannot be validated. "
        "No versions of this code system are known"
    ),
    "ABSTRACT_CODE_NOT_ALLOWED": "Code '{0}#{1}' is abstract, and not allowed in this context",
    "CODE_CASE_DIFFERENCE": (
        "The code '{0}' differs from the correct code '{1}' by case. Although the code system '{2}' is case "
        "insensitive, implementers are strongly encouraged to use the correct case anyway"
    ),
    "CONCEPT_DEPRECATED_IN_VALUESET": (
        "The presence of the concept '{1}' in the system '{0}' in the value set {3} is marked with a status of {2} "
        "and its use should be reviewed"
    ),
    "DEPRECATED_CONCEPT_FOUND": "The concept '{1}' is {0} and its use should be reviewed",
    "MSG_DRAFT": "Reference to draft {2} {0}",
    "MSG_DEPRECATED": "Reference to deprecated {2} {0}",
    "MSG_WITHDRAWN": "Reference to withdrawn {2} {0}",
    "MSG_RETIRED": "Reference to retired {2} {0}",
    "MSG_EXPERIMENTAL": "Reference to experimental {2} {0}",
    "Coding_has_no_system__cannot_validate": (
        "Coding has no system. A code with no system has no defined meaning, and it cannot be validated. "
        "A system should be provided"
    ),
    "Terminology_TX_System_Relative": "Coding.system must be an absolute reference, not a local reference",
    "Terminology_TX_System_ValueSet2": "The Coding references a value set, not a code system ('{0}')",
    "CODESYSTEM_CS_NO_SUPPLEMENT": "CodeSystem {0} is a supplement, so can't be used as a value in Coding.system",
    "UNABLE_TO_INFER_CODESYSTEM": "The System URI could not be determined for the code '{0}' in the ValueSet '{1}'",
    "Unable_to_resolve_system__value_set_has_multiple_matches": (
        "The System URI could not be determined for the code '{0}' in the ValueSet '{1}': value set expansion has "
        "multiple matches: [{2}]"
    ),
    "VALUESET_VALUE_MISMATCH": (
        "The code system '{0}' version '{1}' in the ValueSet include is different to the one in the value ('{2}')"
    ),
    "VALUESET_VALUE_MISMATCH_CHANGED": (
        "The code system '{0}' version '{1}' resulting from the version '{2}' in the ValueSet include is different "
        "to the one in the value ('{3}')"
    ),
    "VALUESET_VALUE_MISMATCH_DEFAULT": (
        "The code system '{0}' version '{1}' for the versionless include in the ValueSet include is different to the "
        "one in the value ('{3}')"
    ),
    "VALIDATE_NO_CODE": (
        "Unable to find code to validate (looked for coding | codeableConcept | code+system | code+inferSystem in "
        "parameters"
    ),
    # ECL (terminology/ecl): the reference server's two messages, with the detail of this server's parser and
    # evaluator as {1} (the three below, not in the HL7 catalogue)
    "INVALID_ECL": "Invalid ECL expression: '{0}': ({1})",
    "UNSUPPORTED_ECL": "The ECL expression is not supported: '{0}': ({1})",
    "ECL_SYNTAX": "syntax error at position {0}: expected {1}, found {2}",
    "ECL_INVALID": "at position {0}: {1}",
    "ECL_UNKNOWN_CONCEPT": "the SNOMED CT concept {0} at position {1} is not known",
    "ECL_TOO_COSTLY": "The ECL expression is too costly to evaluate: {0}",
    # SNOMED CT post-coordinated expressions (terminology/scg, terminology/providers/snomed_expressions.py);
    # SCT_NO_MRCM is the HL7 catalogue's, the others are this server's own
    "SCT_NO_MRCM": "Not validated against the Machine Readable Concept Model (MRCM)",
    "SCG_NOT_VALID": "Not a valid expression: {0}",
    "SCG_SYNTAX": "syntax error at position {0}: expected {1}, found {2}",
    "SCG_TOO_LONG": "the expression has {0} characters, more than the limit of {1}",
    "SCG_TOO_DEEP": "the expression is nested too deeply at position {0} (more than {1} levels)",
    "SCG_INVALID_SCTID": "{0} at position {1} is not a valid concept id: {2}",
    "SCG_UNKNOWN_CONCEPT": "the concept {0} at position {1} is not in the version {2}",
    "SCG_INACTIVE_CONCEPT": "the concept {0} at position {1} is inactive",
    "SCG_NOT_AN_ATTRIBUTE": (
        "the concept {0} at position {1} is not a concept model attribute (a descendant of 410662002 "
        "|Concept model attribute|)"
    ),
    "SCG_DATA_ATTRIBUTE_VALUE": (
        "the attribute {0} at position {1} takes a concrete value (#number, \"string\", true or false), not a concept"
    ),
    "SCG_OBJECT_ATTRIBUTE_VALUE": (
        "the attribute {0} at position {1} takes a concept or an expression in parentheses, not the concrete value {2}"
    ),
    "SCG_TERM": (
        "Wrong term '{0}' for {1} at position {2} of the expression. Valid terms are: {3}"
    ),
    "MRCM_DOMAIN": (
        "the SNOMED CT concept model does not allow the attribute {0} (position {1}) on {2}: it is only allowed {3}"
    ),
    "MRCM_RANGE": (
        "the SNOMED CT concept model does not allow {0} (position {1}) as a value of the attribute {2}: the value "
        "must satisfy {3}"
    ),
    "MRCM_GROUPED": (
        "the SNOMED CT concept model requires the attribute {0} (position {1}) to be in an attribute group: "
        "write {{0} = ...}"
    ),
    "MRCM_NOT_GROUPED": (
        "the SNOMED CT concept model does not allow the attribute {0} (position {1}) in an attribute group"
    ),
    "MRCM_CARDINALITY": (
        "the SNOMED CT concept model allows the attribute {0} at most {1} time(s) {2}, but it is used {3} times "
        "(position {4})"
    ),
    "SCT_SUBSUMPTION_UNKNOWN": (
        "Unable to determine the subsumption relationship between '{0}' and '{1}': at least one is a "
        "post-coordinated expression and no relationship follows from comparing their normal forms. Showing that "
        "there is none would need a classifier, which this server does not run, so no outcome is given rather "
        "than one that may be wrong"
    ),
}


def format_message(message_id: str, *args: object) -> str:
    """Fill the catalogue text of ``message_id`` with ``args`` (``{0}``, ``{1}``... in order).

    Raises KeyError for an unknown id: every message the server sends must be in the catalogue.
    """
    text = MESSAGES[message_id]
    for i, arg in enumerate(args):
        text = text.replace("{" + str(i) + "}", str(arg))
    return text
