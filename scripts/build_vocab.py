"""Regenerate the compact vocabulary files shipped in src/phileak/phi/vocab/data/ from installed packages.

    apt-get install wamerican-small        # SCOWL size-35 English word list, used only to flag common words
    .venv/bin/python scripts/build_vocab.py

Reads (never at phileak's run time, and never over the network):
- Faker's person providers en_US, en_GB, fr_FR, fr_CA, fr_CH, fr_BE -> names.tsv
- simple-icd-10-cm's ICD-10-CM code list and tabular XML (CDC, public domain) -> icd10cm_codes.txt.gz,
  icd10cm_terms.tsv.gz
- drug-named-entity-recognition's dictionary (DrugBank CC0, MeSH, MedlinePlus, NHS) -> medications.txt.gz
and writes manifest.json (package versions, sizes). ICD-derived terms that conditions.tsv marks ambiguous
("anorexia", "depression") are left to that list, which makes them need context. The hand-written lists
(conditions.tsv, medications_curated.tsv, procedures.tsv, lab_analytes.tsv, search_terms.tsv,
provider_titles.tsv) are not generated. docs/vocabularies.md explains each filter below.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import json
import pickle
import re
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from phileak.phi.identity import fold
from phileak.phi.vocab._data import key, rows
from phileak.phi.vocab.sensitivity import code_sensitivity

DATA = Path(__file__).resolve().parent.parent / "src" / "phileak" / "phi" / "vocab" / "data"
EN_WORDS_FILE = Path("/usr/share/dict/american-english-small")


def _words(text: str) -> list[str]:
    return text.split()


NAME_LOCALES = {"en_US": "en", "en_GB": "en", "fr_FR": "fr", "fr_CA": "fr", "fr_CH": "fr", "fr_BE": "fr"}

# French everyday words that are also frequent surnames or first names (colour, trade, nature, kinship words);
# Faker's fr_FR lorem list (the most frequent French words) is added to these.
FR_COMMON_EXTRA = _words("""
petit blanc roux brun noir fontaine rivière marchand meunier boulanger boucher berger moulin renard chevalier
mercier bonnet roche rocher voisin cousin parent sauvage gros léger vallée buisson marin merle neveu baron breton
normand picard lombard paris grenier charpentier barbier potier couturier masse barre noël rose pascal carré laine
barbe colin martel bigot camus vaillant courtois clerc maréchal bourgeois guerre lebrun fleur aurore constance
clémence prudence capucine marine claire pierre olive jade ambre océane perle violette rose-marie
""")
# Month and weekday names read as first names ("April", "June", "Avril") but mostly are dates.
CALENDAR_WORDS = _words("""
january february march april may june july august september october november december monday tuesday wednesday
thursday friday saturday sunday janvier février mars avril mai juin juillet août septembre octobre novembre
décembre lundi mardi mercredi jeudi vendredi samedi dimanche
""")
# Names that are also places a health document names often (a patient's city, a hospital's name).
PLACE_WORDS = _words("""
paris lyon nancy lourdes florence orléans valence vienne troyes nantes nice tours washington austin dallas houston
denver phoenix lincoln madison jackson virginia georgia carolina dakota montana nevada indiana kentucky
""")
# Top surnames whose ordinary-word sense is rare in clinical and web text: never flagged weak.
NEVER_WEAK = {"smith", "miller", "martin", "lee", "walker", "wright", "turner", "cooper", "jackson", "madison"}
# Surnames best known as the name of a condition ("Parkinson's disease"): a hit is more often the condition.
EPONYMS = {
    "parkinson", "raynaud", "alzheimer", "crohn", "hodgkin", "graves", "addison", "cushing", "huntington",
    "hashimoto", "asperger", "tourette", "kaposi", "lyme", "basedow", "charcot", "paget", "down", "bell",
}  # fmt: skip

DRUG_JUNK_WORDS = {
    "pollen", "extract", "whole", "cation", "anion", "ion", "antigen", "antigens", "protein", "proteins",
    "receptor", "receptors", "inhibitor", "inhibitors", "agonist", "agonists", "antagonist", "antagonists",
    "agent", "agents", "enzyme", "factor", "kinase", "gene", "cells", "cell", "hair", "dander", "venom",
    "feather", "feathers", "epithelia", "seed", "root", "bark", "leaf", "flower", "stem", "skin", "fruit",
    "milk", "whey", "grass", "mite", "mold", "dust", "food",
}  # fmt: skip
# Substances in everyday use that a drug dictionary lists but whose mention says nothing about a patient.
NOT_MEDICATIONS = {
    "water", "oxygen", "alcohol", "ethanol", "caffeine", "sugar", "sucrose", "glucose", "fructose", "lactose",
    "salt", "nitrogen", "carbon", "helium", "gold", "silver", "copper", "zinc", "iron", "calcium", "magnesium",
    "potassium", "sodium", "honey", "milk", "coffee", "cocoa", "vinegar", "charcoal", "talc", "silica", "starch",
    "cellulose", "gelatin", "glycerin", "glycerol", "lanolin", "menthol", "camphor", "nicotine", "cannabis",
    "marijuana", "tobacco", "green tea", "olive oil", "fish oil", "coconut oil", "aloe vera", "shea butter",
    "baking soda", "sea salt", "citric acid", "acetic acid", "hyaluronic acid", "vitamin c", "vitamin e",
    "collagen", "keratin", "protein", "fiber", "urea", "ozone", "hydrogen", "argon", "neon", "xenon", "chlorine",
    "iodine", "sulfur", "phosphorus", "lithium", "cobalt", "nickel", "platinum", "titanium", "aluminum",
    "aluminium", "paraffin", "petrolatum", "wax", "beeswax", "ammonia", "bleach", "soap", "ginger", "garlic",
    "cinnamon", "turmeric", "peppermint", "lavender", "chamomile", "eucalyptus", "rosemary", "sage", "thyme",
    "alkohol", "alcool", "alcohol denat", "eau", "sucre", "sel", "café", "lait", "miel",
}  # fmt: skip

ICD_REJECT_WORDS = re.compile(
    r"\b(other|unspecified|specified|encounter|sequela|subsequent|initial|site|sites|part|parts|region|"
    r"history|contact|exposure|status|screening|examination|follow-up|observation|counseling|classifiable|"
    r"conditions|adverse effect|underdosing)\b",
    re.IGNORECASE,
)
ICD_MAX_WORDS = 5


def main() -> int:
    if not EN_WORDS_FILE.exists():
        print(f"build_vocab: {EN_WORDS_FILE} is missing: apt-get install wamerican-small", file=sys.stderr)
        return 1
    en_common = {w for w in EN_WORDS_FILE.read_text("utf-8").split() if w.islower()}
    fr_common = _faker_fr_common()
    icd_codes, icd_entries = _icd10cm()
    names = _names(en_common, fr_common)
    name_keys = {key(name) for name in names}
    ambiguous = {key(row[0]) for row in rows("conditions.tsv") if row[3] == "1"}
    icd_terms = {t: v for t, v in _icd_terms(icd_entries, en_common).items() if key(t) not in ambiguous}
    medications = _medications(en_common | fr_common, name_keys)

    _write_text(DATA / "names.tsv", _name_header(), (_name_row(n, info) for n, info in sorted(names.items())))
    _write_gzip(DATA / "icd10cm_codes.txt.gz", ["ICD-10-CM codes without dots (CDC, public domain)"], icd_codes)
    _write_gzip(
        DATA / "icd10cm_terms.tsv.gz",
        [
            "Short condition terms from ICD-10-CM descriptions and inclusion terms (CDC, public domain)",
            "Columns: term, code it came from, sensitivity ('-': none)",
        ],
        (f"{term}\t{code}\t{sens}" for term, (code, sens) in sorted(icd_terms.items())),
    )
    _write_gzip(
        DATA / "medications.txt.gz",
        ["Drug names and synonyms from drug-named-entity-recognition (DrugBank CC0, MeSH, MedlinePlus, NHS)"],
        sorted(medications),
    )
    manifest = {
        "generated_by": "scripts/build_vocab.py",
        "packages": {p: metadata.version(p) for p in ("faker", "simple-icd-10-cm", "drug-named-entity-recognition")},
        "word_lists": {"english": "Debian wamerican-small (SCOWL size 35)", "french": "Faker fr_FR lorem + curated"},
        "sizes": {
            "names": len(names),
            "first_names": sum(1 for i in names.values() if "f" in i["kinds"]),
            "last_names": sum(1 for i in names.values() if "l" in i["kinds"]),
            "weak_names": sum(1 for i in names.values() if i["weak"]),
            "icd10cm_codes": len(icd_codes),
            "icd10cm_terms": len(icd_terms),
            "medications": len(medications),
        },
    }
    (DATA / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    print(json.dumps(manifest["sizes"], indent=2))
    return 0


def _faker_fr_common() -> set[str]:
    from faker.providers.lorem.fr_FR import Provider as FrLorem

    return {w.lower() for w in FrLorem.word_list} | set(FR_COMMON_EXTRA)


# ---------------------------------------------------------------------------------------------------------- names
NameInfo = dict[str, object]


def _names(en_common: set[str], fr_common: set[str]) -> dict[str, NameInfo]:
    table: dict[str, NameInfo] = {}
    for locale, lang in NAME_LOCALES.items():
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for kind, attr in (("f", "first_names_female"), ("f", "first_names_male"), ("l", "last_names")):
            for name in getattr(provider, attr, ()):
                if not re.fullmatch(r"[^\W\d_]+(?:['\u2019 -][^\W\d_]+)*", name):
                    continue
                info = table.setdefault(name, {"kinds": set(), "langs": set(), "weak": False})
                info["kinds"].add(kind)  # type: ignore[attr-defined]
                info["langs"].add(lang)  # type: ignore[attr-defined]
    common = en_common | fr_common | {fold(w) for w in fr_common} | set(CALENDAR_WORDS) | set(PLACE_WORDS)
    common |= {fold(w) for w in CALENDAR_WORDS + PLACE_WORDS}
    for name, info in table.items():
        lowered = name.lower()
        if lowered in NEVER_WEAK:
            continue
        info["weak"] = lowered in common or fold(name) in common or lowered in EPONYMS or len(name) <= 2
    return table


def _name_header() -> list[str]:
    return [
        "Person names from Faker's census/statistics-office-derived person providers (docs/vocabularies.md)",
        "Columns: name, kinds (f: first name, l: last name), langs, weak (1: also a common word, month, place or",
        "eponym: accept only with a name label or next to another name)",
    ]


def _name_row(name: str, info: NameInfo) -> str:
    kinds = "".join(sorted(info["kinds"]))  # type: ignore[call-overload]
    langs = ",".join(sorted(info["langs"]))  # type: ignore[call-overload]
    return f"{name}\t{kinds}\t{langs}\t{int(bool(info['weak']))}"


# ------------------------------------------------------------------------------------------------------- ICD-10-CM
def _icd10cm() -> tuple[list[str], list[tuple[str, str]]]:
    import simple_icd_10_cm as cm

    codes: list[str] = []
    entries: list[tuple[str, str]] = []
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code):  # "B20" is a block and a category: keep it
            continue
        codes.append(code.replace(".", ""))  # cm.remove_dot is linear in the code index
        entries.append((code, cm.get_description(code)))
        entries.extend((code, term) for term in cm.get_inclusion_term(code))
    return list(dict.fromkeys(codes)), entries


def _icd_terms(entries: list[tuple[str, str]], en_common: set[str]) -> dict[str, tuple[str, str]]:
    terms: dict[str, tuple[str, str]] = {}
    for code, text in entries:
        if code[0] in "VWXY" or "Z55" <= code[:3] <= "Z65" or code.startswith("R40.2"):
            continue  # external causes, social circumstances, coma-scale scores: not conditions
        sens = code_sensitivity(code)
        for term in _icd_variants(text):
            if _icd_term_ok(term, en_common):
                terms.setdefault(term.lower(), (code, sens.value if sens else "-"))
    return terms


def _icd_variants(text: str) -> set[str]:
    text = re.sub(r"\s+NOS$", "", text.strip())
    without = re.sub(r"\s*[\[(][^\])]*[\])]", "", text)
    inline = re.sub(r"[\[\]()]", "", text)
    return {" ".join(v.split()) for v in (without, inline)}


def _icd_term_ok(term: str, en_common: set[str]) -> bool:
    words = term.split()
    if not 1 <= len(words) <= ICD_MAX_WORDS or len(term) < 5:
        return False
    if re.search(r"[,;:/]", term) or ICD_REJECT_WORDS.search(term) or re.search(r"\b\d{2,}\b", term):
        return False
    if len(words) == 1:
        return term.lower() not in en_common and not term.isupper()
    return True


# ----------------------------------------------------------------------------------------------------- medications
def _medications(common: set[str], name_keys: set[str]) -> set[str]:
    import drug_named_entity_recognition

    path = Path(drug_named_entity_recognition.__file__).parent / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(path, "rb") as f:
        data = pickle.load(f)  # noqa: S301 - the installed package's own data file
    canonical_data = data["drug_canonical_to_data"]
    medicines = {
        name
        for name, info in canonical_data.items()
        if any(k in info for k in ("drugbank_id", "medline_plus_id", "nhs_url"))
    }
    stopwords = set(importlib.import_module("drug_named_entity_recognition.util").stopwords)
    common = common | stopwords | {fold(w) for w in common}
    keep: set[str] = set()
    for variant, canonicals in data["drug_variant_to_canonical"].items():
        if not medicines.intersection(canonicals):
            continue
        if _medication_ok(variant, common, name_keys):
            keep.add(variant)
    return keep


def _medication_ok(variant: str, common: set[str], name_keys: set[str]) -> bool:
    if not re.fullmatch(r"[a-zà-ÿ][a-zà-ÿ0-9'\u2019 -]*[a-zà-ÿ0-9]", variant):
        return False
    words = variant.split()
    if len(words) > 3 or (len(words) == 1 and (len(variant) < 5 or any(c.isdigit() for c in variant))):
        return False
    if any(c.isdigit() for c in variant) and not any(w.isalpha() and len(w) >= 4 for w in words):
        return False
    if variant in NOT_MEDICATIONS or DRUG_JUNK_WORDS.intersection(words):
        return False
    return not (variant in common or fold(variant) in common or key(variant) in name_keys)


# ---------------------------------------------------------------------------------------------------------- output
def _write_text(path: Path, header: list[str], lines: Iterable[str]) -> None:
    path.write_text("".join(f"# {h}\n" for h in header) + "".join(f"{line}\n" for line in lines), "utf-8")


def _write_gzip(path: Path, header: list[str], lines: Iterable[str]) -> None:
    body = "".join(f"# {h}\n" for h in header) + "".join(f"{line}\n" for line in lines)
    # mtime=0 keeps the file byte-identical between runs on the same inputs.
    path.write_bytes(gzip.compress(body.encode("utf-8"), compresslevel=9, mtime=0))


if __name__ == "__main__":
    raise SystemExit(main())
