"""The shipped vocabularies: every list loads, known terms are in, common words are out, codes validate against
the real ICD-10-CM list, the lab-result pattern reads EN and FR results and rejects prices and versions, and
every pattern compiles with Python `re` and with hyperscan."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from importlib import resources

import pytest

from phileak.model import DataCategory
from phileak.phi.spec import PatternSpec, VocabularySpec
from phileak.phi.vocab import (
    Sensitivity,
    code_sensitivity,
    condition_terms,
    default_patterns,
    default_vocabularies,
    health_search_terms,
    icd10cm_codes,
    is_analyte,
    is_first_name,
    is_icd10cm_code,
    is_last_name,
    is_medication,
    is_provider_title,
    is_sensitive,
    is_weak_name,
    lab_result_valid,
    looks_like_full_name,
    procedure_terms,
    provider_titles,
    sensitivity,
)
from phileak.phi.vocab._data import key, rows
from phileak.phi.vocab.medications import ean13_valid
from phileak.phi.vocab.procedures import cpt_valid

hyperscan = pytest.importorskip("hyperscan")


@cache
def _terms_by_spec() -> dict[str, frozenset[str]]:
    return {spec.name: frozenset(key(t) for t in spec.terms()) for spec in default_vocabularies()}


def _in_category(term: str, category: DataCategory) -> bool:
    wanted = key(term)
    return any(wanted in _terms_by_spec()[s.name] for s in default_vocabularies() if s.category is category)


def _patterns(name: str) -> list[PatternSpec]:
    return [p for p in default_patterns() if p.name == name]


def _hs_flags(spec: PatternSpec) -> int:
    caseless = hyperscan.HS_FLAG_CASELESS if spec.case_insensitive else 0
    return int(hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_SOM_LEFTMOST | caseless)


@cache
def _database(name: str) -> object:
    specs = _patterns(name)
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[s.regex.encode() for s in specs],
        ids=list(range(len(specs))),
        elements=len(specs),
        flags=[_hs_flags(s) for s in specs],
    )
    return database


def _hyperscan_hits(name: str, text: str) -> list[str]:
    """What the engine would keep from pattern family `name`: leftmost-longest per start, validated, and not
    inside a longer hit ("cholestérol 1,60 g/L" inside "LDL-cholestérol 1,60 g/L")."""
    data = text.encode("utf-8")
    ends: dict[tuple[int, int], int] = {}

    def on_match(index: int, start: int, end: int, _flags: int, _context: object) -> None:
        ends[(index, start)] = max(end, ends.get((index, start), end))

    _database(name).scan(data, match_event_handler=on_match)  # type: ignore[attr-defined]
    validate = _patterns(name)[0].validate
    spans = sorted({(start, end) for (_index, start), end in ends.items()})
    spans = [s for s in spans if validate is None or validate(data[s[0] : s[1]].decode("utf-8"))]
    kept = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    return [data[start:end].decode("utf-8") for start, end in kept]


def _python_hits(name: str, text: str) -> list[str]:
    found = []
    for spec in _patterns(name):
        flags = re.IGNORECASE if spec.case_insensitive else 0
        for match in re.finditer(spec.regex, text, flags):
            if spec.validate is None or spec.validate(match[0]):
                found.append(match[0])
    return found


# --- every spec loads and compiles -------------------------------------------------------------------------------


def test_every_vocabulary_spec_loads_terms() -> None:
    specs = default_vocabularies()
    assert len({s.name for s in specs}) == len(specs)
    for spec in specs:
        assert isinstance(spec, VocabularySpec)
        terms = list(spec.terms())
        assert terms, spec.name
        assert all(isinstance(t, str) and t.strip() == t and t for t in terms), spec.name
        assert spec.source, spec.name
    categories = {s.category for s in specs}
    expected = {DataCategory.PERSON_NAME, DataCategory.HEALTH_CONDITION, DataCategory.MEDICATION}
    assert categories >= expected | {DataCategory.PROCEDURE, DataCategory.LAB_RESULT}


def test_name_lists_need_context() -> None:
    names = [s for s in default_vocabularies() if s.category is DataCategory.PERSON_NAME]
    assert {s.name for s in names} == {
        "person-first-name", "person-last-name", "person-first-name-weak", "person-last-name-weak",
    }  # fmt: skip
    assert all(s.needs_context and s.context for s in names)
    weak = {s.name: s.confidence for s in names}
    assert weak["person-last-name-weak"] < weak["person-last-name"]


def test_every_pattern_compiles_with_python_re_and_hyperscan() -> None:
    specs = default_patterns()
    assert {s.category for s in specs} >= {
        DataCategory.HEALTH_CONDITION, DataCategory.LAB_RESULT, DataCategory.PROCEDURE, DataCategory.MEDICATION,
    }  # fmt: skip
    for spec in specs:
        re.compile(spec.regex, re.IGNORECASE if spec.case_insensitive else 0)
        assert "(?=" not in spec.regex and "(?!" not in spec.regex and "(?<" not in spec.regex
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[s.regex.encode() for s in specs],
        ids=list(range(len(specs))),
        elements=len(specs),
        flags=[_hs_flags(s) for s in specs],
    )


def test_the_same_objects_come_back_on_each_call() -> None:
    assert [id(s) for s in default_vocabularies()] == [id(s) for s in default_vocabularies()]
    assert [id(p) for p in default_patterns()] == [id(p) for p in default_patterns()]


# --- known terms found, common words not --------------------------------------------------------------------------

CONDITIONS = (
    "diabetes", "breast cancer", "HIV", "depression", "bipolar disorder", "opioid use disorder", "abortion",
    "pregnancy", "chlamydia", "asthma", "Type 2 diabetes mellitus", "diabète", "DIABETE", "cancer du sein", "VIH",
    "dépression", "IVG", "grossesse", "trouble bipolaire", "schizophrénie", "sida",
)  # fmt: skip
MEDICATIONS = (
    "paracétamol", "paracetamol", "Doliprane", "Lévothyrox", "Levothyrox", "metformin", "atorvastatin", "Tylenol",
    "lisinopril", "Truvada", "Suboxone", "Subutex", "ibuprofène", "Xanax",
)  # fmt: skip
PROCEDURES = (
    "MRI", "CT scan", "colonoscopy", "mammography", "biopsy", "IRM", "scanner", "coloscopie", "échographie",
    "HIV test", "dépistage VIH", "IVF",
)  # fmt: skip
ANALYTES = (
    "INR", "HbA1c", "hemoglobin", "glucose", "creatinine", "TSH", "LDL", "PSA", "hémoglobine", "glycémie",
    "créatinine",
)  # fmt: skip


@pytest.mark.parametrize("term", CONDITIONS)
def test_condition_terms_found(term: str) -> None:
    assert _in_category(term, DataCategory.HEALTH_CONDITION)


@pytest.mark.parametrize("term", MEDICATIONS)
def test_medications_found(term: str) -> None:
    assert _in_category(term, DataCategory.MEDICATION)
    assert is_medication(term)


@pytest.mark.parametrize("term", PROCEDURES)
def test_procedures_found(term: str) -> None:
    assert _in_category(term, DataCategory.PROCEDURE)


@pytest.mark.parametrize("term", ANALYTES)
def test_analytes_found(term: str) -> None:
    assert _in_category(term, DataCategory.LAB_RESULT)
    assert is_analyte(term)


COMMON_WORDS = (
    "the", "and", "information", "table", "water", "coffee", "alcohol", "sugar", "iron", "help", "account",
    "order", "home", "page", "search", "le", "la", "avec", "pour", "maison", "rendez-vous", "prix", "produit",
    "panier", "livraison", "commande", "version", "release", "download",
)  # fmt: skip


@pytest.mark.parametrize("word", COMMON_WORDS)
def test_common_words_are_in_no_health_list(word: str) -> None:
    for spec in default_vocabularies():
        if spec.category is not DataCategory.PERSON_NAME:
            assert key(word) not in _terms_by_spec()[spec.name], (word, spec.name)


def test_ambiguous_words_need_context() -> None:
    ambiguous = {s.name: s for s in default_vocabularies() if s.needs_context}
    for word, spec_name in (("depression", "health-condition-ambiguous"), ("AIDS", "health-condition-ambiguous"),
                            ("TOC", "health-condition-ambiguous"), ("scanner", "procedure-ambiguous")):  # fmt: skip
        assert key(word) in _terms_by_spec()[spec_name]
        assert ambiguous[spec_name].context
        assert key(word) not in _terms_by_spec()["health-condition"]


@pytest.mark.parametrize(
    ("name", "first", "last", "weak"),
    [
        ("Jennifer", True, False, False),
        ("Smith", False, True, False),
        ("Martin", True, True, False),
        ("Dupont", False, True, False),
        ("Hélène", True, False, False),
        ("HELENE", True, False, False),
        ("Rose", True, True, True),
        ("May", False, True, True),
        ("Long", False, True, True),
        ("Brown", False, True, True),
        ("Petit", False, True, True),
        ("April", True, False, True),
        ("Parkinson", False, True, True),
    ],
)
def test_name_lookups(name: str, first: bool, last: bool, weak: bool) -> None:
    assert is_first_name(name) is first
    assert is_last_name(name) is last
    assert is_weak_name(name) is weak


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Smith", True),
        ("SMITH^JANE", True),
        ("Dupont, Marie", True),
        ("Jean-Pierre Martin", True),
        ("Marie de Fontaine", True),
        ("Rose Long", False),  # both weak: a common word pair without a label
        ("jane smith", False),  # lower case: not written as a name
        ("Jane", False),
        ("Type Diabetes", False),
        ("Zorblax Quuxley", False),
    ],
)
def test_looks_like_full_name(text: str, expected: bool) -> None:
    assert looks_like_full_name(text) is expected


# --- ICD-10-CM codes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["E11.9", "C50.911", "F32.A", "U07.1", "I10", "E119", "c50.911", "Z3A.01", "B20"])
def test_real_icd10cm_codes_validate(code: str) -> None:
    assert is_icd10cm_code(code)


@pytest.mark.parametrize("code", ["E11.99", "Z99.999", "E1.19", "E11.", "A00.0.1", "XYZ", "E11-9", "", "Q99.9X"])
def test_fake_icd10cm_codes_do_not(code: str) -> None:
    assert not is_icd10cm_code(code)


def test_code_list_is_the_full_release() -> None:
    codes = icd10cm_codes()
    assert 90_000 < len(codes) < 110_000
    assert all("." not in c for c in list(codes)[:1000])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Diagnosis: E11.9 and C50.911", ["E11.9", "C50.911"]),
        ("dx=F32.A", ["F32.A"]),
        ("version A12.3 of the manual", []),  # A12 is no ICD-10-CM category
        ("Part number Z99.999 in stock", []),
    ],
)
def test_dotted_icd_pattern(text: str, found: list[str]) -> None:
    assert _hyperscan_hits("icd10cm-code", text) == found
    assert _python_hits("icd10cm-code", text) == found


def test_dotless_icd_codes_need_context() -> None:
    (bare,) = _patterns("icd10cm-code-bare")
    assert bare.needs_context and "icd-10" in bare.context
    assert _python_hits("icd10cm-code-bare", "ICD10 E119") == ["E119"]
    assert _python_hits("icd10cm-code-bare", "ICD10 E1X9") == []


# --- sensitivity --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("HIV", Sensitivity.HIV_STI),
        ("vih", Sensitivity.HIV_STI),
        ("B20", Sensitivity.HIV_STI),
        ("Truvada", Sensitivity.HIV_STI),
        ("hiv test near me", Sensitivity.HIV_STI),
        ("bipolar disorder", Sensitivity.MENTAL_HEALTH),
        ("F31.9", Sensitivity.MENTAL_HEALTH),
        ("Dépression post-partum", Sensitivity.MENTAL_HEALTH),
        ("F11.20", Sensitivity.SUBSTANCE_USE),
        ("opioid use disorder", Sensitivity.SUBSTANCE_USE),
        ("Subutex", Sensitivity.SUBSTANCE_USE),
        ("IVG", Sensitivity.SEXUAL_REPRODUCTIVE),
        ("Z33.2", Sensitivity.SEXUAL_REPRODUCTIVE),
        ("O09.A", Sensitivity.SEXUAL_REPRODUCTIVE),
        ("abortion clinic near me", Sensitivity.SEXUAL_REPRODUCTIVE),
        ("BRCA mutation", Sensitivity.GENETIC),
        ("Q90.9", Sensitivity.GENETIC),
        ("F64.0", Sensitivity.GENDER_IDENTITY),
        ("T74.21XA", Sensitivity.VIOLENCE_ABUSE),
        ("paranoid schizophrenia", Sensitivity.MENTAL_HEALTH),  # an ICD-10-CM-derived term
    ],
)
def test_sensitive_terms_and_codes(term: str, expected: Sensitivity) -> None:
    assert sensitivity(term) is expected
    assert is_sensitive(term)


@pytest.mark.parametrize("term", ["E11.9", "diabetes", "broken arm", "MRI", "metformin", "INR", "", "   "])
def test_ordinary_health_terms_are_not_special_categories(term: str) -> None:
    assert not is_sensitive(term)


def test_code_ranges_pick_the_specific_class_first() -> None:
    assert code_sensitivity("F10.20") is Sensitivity.SUBSTANCE_USE
    assert code_sensitivity("F20.9") is Sensitivity.MENTAL_HEALTH
    assert code_sensitivity("O9A.311") is Sensitivity.VIOLENCE_ABUSE
    assert code_sensitivity("O80") is Sensitivity.SEXUAL_REPRODUCTIVE
    assert code_sensitivity("J45.909") is None


# --- lab results --------------------------------------------------------------------------------------------------

LAB_RESULTS = (
    ("INR: 2.4", "INR: 2.4"),
    ("HbA1c 7.2 %", "HbA1c 7.2 %"),
    ("Glucose 126 mg/dL", "Glucose 126 mg/dL"),
    ("Hémoglobine : 13,2 g/dL", "Hémoglobine : 13,2 g/dL"),
    ("HEMOGLOBINE 13,2 G/DL", "HEMOGLOBINE 13,2 G/DL"),
    ("PSA < 0.1 ng/mL", "PSA < 0.1 ng/mL"),
    ("Glycémie à jeun : 1,05 g/L", "Glycémie à jeun : 1,05 g/L"),
    ("Créatinine 85 µmol/L", "Créatinine 85 µmol/L"),
    ("creatinine 85 umol/l", "creatinine 85 umol/l"),
    ("TSH=3.1 mUI/L", "TSH=3.1 mUI/L"),
    ("K 4.1 mmol/L", "K 4.1 mmol/L"),
    ("Iron 80 µg/dL", "Iron 80 µg/dL"),
    ("Plaquettes 250 G/L", "Plaquettes 250 G/L"),
    ("WBC 7.2 x10^9/L", "WBC 7.2 x10^9/L"),
    ("eGFR 60 mL/min/1.73m2", "eGFR 60 mL/min/1.73m2"),
    ("CD4 350 cells/µL", "CD4 350 cells/µL"),
    ("charge virale 40 copies/mL", "charge virale 40 copies/mL"),
    ("Patient's HbA1c of 6.5% last week", "HbA1c of 6.5%"),
    ("Résultats — LDL-cholestérol : 1,60 g/L (N < 1,60)", "LDL-cholestérol : 1,60 g/L"),
)
NOT_LAB_RESULTS = (
    "Glucose meter $29.99",
    "Glucose 29,99 €",
    "HbA1c test kit 19.99 EUR",
    "TSH 2.4.1 release notes",
    "INR 2,499 per month",
    "INR 500",
    "LDL 2024 guidelines",
    "iron 80",
    "Sodium 140",
    "Python 3.11",
    "Iron Man 3",
)


@pytest.mark.parametrize(("text", "expected"), LAB_RESULTS)
def test_lab_results_found(text: str, expected: str) -> None:
    assert _hyperscan_hits("lab-result", text) == [expected]
    assert max(_python_hits("lab-result", text), key=len) == expected


@pytest.mark.parametrize("text", NOT_LAB_RESULTS)
def test_prices_versions_and_bare_words_are_not_lab_results(text: str) -> None:
    assert _hyperscan_hits("lab-result", text) == []


def test_lab_result_validator_alone() -> None:
    assert lab_result_valid("INR 2.4")
    assert not lab_result_valid("not a lab result")
    assert not lab_result_valid("Glucose 5,5 USD")


# --- procedure and medication codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "valid"),
    [("99213", True), ("00100", True), ("3074F", True), ("0042T", True), ("0001U", True), ("00099", False),
     ("99999", False), ("0000F", False), ("1234", False)],
)  # fmt: skip
def test_cpt_validator(code: str, valid: bool) -> None:
    assert cpt_valid(code) is valid


def test_procedure_codes_need_context() -> None:
    for name in ("cpt-code", "hcpcs-code", "ccam-code"):
        (spec,) = _patterns(name)
        assert spec.needs_context and spec.context
    assert _python_hits("hcpcs-code", "HCPCS J0171") == ["J0171"]
    assert _python_hits("ccam-code", "acte CCAM ZBQK002") == ["ZBQK002"]
    assert _python_hits("cpt-code", "CPT 99213") == ["99213"]


def test_cip13_checksum_and_ndc_shapes() -> None:
    assert ean13_valid("4006381333931")
    assert not ean13_valid("4006381333932")
    body = "340093000001"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    good, bad = f"{body}{check}", f"{body}{(check + 1) % 10}"
    assert _python_hits("cip13-code", f"CIP {good}") == [good]
    assert _python_hits("cip13-code", f"CIP {bad}") == []
    assert _python_hits("ndc-code", "NDC 0002-3227-30") == ["0002-3227-30"]
    assert _python_hits("ndc-code", "NDC 50090-1234-5") == ["50090-1234-5"]


# --- search terms, titles, curated lists --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_health_search_terms(lang: str) -> None:
    everything = health_search_terms(lang)
    sensitive = health_search_terms(lang, sensitive_only=True)
    assert len(everything) >= 40 and 0 < len(sensitive) < len(everything)
    assert set(sensitive) <= set(everything)
    assert all(is_sensitive(term) for term in sensitive)


def test_search_terms_include_the_special_categories() -> None:
    classes = {sensitivity(t) for t in health_search_terms("en", sensitive_only=True)}
    assert {Sensitivity.HIV_STI, Sensitivity.SEXUAL_REPRODUCTIVE, Sensitivity.MENTAL_HEALTH} <= classes
    assert "dépistage vih gratuit" in health_search_terms("fr")
    with pytest.raises(ValueError, match="language"):
        health_search_terms("de")


def test_provider_titles_and_curated_lists_by_language() -> None:
    assert "Docteur" in provider_titles("fr", "prefix")
    assert "MD" in provider_titles("en", "suffix")
    assert is_provider_title("docteur") and is_provider_title("M.D.") and not is_provider_title("patient")
    assert "cancer du sein" in condition_terms("fr") and "breast cancer" not in condition_terms("fr")
    assert "coloscopie" in procedure_terms("fr") and "colonoscopy" in procedure_terms("en")


def test_curated_files_are_well_formed() -> None:
    widths = {"conditions.tsv": 4, "medications_curated.tsv": 2, "procedures.tsv": 4, "lab_analytes.tsv": 3,
              "search_terms.tsv": 3, "provider_titles.tsv": 3}  # fmt: skip
    allowed = {"-", *(s.value for s in Sensitivity)}
    for name, width in widths.items():
        for row in rows(name):
            assert len(row) >= width, (name, row)
            assert row[1] in ("en", "fr"), (name, row)
        if name in ("conditions.tsv", "procedures.tsv", "search_terms.tsv"):
            assert {row[2] for row in rows(name)} <= allowed


def test_generated_files_match_their_manifest() -> None:
    manifest = json.loads(resources.files("phileak.phi.vocab.data").joinpath("manifest.json").read_text("utf-8"))
    sizes = manifest["sizes"]
    assert len(rows("names.tsv")) == sizes["names"]
    assert len(icd10cm_codes()) == sizes["icd10cm_codes"]
    assert len(rows("icd10cm_terms.tsv.gz")) == sizes["icd10cm_terms"]
    assert len(rows("medications.txt.gz")) == sizes["medications"]
    assert set(manifest["packages"]) == {"faker", "simple-icd-10-cm", "drug-named-entity-recognition"}


# --- load time and memory -----------------------------------------------------------------------------------------

_LOAD_PROBE = """
import json, time, tracemalloc
tracemalloc.start()
started = time.perf_counter()
from phileak.phi.vocab import default_vocabularies, default_patterns, is_icd10cm_code, is_sensitive
terms = sum(len(list(s.terms())) for s in default_vocabularies())
patterns = len(default_patterns())
is_icd10cm_code("E11.9"); is_sensitive("HIV")
seconds = time.perf_counter() - started
print(json.dumps({"terms": terms, "patterns": patterns, "seconds": seconds,
                  "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}))
"""


def test_loading_everything_is_quick_and_modest() -> None:
    """Generous bounds (a loaded 2-core CI box, and tracemalloc slows Python down); benchmarks measure finer."""
    out = subprocess.run([sys.executable, "-c", _LOAD_PROBE], capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(out.stdout)
    assert report["terms"] > 40_000 and report["patterns"] >= 10
    assert report["seconds"] < 15
    assert report["peak_mb"] < 300
