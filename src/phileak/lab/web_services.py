"""The lab's web targets beyond the plain www site: the leaky hospital website and its tracker sink
(src/phileak/lab/leaky_site/), one HTTPS process on 127.0.0.1:443 answering the site's names and every tracker
hostname the pages call. The plan's `resolve = ["*=127.0.0.1"]` is what makes the browser reach it; tracker
hosts are never added to the scope (they are third parties whose requests are captured, not crawled).

If 443 cannot be had (taken, or no root), the lab picks another port and the site is served with that port
written into its own and the trackers' URLs, so the plan still works.
"""

from __future__ import annotations

import sys

from phileak.lab.leaky_site import DEFAULT_PORT, FLOWS_FILE, site_origin
from phileak.lab.leaky_site.content import install_site
from phileak.lab.service import LabService, PlanFragment, Runtime, TcpReady


def _setup(runtime: Runtime) -> None:
    install_site(runtime.data_dir, runtime.ports["https"])


def _plan(runtime: Runtime) -> PlanFragment:
    return {
        "web": [
            {
                "url": site_origin(runtime.ports["https"]) + "/",
                "flows": str(runtime.data_dir / FLOWS_FILE),
                "submit_forms": "dry",
            }
        ]
    }


LEAKY_SITE = LabService(
    name="leaky-site",
    argv=lambda rt: [
        sys.executable,
        "-m",
        "phileak.lab.leaky_site",
        "--port",
        str(rt.ports["https"]),
        "--root",
        str(rt.data_dir),
    ],
    ports={"https": DEFAULT_PORT},
    ready=TcpReady("https"),
    env={"PYTHONUNBUFFERED": "1"},
    setup=_setup,
    plan=_plan,
    stop_timeout=5.0,
)

WEB_SERVICES: list[LabService] = [LEAKY_SITE]
