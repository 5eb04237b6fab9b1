"""DICOM Part 10 bytes: segments labelled with a DICOM keyword become that element (PatientName FAMILY^GIVEN,
dates YYYYMMDD); any other text goes into ImageComments. One 8x8 image, deterministic UIDs."""

from __future__ import annotations

import hashlib
import io

from pydicom.uid import UID

from phileak.lab.corpus.model import LabelledDoc

_UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root for generated UIDs
_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
_SIDE = 8
_MAX_COMMENT = 10240  # LT


def _uid(doc: LabelledDoc, purpose: str) -> UID:
    digest = int(hashlib.sha256(f"{doc.doc_id}/{purpose}".encode()).hexdigest()[:24], 16)
    return UID(f"{_UID_ROOT}{digest}"[:64])


def render(doc: LabelledDoc) -> bytes:
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(_SECONDARY_CAPTURE)
    meta.MediaStorageSOPInstanceUID = _uid(doc, "sop")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: French names keep their accents
    ds.SOPClassUID = _SECONDARY_CAPTURE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = _uid(doc, "study")
    ds.SeriesInstanceUID = _uid(doc, "series")
    ds.Modality = "OT"
    comments: list[str] = []
    for segment in doc.segments:
        tag = tag_for_keyword(segment.label) if segment.label else None
        if tag is not None and dictionary_VR(tag) in ("PN", "DA", "LO", "SH", "CS", "LT", "ST", "UT"):
            setattr(ds, segment.label or "", segment.text)
        else:
            comments.append(f"{segment.label}: {segment.text}" if segment.label else segment.text)
    if comments:
        existing = [ds.ImageComments] if "ImageComments" in ds else []
        ds.ImageComments = "\n".join([*existing, *comments])[:_MAX_COMMENT]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = _SIDE
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((i * 4) % 256 for i in range(_SIDE * _SIDE))
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
