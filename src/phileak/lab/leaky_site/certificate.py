"""The sink's self-signed certificate: one key, every tracker and lab hostname as a SAN (made with openssl)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from phileak.lab.leaky_site import DECOY_DOMAINS, TRACKER_DOMAINS

LAB_DOMAIN_NAMES = ("lab-hospital.test", "*.lab-hospital.test", "localhost")
VALID_DAYS = 30


def subject_alt_names() -> list[str]:
    names = [*LAB_DOMAIN_NAMES]
    for domain in (*TRACKER_DOMAINS, *DECOY_DOMAINS):
        names += [domain, f"*.{domain}"]
    return [*(f"DNS:{name}" for name in dict.fromkeys(names)), "IP:127.0.0.1"]


def make_certificate(cert: Path, key: Path) -> None:
    """Write a fresh self-signed certificate and its key (mode 0600); RuntimeError with openssl's reason."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    command = [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", str(VALID_DAYS),
        "-subj", "/CN=phileak lab tracker sink", "-keyout", str(key), "-out", str(cert),
        "-addext", "subjectAltName=" + ",".join(subject_alt_names()),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise RuntimeError("openssl is not installed (apt-get install openssl)") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"openssl could not make the lab certificate: {last}")
    key.chmod(0o600)
