"""The Swedish national code systems this server loads: canonical URLs, OIDs, names and properties.

Identifiers as documented in ``tests/data/se-codes/README.md`` (copied from ``../shared/data/se-codes``):
no HL7 Sweden ``http(s)`` canonical URL is published for KVÅ, ICD-10-SE or the HSA code systems, and HL7
Sweden's base profiles use the ``urn:oid:`` form, so the canonical URL of each is ``urn:oid:`` + its OID.

============================== ======================== =========================================
Code system                    OID                      Canonical URL (FHIR ``system``)
============================== ======================== =========================================
KVÅ (KKÅ + KMÅ)                1.2.752.116.1.3.2.1.4    ``urn:oid:1.2.752.116.1.3.2.1.4``
ICD-10-SE                      1.2.752.116.1.1.1.1.3    ``urn:oid:1.2.752.116.1.1.1.1.3``
HSA verksamhetskod             1.2.752.129.2.2.1.3      ``urn:oid:1.2.752.129.2.2.1.3``
HSA vård- och omsorgsform      1.2.752.129.2.2.1.13     ``urn:oid:1.2.752.129.2.2.1.13``
============================== ======================== =========================================
"""

from __future__ import annotations

from .records import CodeSystemMeta, PropertyDef

KVA_OID = "1.2.752.116.1.3.2.1.4"
ICD10SE_OID = "1.2.752.116.1.1.1.1.3"
VERKSAMHETSKOD_OID = "1.2.752.129.2.2.1.3"
VARDFORM_OID = "1.2.752.129.2.2.1.13"

KVA = f"urn:oid:{KVA_OID}"
ICD10SE = f"urn:oid:{ICD10SE_OID}"
VERKSAMHETSKOD = f"urn:oid:{VERKSAMHETSKOD_OID}"
VARDFORM = f"urn:oid:{VARDFORM_OID}"

KIND = PropertyDef("kind", "code", "Level of the code in the classification (chapter, section, block, category, "
                   "code), as ClaML names class kinds")
LEVEL = PropertyDef("level", "integer", "Level of the code in Socialstyrelsen's text files (level1..level4)")
PART = PropertyDef("part", "string", "Part of KVÅ the code belongs to: KKÅ (surgical) or KMÅ (medical)")
SOURCE_CODE = PropertyDef("sourceCode", "string", "The code as written in the source file, where the FHIR code "
                          "had to be qualified by its part because KKÅ and KMÅ use it for different groups")
USAGE = PropertyDef("usage", "code", "Dagger-asterisk marker of ICD-10: dagger (etiology, †) or aster "
                    "(manifestation, *), as ClaML names usage kinds")

SOCIALSTYRELSEN = "Socialstyrelsen"
SOURCE_NOTE = "Källa: Socialstyrelsen."

KVA_META = CodeSystemMeta(
    url=KVA, oid=KVA_OID, name="KVA", title="Klassifikation av vårdåtgärder (KVÅ)", publisher=SOCIALSTYRELSEN,
    description="Socialstyrelsens klassifikation av vårdåtgärder: kirurgiska (KKÅ) och medicinska (KMÅ) åtgärder "
                "med kapitel, avsnitt, kategorier och koder.",
    copyright=SOURCE_NOTE, properties=(KIND, LEVEL, PART))

ICD10SE_META = CodeSystemMeta(
    url=ICD10SE, oid=ICD10SE_OID, name="ICD10SE",
    title="Internationell statistisk klassifikation av sjukdomar och relaterade hälsoproblem – svensk version "
          "(ICD-10-SE)",
    publisher=SOCIALSTYRELSEN,
    description="Socialstyrelsens svenska version av WHO:s ICD-10, med kapitel, avsnitt (block) och koder.",
    copyright=SOURCE_NOTE + " ICD-10-SE bygger på WHO:s ICD-10; WHO:s rättigheter till klassifikationen gäller.",
    properties=(KIND, USAGE))

VERKSAMHETSKOD_META = CodeSystemMeta(
    url=VERKSAMHETSKOD, oid=VERKSAMHETSKOD_OID, name="HSAVerksamhetskod", title="HSA verksamhetskod",
    publisher="Inera AB", description="Kodverk för verksamhetstyp i HSA: huvudgrupper (två siffror) och "
                                      "verksamhetskoder (fyra siffror).",
    copyright="Källa: Inera AB, HSA innehåll Verksamhetskod.")

VARDFORM_META = CodeSystemMeta(
    url=VARDFORM, oid=VARDFORM_OID, name="HSAVardOchOmsorgsform", title="HSA vård- och omsorgsform",
    publisher="Inera AB", description="Kodverk för vård- och omsorgsform i HSA.",
    copyright="Källa: Inera AB, HSA innehåll Vård- och omsorgsform.")
