"""What labels and nearby words say a value is: "DOB", "Date de naissance", `bday`, `ud[em]`, `ep.patient_name`,
PatientBirthDate, a CSV header "MRN" ...

Two readers share one vocabulary of roles:
- `label_role(label)` reads structure (Segment.label: CSV header, JSON key path, query parameter, form field
  name/autocomplete, DICOM keyword) by its word tokens. The phrase ending at the last token wins ("patient.id"
  is an MRN, "patient.name" a name), longest first; generic words ("name", "patient") count only as the last.
- `CUES` are the words that announce a value in prose ("MRN: 00123", "Né le 3 mars 1962", "Dr. Martin"), as
  regexes that compile with both hyperscan and Python `re`; the engine finds them in its single pass.
Roles map to data categories; NOT_PERSONAL marks order numbers, versions, product codes and the like, whose
values must not be read as identifiers.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from phileak.model import DataCategory
from phileak.phi.identity import fold


class Role(StrEnum):
    PERSON_NAME = "person-name"
    GIVEN_NAME = "given-name"
    FAMILY_NAME = "family-name"
    PROVIDER_NAME = "provider-name"
    BIRTH_DATE = "birth-date"
    DATE = "date"  # a date of care or of an event in a person's life: admission, collection, study, death
    EMAIL = "email"
    PHONE = "phone"
    FAX = "fax"
    ADDRESS = "address"
    POSTCODE = "postcode"
    CITY = "city"
    SSN = "ssn"
    NIR = "fr-nir"
    MRN = "mrn"
    HEALTH_PLAN_ID = "health-plan-id"
    ACCOUNT = "account-number"
    LICENCE = "licence-number"
    DEVICE = "device-id"
    IP = "ip-address"
    URL = "url"
    NPI = "npi"
    DEA = "dea"
    CONDITION = "health-condition"
    MEDICATION = "medication"
    PROCEDURE = "procedure"
    LAB_RESULT = "lab-result"
    NOT_PERSONAL = "not-personal"
    FILE_NAME = "file-name"


ROLE_CATEGORY: Final[dict[Role, DataCategory]] = {
    Role.PERSON_NAME: DataCategory.PERSON_NAME,
    Role.GIVEN_NAME: DataCategory.PERSON_NAME,
    Role.FAMILY_NAME: DataCategory.PERSON_NAME,
    Role.PROVIDER_NAME: DataCategory.PROVIDER_NAME,
    Role.BIRTH_DATE: DataCategory.DATE_OF_BIRTH,
    Role.DATE: DataCategory.DATE,
    Role.EMAIL: DataCategory.EMAIL,
    Role.PHONE: DataCategory.PHONE,
    Role.FAX: DataCategory.FAX,
    Role.ADDRESS: DataCategory.ADDRESS,
    Role.POSTCODE: DataCategory.ADDRESS,
    Role.CITY: DataCategory.ADDRESS,
    Role.SSN: DataCategory.SSN,
    Role.NIR: DataCategory.FR_NIR,
    Role.MRN: DataCategory.MRN,
    Role.HEALTH_PLAN_ID: DataCategory.HEALTH_PLAN_ID,
    Role.ACCOUNT: DataCategory.ACCOUNT_NUMBER,
    Role.LICENCE: DataCategory.LICENCE_NUMBER,
    Role.DEVICE: DataCategory.DEVICE_ID,
    Role.IP: DataCategory.IP_ADDRESS,
    Role.URL: DataCategory.URL,
    Role.NPI: DataCategory.NPI,
    Role.DEA: DataCategory.DEA,
    Role.CONDITION: DataCategory.HEALTH_CONDITION,
    Role.MEDICATION: DataCategory.MEDICATION,
    Role.PROCEDURE: DataCategory.PROCEDURE,
    Role.LAB_RESULT: DataCategory.LAB_RESULT,
}

# A pattern hit of the key category, announced by a cue or label of this role, is really of the value category.
RECLASSIFY: Final[dict[tuple[Role, DataCategory], DataCategory]] = {
    (Role.BIRTH_DATE, DataCategory.DATE): DataCategory.DATE_OF_BIRTH,
    (Role.FAX, DataCategory.PHONE): DataCategory.FAX,
    (Role.PROVIDER_NAME, DataCategory.PERSON_NAME): DataCategory.PROVIDER_NAME,
    (Role.SSN, DataCategory.HEALTH_PLAN_ID): DataCategory.HEALTH_PLAN_ID,
}

_NAME_ROLES: Final = frozenset({Role.PERSON_NAME, Role.GIVEN_NAME, Role.FAMILY_NAME})


def role_supports(role: Role, category: DataCategory) -> bool:
    """Whether a label or cue of `role` is context for a value of `category`."""
    if ROLE_CATEGORY.get(role) == category or (role, category) in RECLASSIFY:
        return True
    return category == DataCategory.PERSON_NAME and role in _NAME_ROLES


# --- structure labels ------------------------------------------------------------------------------------------

_R = Role


def _phrases(role: Role, phrases: str) -> dict[str, Role]:
    return dict.fromkeys(phrases.split("|"), role)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# DICOM JSON (DICOMweb) keys elements by tag: "00100010.Value.Alphabetic" is PatientName.
_DICOM_JSON_TAGS: Final = {
    "00100010": _R.PERSON_NAME, "00101001": _R.PERSON_NAME, "00100020": _R.MRN, "00101000": _R.MRN,
    "00100030": _R.BIRTH_DATE, "00101040": _R.ADDRESS, "00102154": _R.PHONE, "00080090": _R.PROVIDER_NAME,
    "00081050": _R.PROVIDER_NAME, "00081060": _R.PROVIDER_NAME, "00080020": _R.DATE, "00080021": _R.DATE,
    "00080022": _R.DATE, "00081030": _R.PROCEDURE, "0008103e": _R.PROCEDURE, "00181000": _R.DEVICE,
    "00080080": _R.NOT_PERSONAL, "00080081": _R.NOT_PERSONAL,
}  # fmt: skip


def _dicom_json_phrases() -> dict[str, Role]:
    return {
        f"{tag} {tail}": role
        for tag, role in _DICOM_JSON_TAGS.items()
        for tail in ("value", "value alphabetic", "alphabetic")
    } | dict(_DICOM_JSON_TAGS)


# phrase (folded word tokens) -> role. Phrases in _LAST_ONLY count only when they end the label.
_LABEL_PHRASES: Final[dict[str, Role]] = {
    **_dicom_json_phrases(),
    **_phrases(
        _R.PERSON_NAME,
        "name|patient|patient name|full name|fullname|patient full name|nom complet|nom du patient|nom patient|"
        "patient nom|nom prenom|nom et prenom|identite|insured name|subscriber name|guarantor|guarantor name|"
        "emergency contact|emergency contact name|contact name|birth name|other patient names|"
        "patient birth name|responsible person|assure|nom de l assure|beneficiaire|nom usuel|patient alias|"
        "legal name|displayname|display name|person name|customer name|client name|nom du beneficiaire|"
        "user name full|mother name|father name|next of kin|kin name|patientname",
    ),
    **_phrases(
        _R.GIVEN_NAME,
        "first name|firstname|fname|given name|given|givenname|forename|prenom|prenoms|ud fn|user data fn|"
        "userdata fn|first|middle name|patient first name|first nm",
    ),
    **_phrases(
        _R.FAMILY_NAME,
        "last name|lastname|lname|surname|family name|family|familyname|nom de famille|nom|nom de naissance|"
        "nom d usage|nom usage|ud ln|user data ln|userdata ln|patient last name|last nm|maiden name",
    ),
    **_phrases(
        _R.PROVIDER_NAME,
        "physician|physician name|doctor|doctor name|provider|provider name|attending|attending physician|"
        "ordering physician|ordering provider|referring physician|referring physician name|referring provider|"
        "performing physician name|physicians of record|physicians reading study|"
        "name of physicians reading study|operators name|prescriber|prescribing physician|medecin|"
        "medecin traitant|medecin prescripteur|docteur|praticien|prescripteur|radiologist|surgeon|clinician|"
        "requesting physician|reading physician|pcp|primary care physician|nurse|therapist|practitioner|"
        "dentist|medecin referent",
    ),
    **_phrases(
        _R.BIRTH_DATE,
        "dob|d o b|date of birth|birth date|birthdate|birthday|bday|birth|born|date de naissance|"
        "date naissance|naissance|ne le|nee le|ne e le|ddn|ud db|user data db|userdata db|patient birth date|"
        "birth dt|dt naiss|date naiss|dateofbirth|birth date time",
    ),
    **_phrases(
        _R.DATE,
        "admission date|date of admission|admitted|admit date|discharge date|date of discharge|discharged|"
        "date of service|service date|dos|visit date|date of visit|appointment|appointment date|"
        "appointment time|collected|collection date|date collected|received|date received|reported|"
        "date reported|specimen date|test date|exam date|examination date|study date|series date|"
        "acquisition date|content date|date of death|deceased|death date|surgery date|procedure date|"
        "date d entree|date d admission|date de sortie|date de prelevement|preleve le|date d examen|"
        "date de consultation|date du rendez vous|rendez vous|date de deces|hospitalise le|admis le|vu le|"
        "date de l examen|date de l acte|date of injury|encounter date|date of exam|"
        "performed procedure step start date|scheduled procedure step start date|date rdv|date du rdv",
    ),
    **_phrases(
        _R.EMAIL,
        "email|e mail|mail|courriel|adresse email|adresse e mail|adresse mail|ud em|user data em|userdata em|"
        "email address|user email|emailaddress|patient email|mel",
    ),
    **_phrases(
        _R.PHONE,
        "phone|telephone|tel|mobile|cell|cellphone|cell phone|portable|home phone|work phone|phone number|"
        "numero de telephone|ud ph|user data ph|userdata ph|contact number|gsm|phonenumber|mobile phone|"
        "telephone number|telephone numbers|patient telephone numbers|tel portable|tel domicile|"
        "telephone portable|patient phone|tel mobile|numero de portable",
    ),
    **_phrases(
        _R.FAX,
        "fax|fax number|telecopie|n de fax|numero de fax|fax no",
    ),
    **_phrases(
        _R.ADDRESS,
        "address|street|street address|address line|address line 1|address line 2|address1|address 1|address 2|"
        "addr|adresse|adresse postale|domicile|residence|home address|mailing address|patient address|voie|rue|"
        "line|address line1|street line|adresse du patient|lieu de residence|ud ad",
    ),
    **_phrases(
        _R.POSTCODE,
        "zip|zip code|zipcode|postal code|postcode|postal|code postal|cp|ud zp|user data zp|userdata zp|"
        "postalcode|zip4",
    ),
    **_phrases(
        _R.CITY,
        "city|town|ville|commune|locality|address level2|ud ct|user data ct|userdata ct|city name|municipality|"
        "lieu de naissance|place of birth|birth place|birthplace",
    ),
    **_phrases(
        _R.SSN,
        "ssn|social security|social security number|social security no|soc sec|soc sec no|ss number|ssnumber|social",
    ),
    **_phrases(
        _R.NIR,
        "nir|numero de securite sociale|securite sociale|n securite sociale|numero secu|secu|insee|"
        "numero insee|nss|n ss|carte vitale|n de securite sociale|no securite sociale|num secu|numero de secu",
    ),
    **_phrases(
        _R.MRN,
        "mrn|medical record|medical record number|medical record no|med rec|med rec no|record number|"
        "chart number|chart|chart no|patient id|patient identifier|patient number|patient no|patientid|pid|"
        "hospital number|hosp no|ipp|n ipp|numero ipp|n de dossier|numero de dossier|dossier|n dossier|"
        "no dossier|n patient|numero patient|identifiant patient|other patient ids|patient ids|ud external id|"
        "external id|user data external id|unit number|mr number|mr no|emr number|ehr id|"
        "numero de dossier patient|id patient|nip|patient mrn",
    ),
    **_phrases(
        _R.HEALTH_PLAN_ID,
        "member id|member number|member|subscriber id|subscriber number|policy number|policy|policy no|"
        "insurance id|insurance number|insurance|health plan|health plan id|plan id|beneficiary id|mbi|"
        "medicare|medicare number|medicare id|medicaid|medicaid id|hicn|n adherent|numero d adherent|mutuelle|"
        "n d assure|numero d assure|numero amc|insurance member id|memberid|insured id|beneficiary number|"
        "policy id|health insurance",
    ),
    **_phrases(
        _R.ACCOUNT,
        "account|account number|account no|acct|acct no|billing account|iban|numero de compte|n de compte|"
        "compte|bank account|card number|credit card|account id|patient account|patient account number|"
        "guarantor account|numero de carte|cc number",
    ),
    **_phrases(
        _R.LICENCE,
        "license|licence|license number|licence number|driver license|drivers license|driver s license|"
        "driving licence|dl|permis|permis de conduire|numero de permis|certificate number|license plate|"
        "plate number|immatriculation|vin|licence no|license no|passport|passport number|numero de passeport|"
        "id card|carte d identite|medical license",
    ),
    **_phrases(
        _R.DEVICE,
        "serial|serial number|serial no|sn|s n|device id|device serial number|imei|udi|mac address|"
        "numero de serie|n de serie|implant serial|device identifier|deviceid|device uid|pacemaker serial|"
        "serialnumber",
    ),
    **_phrases(
        _R.IP,
        "ip|ip address|ipaddress|client ip|remote addr|remote address|adresse ip|uip|user ip|x forwarded for|"
        "source ip|client address",
    ),
    **_phrases(
        _R.URL,
        "url|website|homepage|site web|web site|personal website",
    ),
    **_phrases(
        _R.NPI,
        "npi|national provider identifier|npi number|provider npi|npi no",
    ),
    **_phrases(
        _R.DEA,
        "dea|dea number|dea no|dea registration|dea registration number",
    ),
    **_phrases(
        _R.CONDITION,
        "diagnosis|diagnoses|diagnostic|dx|condition|conditions|problem|problem list|reason for visit|"
        "chief complaint|motif|motif de consultation|pathologie|antecedents|allergies|allergy|icd|icd10|icd 10|"
        "icd 10 code|cim 10|cim10|admitting diagnosis|admitting diagnoses description|medical alerts|"
        "additional patient history|reason for study|reason for the requested procedure|symptoms|symptom|"
        "symptomes|maladie|diagnosis code|history|medical history|clinical information|"
        "renseignements cliniques|indication|pregnancy status",
    ),
    **_phrases(
        _R.MEDICATION,
        "medication|medications|medicine|drug|drugs|rx|prescription|traitement|medicament|medicaments|"
        "drug name|treatment|current medications|ordonnance",
    ),
    **_phrases(
        _R.PROCEDURE,
        "procedure|study description|series description|requested procedure description|"
        "performed procedure step description|protocol name|body part examined|exam|examen|acte|intervention|"
        "cpt|cpt code|hcpcs|procedure code|test ordered|tests ordered|examen realise|exam type|modality",
    ),
    **_phrases(
        _R.LAB_RESULT,
        "lab result|lab results|test result|test results|result value|resultat|resultats|lab value|"
        "observation value|resultat d analyse",
    ),
    **_phrases(
        _R.NOT_PERSONAL,
        "order|order id|order number|order no|invoice|invoice number|invoice no|sku|part number|part no|"
        "product|product id|product code|product name|item|item number|ref|reference|version|build|release|lot|"
        "lot number|batch|tracking|tracking number|ticket|transaction|transaction id|confirmation|"
        "confirmation number|booking reference|commande|n de commande|numero de commande|facture|"
        "reference produit|test name|company|company name|hospital|hospital name|facility|facility name|"
        "institution name|institution address|institution department name|station name|manufacturer|model|"
        "model name|brand|session id|request id|uuid|guid|hash|checksum|sha256|md5|price|amount|total|quantity|"
        "qty|page|timestamp|created at|updated at|modified|last modified|user agent|event|event id|study id|"
        "uid|study instance uid|series instance uid|sop instance uid|manufacturer model name|software versions|"
        "clinic|clinic name|practice name|organization|organisation|etablissement|laboratoire|laboratory|lab|"
        "department|service|unit|site|clinic address|clinic phone|office phone|hospital phone|main phone|"
        "laboratory phone|support email|contact email|sender|from|catalog number|catalogue number|model number|"
        "numero de lot|code produit|numero de facture|receipt number|serial port|content name|event name|"
        "page name|form name|button name|campaign name|site name|app name|screen name|item name|service name|"
        "category name|tag name|field name|list name|group name|plan name|program name|study name|"
        "document name|host name|hostname|domain name|file name full|test code|analyte|component|panel|"
        "panel name|specialty|specialite|title|label|description|type|status|category|source|medium|"
        "nom de l etablissement|raison sociale|entreprise|societe|ecole|school|library|library name|lib name|sdk|"
        "sdk name|plugin name|package name|module name|script name|integration name|partner name|vendor name|"
        "version name|implementation version name|software name|application name|application entity title|"
        "source application entity title|ae title|scheduled station name|modality name",
    ),
    **_phrases(
        _R.FILE_NAME,
        "file name|filename|file|object key|path|file path|nom de fichier",
    ),
}
_LAST_ONLY: Final = _word_set(
    "account acte admitted amount appointment batch birth born brand build cell chart clinic collected "
    "commande company compte condition confirmation cp deceased department discharged dl doctor domicile "
    "dossier drug event exam examen facture family file first from given hash history hospital indication "
    "insurance ip item lab line lot mail medicine member mobile modality model motif mutuelle name nom nurse "
    "order organization page passport path patient permis physician plate policy postal price problem product "
    "provider qty quantity received ref reference release reported residence resultat rue secu sender serial "
    "service site sn social symptom tel ticket total tracking traitement transaction treatment uid unit "
    "version vin voie"
)
_MAX_PHRASE_TOKENS: Final = max(len(phrase.split()) for phrase in _LABEL_PHRASES)
_ID_PLURAL = re.compile(r"IDs\b")
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*[ ,/][^\[\]]*\]")
_LABEL_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def label_tokens(label: str) -> tuple[str, ...]:
    """The folded word tokens of a label: camelCase, snake_case, brackets, dots and digits split
    ("ud[em]" -> ud em, "PatientBirthDate" -> patient birth date, "address-line1" -> address line 1)."""
    text = _ID_PLURAL.sub("Ids", _PARENTHESISED.sub(" ", label))
    return tuple(token.lower() for token in _LABEL_TOKEN.findall(_restore_case(text, fold(text))))


def _restore_case(original: str, folded: str) -> str:
    """`folded` with the letter case of `original` where the two align (camelCase splitting needs the case)."""
    if len(original) != len(folded):
        return folded
    return "".join(f.upper() if o.isupper() else f for o, f in zip(original, folded, strict=True))


_MAX_LABEL_CHARS: Final = 256


def label_role(label: str | None) -> Role | None:
    """The role structure gives a value labelled `label`, or None when the label says nothing phileak uses."""
    if not label:
        return None
    return _tail_role(label[-_MAX_LABEL_CHARS:])  # cached by the tail: a hostile label's size is not kept


@functools.lru_cache(maxsize=16384)
def _tail_role(label: str) -> Role | None:
    tokens = label_tokens(label)
    for end in range(len(tokens), 0, -1):
        for size in range(min(_MAX_PHRASE_TOKENS, end), 0, -1):
            phrase = " ".join(tokens[end - size : end])
            role = _LABEL_PHRASES.get(phrase)
            if role is not None and (end == len(tokens) or phrase not in _LAST_ONLY):
                return role
    return None


# --- prose cues --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cue:
    """Words announcing a value in running text. `regex` compiles with hyperscan and Python `re`, matched
    case-insensitively unless `exact` (titles: "Dr" and "DR" announce a name, "dr" in a word does not)."""

    regex: str
    role: Role
    exact: bool = False


_SPACE: Final = r"[ \t]{1,3}"
_COLON: Final = r"[ \t]{0,3}[:#=]"
_ACCENTS: Final = {"e": "éèêë", "a": "àâä", "i": "îï", "o": "ôö", "u": "ùûü", "c": "ç"}
_BASE_OF: Final = {accented: base for base, variants in _ACCENTS.items() for accented in variants}


def loose(phrase: str) -> str:
    """A case- and accent-tolerant regex for `phrase` (to be compiled case-insensitively): an accented letter
    matches itself in either case or its plain letter, spaces any run of spaces or tabs, an apostrophe any
    apostrophe or none, a hyphen a hyphen or a space. Word boundaries are added next to ASCII letters/digits."""
    parts: list[str] = []
    for char in phrase:
        base = _BASE_OF.get(char.lower())
        if base is not None:
            parts.append(f"[{base}{char.lower()}{char.upper()}]")
        elif char == " ":
            parts.append(_SPACE)
        elif char in "'\u2019":
            parts.append("['\u2019]?[ ]?")
        elif char == "-":
            parts.append("[- ]?")
        elif char == "°":
            parts.append(r"[°ºo]\.?")
        else:
            parts.append(re.escape(char))
    head = r"\b" if phrase[:1].isascii() and phrase[:1].isalnum() else ""
    tail = r"\b" if phrase[-1:].isascii() and phrase[-1:].isalnum() else ""
    return head + "".join(parts) + tail


def _cues(role: Role, phrases: str, *, colon: bool = False, exact: bool = False) -> list[Cue]:
    """One cue per "|"-separated phrase; `colon` requires a ":" "#" or "=" after it (generic words)."""
    return [Cue(loose(phrase.strip()) + (_COLON if colon else ""), role, exact) for phrase in phrases.split("|")]


CUES: Final[tuple[Cue, ...]] = (
    *_cues(
        _R.PERSON_NAME,
        "patient name|patient|patiente|patient(e)|nom du patient|nom de la patiente|"
        "name|full name|nom complet|identité|insured|assuré|assurée|subscriber|guarantor|"
        "emergency contact|nom de naissance|nom d'usage|nom prénom|nom et prénom|bénéficiaire|"
        "patient name (last, first)|patient (last, first)|name (last, first)|re|objet",
        colon=True,
    ),
    *_cues(
        _R.PERSON_NAME,
        "Mr|MR|Mr.|MR.|Mrs|MRS|Mrs.|MRS.|Ms|Ms.|Miss|MISS|Mme|MME|Mlle|MLLE|Madame|MADAME|Monsieur|MONSIEUR|M.|Mx|Mx.",
        exact=True,
    ),
    *_cues(
        _R.PERSON_NAME,
        "dear|cher|chère|bonjour|bonsoir|hello|hi|good morning|this is to certify that|"
        "nous avons reçu en consultation|we saw|we have seen|nous avons vu",
    ),
    *_cues(_R.GIVEN_NAME, "first name|given name|prénom|prénoms|forename", colon=True),
    *_cues(_R.FAMILY_NAME, "last name|surname|family name|nom de famille|nom", colon=True),
    *_cues(_R.PROVIDER_NAME, "Dr|DR|Dr.|DR.|Drs|Drs.|Pr|Pr.|PR.|Prof.|Prof", exact=True),
    *_cues(_R.PROVIDER_NAME, "doctor|docteur|professeur"),
    *_cues(
        _R.PROVIDER_NAME,
        "physician|ordering physician|referring physician|attending physician|"
        "attending|ordering provider|provider|médecin|médecin traitant|médecin prescripteur|prescripteur|"
        "prescriber|radiologist|radiologue|surgeon|chirurgien|pcp|primary care physician|signed by|"
        "signé par|reviewed by|interpreted by|dictated by|validé par|nurse|infirmière|praticien|"
        "requesting physician|reading physician|referring provider|biologiste",
        colon=True,
    ),
    *_cues(
        _R.BIRTH_DATE,
        "dob|date of birth|birth date|birthdate|born|born on|date de naissance|né le|née le|"
        "né(e) le|né|née|né(e)|ddn|naissance|birthday|d.o.b.|d.o.b|b. date|date naiss.|né(e) le :",
    ),
    *_cues(
        _R.DATE,
        "admission date|date of admission|admitted on|admitted|admit date|discharge date|"
        "date of discharge|discharged on|discharged|date of service|service date|dos|visit date|"
        "date of visit|appointment|appointment date|appointment on|collected|collection date|"
        "date collected|received|date received|reported|date reported|specimen date|test date|exam date|"
        "examination date|study date|date of study|date of exam|date of death|died on|deceased|surgery date|"
        "procedure date|date d'entrée|date d'admission|date de sortie|date de prélèvement|prélevé le|"
        "prélèvement du|date d'examen|examen du|date de consultation|consultation du|rendez-vous|"
        "date du rendez-vous|date de décès|décédé le|hospitalisé le|hospitalisée le|admis le|admise le|"
        "vu le|vue le|date de l'examen|date de l'acte|encounter date|seen on|hospitalisation du|"
        "entré le|entrée le|sorti le|sortie le|date of injury|opéré le|opérée le|date rdv|rdv le",
    ),
    *_cues(_R.EMAIL, "email|e-mail|courriel|mail|adresse e-mail|adresse email|adresse mail|email address", colon=True),
    *_cues(
        _R.PHONE,
        "phone|telephone|téléphone|tél|tél.|tel|tel.|mobile|cell|cell phone|portable|gsm|"
        "home phone|work phone|phone number|contact number|numéro de téléphone|ph",
        colon=True,
    ),
    *_cues(_R.PHONE, "call me at|call at|reach me at|joignable au|appeler le|appelez le|phone:|tel:"),
    *_cues(_R.FAX, "fax|fax number|télécopie|fax no"),
    *_cues(
        _R.ADDRESS,
        "address|adresse|street address|home address|mailing address|domicile|residence|"
        "demeurant|domicilié|domiciliée|domicilié à|résidant|lives at|residing at|adresse postale",
        colon=True,
    ),
    *_cues(
        _R.ADDRESS,
        "lives at|residing at|demeurant au|demeurant|domicilié au|domiciliée au|résidant au|"
        "adresse enregistrée|registered address|address on file|billing address|adresse de facturation|"
        "adresse du domicile|home address|adresse personnelle|shipping address|adresse de livraison",
    ),
    *_cues(_R.POSTCODE, "zip|zip code|postal code|postcode|code postal|cp", colon=True),
    *_cues(_R.CITY, "city|ville|town|commune|lieu de naissance|place of birth", colon=True),
    *_cues(
        _R.SSN, "ssn|social security|social security number|social security no|soc. sec.|soc sec|ss#|ss #|ssn#|s.s.n."
    ),
    *_cues(
        _R.NIR,
        "nir|numéro de sécurité sociale|n° de sécurité sociale|sécurité sociale|n° sécu|numéro sécu|"
        "n° ss|numéro insee|insee|carte vitale|nss|n° de sécu|immatriculation sécurité sociale",
    ),
    *_cues(
        _R.MRN,
        "mrn|mrn#|medical record|medical record number|medical record no|med rec|med. rec.|"
        "record number|record no|chart number|chart no|chart #|patient id|patient identifier|patient number|"
        "patient no|patient #|hospital number|hosp no|hospital no|ipp|n° ipp|n° de dossier|numéro de dossier|"
        "n° dossier|dossier n°|dossier|n° patient|numéro patient|identifiant patient|id patient|unit number|"
        "mr#|mr #|mr no|emr|emr number|ehr id|pid|n° de dossier patient|nip|dossier médical",
    ),
    *_cues(
        _R.HEALTH_PLAN_ID,
        "member id|member number|member #|subscriber id|subscriber number|policy number|"
        "policy no|policy #|insurance id|insurance number|insurance no|health plan id|plan id|beneficiary id|"
        "mbi|medicare|medicare number|medicare id|medicare #|medicaid|medicaid id|medicaid number|hicn|"
        "n° adhérent|numéro d'adhérent|n° d'adhérent|mutuelle|n° d'assuré|numéro d'assuré|n° amc|"
        "insured id|id number|member|group number|carte mutuelle|policy",
    ),
    *_cues(
        _R.ACCOUNT,
        "account|account number|account no|account #|acct|acct#|acct #|acct no|billing account|"
        "iban|numéro de compte|n° de compte|compte|bank account|card number|credit card|patient account|"
        "account id|guarantor account|visa|mastercard|amex",
    ),
    *_cues(
        _R.LICENCE,
        "license|licence|license number|licence number|license no|licence no|license #|"
        "driver's license|drivers license|driver license|driving licence|dl#|dl #|permis|permis de conduire|"
        "n° de permis|certificate number|certificate no|license plate|plate number|immatriculation|vin|"
        "passport|passport number|passport no|n° de passeport|carte d'identité|id card|medical license|"
        "state license|lic #|lic. no",
    ),
    *_cues(
        _R.DEVICE,
        "serial|serial number|serial no|serial #|s/n|sn|device id|device serial|imei|udi|"
        "mac address|numéro de série|n° de série|device identifier|implant serial|pacemaker serial|"
        "device serial number|serial num",
    ),
    *_cues(_R.IP, "ip|ip address|adresse ip|client ip|remote addr|source ip|ip addr", colon=True),
    *_cues(_R.NPI, "npi|npi#|npi #|npi number|national provider identifier|npi no|provider npi"),
    *_cues(_R.DEA, "dea|dea#|dea #|dea number|dea no|dea registration|dea reg"),
    *_cues(
        _R.NOT_PERSONAL,
        "order|order id|order number|order no|order #|invoice|invoice number|invoice no|"
        "sku|part number|part no|part #|product|product id|product code|item|item #|item number|ref|ref.|"
        "reference|référence|version|ver|v.|build|release|lot|lot number|lot no|batch|tracking|"
        "tracking number|ticket|transaction|transaction id|confirmation|confirmation number|confirmation #|"
        "booking reference|commande|n° de commande|numéro de commande|facture|n° de facture|test name|"
        "model|model number|model no|catalog number|catalog #|cat. no|cat #|code produit|n° de lot|"
        "receipt|receipt number|case number|case #|claim number|claim #|page|fig.|figure|table|room|"
        "chambre|bed|lit|ext.|extension|po|po#|po #|quote|devis|réf.|réf|art.|article|code|"
        "clinic phone|office phone|main phone|hospital phone|laboratory phone|main line|our phone|"
        "institution|hospital|hôpital|clinic|clinique|laboratoire|laboratory|lab phone|call us|centre hospitalier|"
        "chu|chru|cabinet|cabinet médical|centre médical|centre de santé|maison de santé|pharmacie|pharmacy|"
        "ehpad|medical center|medical centre|health center|health centre|urgent care|imaging center|"
        "appelez-nous|contactez-nous|standard|accueil|support|contact us|nous contacter|"
        "store|shop|boutique|magasin|open|ouvert|hours|horaires|flight|vol|train|isbn|issn|doi|"
        "pmid|nct|ec number|cas|uuid|guid|hash|sha|md5|session|request id|trace id|span id",
    ),
)

NAME_PARTICLES: Final = frozenset(
    {"de", "da", "di", "du", "des", "del", "della", "van", "von", "der", "den", "le", "la", "d", "bin", "ben",
     "al", "el", "y", "st", "ter", "dos", "das"}
)  # fmt: skip
# Words that are capitalised in labelled text but are not names: end a name read after a cue.
NOT_NAME_WORDS: Final = _word_set(
    "a abnormal account address admission adresse age alert alive allergies an and assessment assurance at au "
    "autre aux ave avec avenue bd bed born boulevard by center centre chambre child city clinic clinique code "
    "collected comment commentaire comments conclusion confused conjoint consultation contact country dans "
    "date de dea deceased department des diagnosis diagnostic discharge do dob dob: doctor domicile dr du "
    "echantillon electronically elle elles email emergency enfant et f father fax female femme findings first "
    "flag for gender group h had has he her heure high his histoire history home homme hopital hospital i id "
    "il ils impression in inconnu information informations insurance is je kin la lab laboratoire laboratory "
    "last le les lit low m mail male md medecin medicaments medications member mere mlle mme mother mr mrn "
    "mrn# mrs ms msc n/a na name ne nee next nir no nom non none normal not note notes nous np npi number "
    "numero of on ordered other oui pa page par parent pas patient patiente pays pere phd phone physician plan "
    "policy postal pour prelevement prenom primary range rapport rd received ref reference relation "
    "relationship report reported result resultat resultats results rn road room rue sa sample secondary see "
    "self service ses sex she signe signed soi son sortie specimen spouse ssn ssn# st stable state status "
    "statut street sur tel test tests that the their they this time to un une unit unite units unknown urgence "
    "valeur value ville visit voir vous ward was we with yes you zip"
)
