"""Clinical content for synthetic documents, EN and FR: common conditions with their ICD-10 codes, medicines,
procedures, laboratory analytes with units and reference ranges, imaging studies. Hand-written, common terms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Condition:
    en: str
    fr: str
    icd10: str


@dataclass(frozen=True, slots=True)
class Medicine:
    en: str
    fr: str
    dose: str
    schedule_en: str
    schedule_fr: str


@dataclass(frozen=True, slots=True)
class Procedure:
    en: str
    fr: str
    cpt: str


@dataclass(frozen=True, slots=True)
class Analyte:
    en: str
    fr: str
    unit: str  # "" for ratios (INR)
    low: float
    high: float
    decimals: int


@dataclass(frozen=True, slots=True)
class Study:
    modality: str
    description_en: str
    description_fr: str
    cpt: str
    findings_en: tuple[str, ...]
    findings_fr: tuple[str, ...]


CONDITIONS = (
    Condition("type 2 diabetes", "diabète de type 2", "E11.9"),
    Condition("essential hypertension", "hypertension artérielle", "I10"),
    Condition("atrial fibrillation", "fibrillation auriculaire", "I48.91"),
    Condition("asthma", "asthme", "J45.909"),
    Condition("major depressive disorder", "épisode dépressif majeur", "F32.9"),
    Condition("HIV infection", "infection par le VIH", "B20"),
    Condition("chronic kidney disease", "insuffisance rénale chronique", "N18.9"),
    Condition("pneumonia", "pneumonie", "J18.9"),
    Condition("hypothyroidism", "hypothyroïdie", "E03.9"),
    Condition("heart failure", "insuffisance cardiaque", "I50.9"),
    Condition("breast cancer", "cancer du sein", "C50.919"),
    Condition("generalized anxiety disorder", "trouble anxieux généralisé", "F41.1"),
    Condition("COPD", "BPCO", "J44.9"),
    Condition("alcohol use disorder", "trouble de l'usage de l'alcool", "F10.20"),
    Condition("hepatitis C", "hépatite C", "B18.2"),
    Condition("rheumatoid arthritis", "polyarthrite rhumatoïde", "M06.9"),
)

MEDICINES = (
    Medicine("metformin", "metformine", "1000 mg", "twice daily", "deux fois par jour"),
    Medicine("lisinopril", "lisinopril", "10 mg", "once daily", "une fois par jour"),
    Medicine("warfarin", "warfarine", "5 mg", "once daily", "une fois par jour"),
    Medicine("apixaban", "apixaban", "5 mg", "twice daily", "deux fois par jour"),
    Medicine("sertraline", "sertraline", "50 mg", "once daily", "une fois par jour"),
    Medicine("levothyroxine", "lévothyroxine", "75 mcg", "every morning", "chaque matin"),
    Medicine("atorvastatin", "atorvastatine", "40 mg", "at bedtime", "au coucher"),
    Medicine("amoxicillin", "amoxicilline", "500 mg", "three times daily for 7 days", "trois fois par jour, 7 jours"),
    Medicine("furosemide", "furosémide", "40 mg", "once daily", "une fois par jour"),
    Medicine("albuterol", "salbutamol", "90 mcg", "as needed", "si besoin"),
    Medicine("omeprazole", "oméprazole", "20 mg", "once daily", "une fois par jour"),
    Medicine("amlodipine", "amlodipine", "5 mg", "once daily", "une fois par jour"),
    Medicine("insulin glargine", "insuline glargine", "20 IU", "at bedtime", "au coucher"),
    Medicine("tenofovir", "ténofovir", "300 mg", "once daily", "une fois par jour"),
)

PROCEDURES = (
    Procedure("colonoscopy", "coloscopie", "45378"),
    Procedure("echocardiogram", "échocardiographie", "93306"),
    Procedure("chest X-ray", "radiographie thoracique", "71046"),
    Procedure("upper endoscopy", "gastroscopie", "43239"),
    Procedure("cardiac catheterization", "coronarographie", "93458"),
    Procedure("appendectomy", "appendicectomie", "44970"),
    Procedure("knee arthroscopy", "arthroscopie du genou", "29881"),
    Procedure("mammogram", "mammographie", "77067"),
)

ANALYTES = (
    Analyte("INR", "INR", "", 0.8, 3.5, 1),
    Analyte("Prothrombin time", "Temps de Quick", "s", 10.0, 35.0, 1),
    Analyte("Hemoglobin", "Hémoglobine", "g/dL", 9.0, 17.0, 1),
    Analyte("Hematocrit", "Hématocrite", "%", 30.0, 50.0, 1),
    Analyte("Platelets", "Plaquettes", "G/L", 120.0, 420.0, 0),
    Analyte("Glucose", "Glycémie", "mg/dL", 70.0, 240.0, 0),
    Analyte("HbA1c", "HbA1c", "%", 4.8, 11.0, 1),
    Analyte("Creatinine", "Créatinine", "mg/dL", 0.5, 2.8, 2),
    Analyte("Potassium", "Potassium", "mmol/L", 3.1, 5.6, 1),
    Analyte("Sodium", "Sodium", "mmol/L", 128.0, 148.0, 0),
    Analyte("TSH", "TSH", "mIU/L", 0.2, 9.0, 2),
    Analyte("LDL cholesterol", "Cholestérol LDL", "mg/dL", 60.0, 210.0, 0),
    Analyte("CRP", "CRP", "mg/L", 0.5, 80.0, 1),
)

# Findings mark condition words [[like this]] (see builder.Text.fill).
STUDIES = (
    Study(
        "CT", "CT CHEST WITH CONTRAST", "SCANNER THORACIQUE AVEC INJECTION", "71260",
        ("a 6 mm [[pulmonary nodule]] in the right upper lobe",
         "right lower lobe consolidation consistent with [[pneumonia]]"),
        ("un [[nodule pulmonaire]] de 6 mm du lobe supérieur droit",
         "une condensation lobaire inférieure droite évocatrice d'une [[pneumonie]]"),
    ),
    Study(
        "MR", "MRI BRAIN WITHOUT CONTRAST", "IRM CÉRÉBRALE SANS INJECTION", "70551",
        ("findings compatible with [[multiple sclerosis]]", "a small chronic [[lacunar infarct]]"),
        ("un aspect compatible avec une [[sclérose en plaques]]", "un [[infarctus lacunaire]] ancien"),
    ),
    Study(
        "CR", "CHEST X-RAY 2 VIEWS", "RADIOGRAPHIE THORACIQUE DE FACE ET PROFIL", "71046",
        ("[[cardiomegaly]] with small bilateral [[pleural effusions]]", "hyperinflation in keeping with [[COPD]]"),
        ("une [[cardiomégalie]] avec un [[épanchement pleural]] bilatéral",
         "une distension en rapport avec une [[BPCO]]"),
    ),
    Study(
        "MG", "SCREENING MAMMOGRAM BILATERAL", "MAMMOGRAPHIE DE DÉPISTAGE BILATÉRALE", "77067",
        ("a 9 mm spiculated mass suspicious for [[breast cancer]]", "a stable [[fibroadenoma]] on the right"),
        ("une masse spiculée de 9 mm suspecte de [[cancer du sein]]", "un [[fibroadénome]] droit stable"),
    ),
)  # fmt: skip

SEARCH_TERMS_EN = ("chest pain when breathing", "HIV testing near me", "depression therapist", "insulin pump")
SEARCH_TERMS_FR = ("douleur thoracique", "dépistage VIH", "psychiatre urgence", "traitement diabète")
