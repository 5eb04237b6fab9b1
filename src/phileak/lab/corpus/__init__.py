"""A labelled synthetic corpus for measuring the PHI engine and feeding the lab: fictional patients (faker,
fixed seeds, en_US and fr_FR) in lab reports, radiology, appointment confirmations, discharge letters, tracker
payloads, patient-list exports and documents without PHI, each with gold annotations; renderers to PDF, DOCX,
XLSX, CSV, JSON, TXT and DICOM bytes."""

from phileak.lab.corpus.generate import ALL_KINDS, LANGUAGES, generate_corpus
from phileak.lab.corpus.model import NAME_SEGMENT, Form, Gold, Kind, LabelledDoc
from phileak.lab.corpus.render import FORMATS, files, natural_format, render

__all__ = [
    "ALL_KINDS", "FORMATS", "LANGUAGES", "NAME_SEGMENT", "Form", "Gold", "Kind", "LabelledDoc", "files",
    "generate_corpus", "natural_format", "render",
]  # fmt: skip
