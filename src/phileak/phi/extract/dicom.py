"""DICOM headers: every text-valued element (patient, study, physician, institution, private text tags) with
its keyword as label -- PN values as stored, `FAMILY^GIVEN`. Pixel data is never read (stop_before_pixels);
other large values are deferred and skipped, never loaded."""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pydicom
import pydicom.config
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import BaseTag

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import malformed
from phileak.phi.spec import Segment

TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "UC", "UI", "UR", "UT"})
_DEFER_BYTES = 64 * 1024
_MAX_SEQUENCE_DEPTH = 8
_VALIDATION_LOCK = threading.Lock()


@contextmanager
def _quiet_pydicom() -> Iterator[None]:
    """pydicom's reading validation logs and warns about invalid values by quoting them: none may reach a log.
    Validation is process-wide configuration, so readings are serialised while it is switched off."""
    with _VALIDATION_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        previous = pydicom.config.settings.reading_validation_mode
        pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
        try:
            yield
        finally:
            pydicom.config.settings.reading_validation_mode = previous


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    with _quiet_pydicom():
        try:
            dataset = pydicom.dcmread(
                io.BytesIO(data),
                defer_size=_DEFER_BYTES,
                stop_before_pixels=True,
                force=data[128:132] != b"DICM",  # sniff() already saw a header without the preamble
            )
        except InvalidDicomError:
            raise malformed("DICOM", "not a DICOM dataset") from None
        found = list(_elements(dataset.file_meta, ctx, "", 0)) if dataset.file_meta else []
        found.extend(_elements(dataset, ctx, "", 0))
    if not found:
        raise malformed("DICOM", "no readable header element")
    return iter(found)


def _tag_name(tag: BaseTag, keyword: str) -> str:
    return keyword or f"({tag.group:04X},{tag.element:04X})"


def _elements(dataset: Dataset, ctx: Context, path: str, depth: int) -> Iterator[Segment]:
    for tag in list(dataset.keys()):
        ctx.budget.check_time()
        raw = dataset.get_item(tag, keep_deferred=True)
        if isinstance(raw, RawDataElement) and raw.value is None and raw.length:
            continue  # deferred: larger than _DEFER_BYTES
        try:
            element = dataset[tag]
        except Exception:  # one malformed element; its neighbours are still read
            ctx.skip(f"{path}({tag.group:04X},{tag.element:04X})", "malformed DICOM element")
            continue
        name = _tag_name(element.tag, element.keyword)
        if element.VR == "SQ" and depth < _MAX_SEQUENCE_DEPTH:
            for index, item in enumerate(element.value):
                yield from _elements(item, ctx, f"{path}{name}[{index}].", depth + 1)
        elif element.VR in TEXT_VRS and element.value not in (None, ""):
            values = element.value if element.VM > 1 else [element.value]
            for value in values:
                text = str(value).strip("\x00 ")
                if text:
                    yield Segment(text=text, label=name, where=f"{path}{name}")
