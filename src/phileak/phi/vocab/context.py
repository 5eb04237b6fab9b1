"""Context words shared by the vocabularies: what, near an ambiguous term or a bare code, says it is health data.

The engine finds them in the same pass as the terms (VocabularySpec.context / PatternSpec.context) and accepts a
`needs_context` hit only when one is near or the segment's label says the same category."""

from __future__ import annotations

from typing import Final

HEALTH: Final = (
    "patient", "patients", "diagnosis", "diagnosed", "diagnose", "symptom", "symptoms", "treatment", "treated",
    "disease", "disorder", "condition", "therapy", "clinic", "doctor", "physician", "medical", "health", "hospital",
    "test", "tested", "screening", "history of", "medication", "prescription", "prescribed", "care", "support",
    "help", "risk", "signs", "living with", "suffering", "chronic", "acute", "severe", "mild",
    "patiente", "diagnostic", "diagnostiqué", "diagnostiquée", "symptômes", "traitement", "traitée", "maladie",
    "trouble", "médecin", "médical", "médicale", "santé", "hôpital", "clinique", "dépistage", "antécédents",
    "ordonnance", "soins", "aide", "risque", "chronique", "aiguë", "sévère", "atteint", "atteinte", "souffre",
)  # fmt: skip
ICD: Final = (
    "icd", "icd-10", "icd10", "icd-10-cm", "icd10cm", "diagnosis", "diagnoses", "diagnosis code", "dx", "diag",
    "diagnostic", "cim-10", "cim10", "cim", "code diagnostic", "problem list", "primary diagnosis",
    "diagnostic principal", "diagnostic associé",
)  # fmt: skip
PROCEDURE_CODES: Final = (
    "cpt", "cpt code", "cpt-4", "hcpcs", "procedure", "procedure code", "proc code", "procedure codes", "billing code",
    "service code", "charge code", "claim", "code acte", "acte", "actes", "ccam", "ngap", "procedure_code",
)  # fmt: skip
MEDICATION: Final = (
    "mg", "mcg", "µg", "ml", "tablet", "tablets", "capsule", "capsules", "dose", "dosage", "prescription", "rx",
    "refill", "pharmacy", "medication", "medications", "medicine", "drug", "taking", "prescribed", "daily",
    "comprimé", "comprimés", "gélule", "gélules", "posologie", "ordonnance", "pharmacie", "médicament",
    "médicaments", "traitement", "sachet", "ampoule", "injection", "ndc", "cip", "cip13",
)  # fmt: skip
LAB: Final = (
    "result", "results", "level", "levels", "lab", "labs", "laboratory", "test", "panel", "blood test", "value",
    "résultat", "résultats", "taux", "bilan", "analyse", "analyses", "laboratoire", "dosage", "valeur",
    "prise de sang", "normes", "reference range",
)  # fmt: skip
