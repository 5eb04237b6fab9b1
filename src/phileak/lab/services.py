"""The lab's services. Adding one is one LabService declaration appended to SERVICES."""

from __future__ import annotations

import sys

from phileak.lab.dicom_services import DICOM_SERVICES
from phileak.lab.plan import LAB_DOMAIN
from phileak.lab.service import HttpReady, LabService, PlanFragment, Runtime
from phileak.lab.storage_services import STORAGE_SERVICES
from phileak.lab.web_services import WEB_SERVICES
from phileak.lab.www.content import install_site, write_exports


def _www_setup(runtime: Runtime) -> None:
    install_site(runtime.data_dir / "site")
    write_exports(runtime.data_dir / "exports")


def _www_plan(runtime: Runtime) -> PlanFragment:
    return {
        "web": [{"url": f"http://www.{LAB_DOMAIN}:{runtime.ports['http']}/"}],
        "files": [{"path": str(runtime.data_dir / "exports")}],
    }


WWW = LabService(
    name="www",
    argv=lambda rt: [
        sys.executable,
        "-m",
        "phileak.lab.www",
        "--port",
        str(rt.ports["http"]),
        "--root",
        str(rt.data_dir / "site"),
    ],
    ports={"http": 18080},
    ready=HttpReady("http", "/index.html"),
    env={"PYTHONUNBUFFERED": "1"},
    setup=_www_setup,
    plan=_www_plan,
    stop_timeout=5.0,
)

SERVICES: list[LabService] = [WWW, *DICOM_SERVICES, *STORAGE_SERVICES, *WEB_SERVICES]
