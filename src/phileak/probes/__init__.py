"""Built-in probes, by name. A name mapped to None is a probe whose issue is not built yet."""

from __future__ import annotations

import importlib

from phileak.errors import ProbeNotBuilt
from phileak.probes.base import Probe

BUILTIN_PROBES: dict[str, str | None] = {
    "web": "phileak.probes.web.probe:WebProbe",
    "har": "phileak.probes.har.probe:HarProbe",
    "dicom": "phileak.probes.dicom.probe:DicomProbe",
    "storage": "phileak.probes.storage.probe:StorageProbe",
    "files": "phileak.probes.files.probe:FilesProbe",
}


def is_built(name: str) -> bool:
    return BUILTIN_PROBES.get(name) is not None


def load_probe(name: str) -> Probe:
    """Instantiate the probe `name` ("module:Class" in BUILTIN_PROBES); raise ProbeNotBuilt if absent."""
    spec = BUILTIN_PROBES.get(name)
    if spec is None:
        raise ProbeNotBuilt(name)
    module_name, _, class_name = spec.partition(":")
    probe_class = getattr(importlib.import_module(module_name), class_name)
    probe: Probe = probe_class()
    return probe
