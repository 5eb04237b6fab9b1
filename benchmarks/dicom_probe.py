"""phileak's DICOM probe beside `nmap --script dicom-ping` on the same set of local DICOM endpoints.

Run (as root; the script puts itself in a fresh network namespace with only lo):
    .venv/bin/python benchmarks/dicom_probe.py [--endpoints 24] [--rounds 3] [--concurrency 16]

The endpoints are pynetdicom SCPs, one per loopback address (127.0.0.10, .11, ...) on port 11112, so both
tools see many hosts with one DICOM port each (phileak keeps one association per host at a time, as a polite
scanner must). Six behaviours, cycled:
    open             any AE titles; C-FIND answers with synthetic patients
    called-ae        rejects called AE titles other than "PACS" (A-ASSOCIATE-RJ 1/1/7)
    calling-ae       rejects unknown calling AE titles (A-ASSOCIATE-RJ 1/1/3)
    find-refused     accepts the association and C-ECHO, refuses C-FIND (0x0124), as Orthanc's defaults do
    echo-only        offers Verification only
    tls              DICOM over TLS (self-signed)
nmap runs as `nmap -n -Pn -sT -T4 -p 11112 --script dicom-ping ADDRESSES`; phileak runs its real probe
through the real runner (in-process: the timing covers the runner, the isolation children and the network,
not interpreter start-up; the isolation forkserver is warm after the first round, as it is during a scan),
at --level passive and --level standard. Each tool runs --rounds times; the best round counts (nmap's own
start-up, about 0.1 s, stays in its time). Checks: phileak at passive verifies endpoints at least as fast as
nmap, and at standard reports strictly more per endpoint. Exit status 0 when both hold.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PORT = 11112
FIRST_HOST = 10
BEHAVIOURS = ("open", "called-ae", "calling-ae", "find-refused", "echo-only", "tls")
REQUIRED_CALLED_AE = "PACS"  # in phileak's short list of common called AE titles
KNOWN_CALLING_AE = "KNOWN-RIS"
KEY = b"benchmark-identity-key-32-bytes!"
ENDPOINTS_PER_PROCESS = 4
# What each tool must say about each behaviour for its round to count (a fast round of errors is no result).
EXPECTED_PHILEAK = {
    "open": "dicom-association-open",
    "called-ae": "dicom-association-open",
    "calling-ae": "calling AE title not recognised",
    "find-refused": "dicom-association-open",
    "echo-only": "dicom-association-open",
    "tls": "dicom-association-open",
}
EXPECTED_NMAP = {
    "open": "Any AET is accepted",
    "called-ae": "Called AET check enabled",
    "calling-ae": "Called AET check enabled",
    "find-refused": "Any AET is accepted",
    "echo-only": "Any AET is accepted",
    "tls": "",
}


@dataclass(frozen=True)
class Endpoint:
    address: str
    behaviour: str
    patients: int

    @property
    def target(self) -> str:
        return f"{self.address}:{PORT}"


def endpoints(count: int) -> list[Endpoint]:
    return [Endpoint(f"127.0.0.{FIRST_HOST + n}", BEHAVIOURS[n % len(BEHAVIOURS)], 1 + n % 5) for n in range(count)]


# ---------------------------------------------------------------------------------------------- the SCP zoo


def serve_scps(spec: list[str], tls_dir: str) -> None:
    """Child process: one pynetdicom AE per endpoint ("address,behaviour,patients"), until stdin closes."""
    import logging
    import ssl

    from pydicom.dataset import Dataset
    from pynetdicom import AE, _config, evt
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        PatientRootQueryRetrieveInformationModelFind,
        StudyRootQueryRetrieveInformationModelFind,
        Verification,
    )

    _config.LOG_REQUEST_IDENTIFIERS = _config.LOG_RESPONSE_IDENTIFIERS = False
    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)

    def find_handler(patients: int, refuse: bool):  # type: ignore[no-untyped-def]
        def handle(event):  # type: ignore[no-untyped-def]
            if refuse:
                yield 0x0124, None
                return
            level = event.identifier.QueryRetrieveLevel
            for n in range(patients):
                for study in range(1 + n % 2):
                    if level == "PATIENT" and study:
                        continue
                    ds = Dataset()
                    ds.QueryRetrieveLevel = level
                    ds.PatientID = f"BENCH{n:04d}"
                    ds.PatientName = f"BENCHSYNTH^P{n}"
                    ds.PatientBirthDate = "19000101"
                    if level == "STUDY":
                        ds.StudyInstanceUID = f"1.2.826.0.1.3680043.99.{n}.{study}"
                        ds.StudyDate = "20240115"
                        ds.ModalitiesInStudy = "CT" if study == 0 else "MR"
                    yield 0xFF00, ds

        return handle

    servers = []
    for entry in spec:
        address, behaviour, patients_text = entry.split(",")
        ae = AE(ae_title=REQUIRED_CALLED_AE if behaviour == "called-ae" else "ANY-SCP")
        ae.add_supported_context(Verification)
        handlers: list[Any] = []
        if behaviour != "echo-only":
            for model in (PatientRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelFind):
                ae.add_supported_context(model)
            handlers = [(evt.EVT_C_FIND, find_handler(int(patients_text), behaviour == "find-refused"))]
        ae.require_called_aet = behaviour == "called-ae"
        # A TCP connect that never sends a PDU (nmap -sT's port check) holds one of pynetdicom's association
        # slots until the ACSE timeout (30 s by default): rounds in a row would fill the slots and turn later
        # rounds into A-ASSOCIATE-RJ "local limit exceeded" for every tool.
        ae.acse_timeout = 2.0
        ae.maximum_associations = 64
        if behaviour == "calling-ae":
            ae.require_calling_aet = [KNOWN_CALLING_AE]
        ssl_context = None
        if behaviour == "tls":
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(f"{tls_dir}/cert.pem", f"{tls_dir}/key.pem")
        server = ae.start_server((address, PORT), block=False, evt_handlers=handlers, ssl_context=ssl_context)
        assert server is not None
        servers.append(server)
    print("ready", flush=True)
    sys.stdin.read()
    for server in servers:
        server.shutdown()


@dataclass
class Zoo:
    processes: list[subprocess.Popen[str]]
    tls_dir: str

    def stop(self) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.tls_dir, ignore_errors=True)


def start_zoo(chosen: list[Endpoint]) -> Zoo:
    tls_dir = tempfile.mkdtemp(prefix="phileak-bench-tls-")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bench-pacs",
         "-keyout", f"{tls_dir}/key.pem", "-out", f"{tls_dir}/cert.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    # Each PACS of a real estate is its own server: a few endpoints per process, so that the peers' own Python
    # (pynetdicom polls) is not one process's GIL for all of them.
    spec = [f"{e.address},{e.behaviour},{e.patients}" for e in chosen]
    groups = [spec[i : i + ENDPOINTS_PER_PROCESS] for i in range(0, len(spec), ENDPOINTS_PER_PROCESS)]
    processes = [
        subprocess.Popen([sys.executable, __file__, "--serve", tls_dir, *group], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for group in groups
    ]  # fmt: skip
    zoo = Zoo(processes, tls_dir)
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            zoo.stop()
            raise RuntimeError("the SCPs did not start")
    return zoo


# ---------------------------------------------------------------------------------------------- the tools


@dataclass
class Round:
    seconds: float
    verdicts: dict[str, list[str]] = field(default_factory=dict)  # target -> what the tool said


def run_nmap(chosen: list[Endpoint]) -> Round:
    addresses = [e.address for e in chosen]
    command = ["nmap", "-n", "-Pn", "-sT", "-T4", "-p", str(PORT), "--script", "dicom-ping", "-oX", "-", *addresses]
    started = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - started
    verdicts: dict[str, list[str]] = {}
    for host in ElementTree.fromstring(output).iter("host"):  # nmap's own output
        address = host.find("address")
        for port in host.iter("port"):
            said = [" ".join((script.get("output") or "").split()) for script in port.iter("script")]
            state = port.find("state")
            if address is not None and state is not None and state.get("state") == "open":
                verdicts[f"{address.get('addr')}:{port.get('portid')}"] = [s for s in said if s]
    return Round(seconds, verdicts)


async def run_phileak(chosen: list[Endpoint], level: str, concurrency: int) -> Round:
    from phileak.logsafe import install
    from phileak.model import Finding, TargetOutcome
    from phileak.phi.identity import IdentityHasher
    from phileak.probes import load_probe
    from phileak.probes.base import Limits, ScanContext
    from phileak.runner import Runner, RunnerConfig
    from phileak.scope import Scope
    from phileak.targets import parse_target

    install()

    class Sink:
        def __init__(self) -> None:
            self.findings: list[Finding] = []
            self.outcomes: list[TargetOutcome] = []

        def record_finding(self, scan_id: str, finding: Finding) -> bool:
            self.findings.append(finding)
            return True

        def record_outcome(self, scan_id: str, outcome: TargetOutcome) -> None:
            self.outcomes.append(outcome)

        def completed_targets(self, scan_id: str) -> set[tuple[str, str]]:
            return set()

    ctx = ScanContext(
        scan_id=f"bench-{level}",
        scope=Scope.from_rules(["127.0.0.0/8"]),
        identity=IdentityHasher(KEY),
        limits=Limits(timeout_s=60, retries=0),
        options={"level": level},
    )
    sink = Sink()
    runner = Runner(sink, ctx, {"dicom": load_probe("dicom")}, RunnerConfig(concurrency=concurrency, per_host=1))
    targets = [parse_target("dicom", e.target) for e in chosen]
    started = time.perf_counter()
    await runner.run(targets)
    seconds = time.perf_counter() - started
    verdicts: dict[str, list[str]] = {e.target: [] for e in chosen}
    for finding in sink.findings:
        verdicts.setdefault(finding.target, []).append(_describe(finding))
    for outcome in sink.outcomes:
        if outcome.reason:
            verdicts.setdefault(outcome.target, []).append(f"[{outcome.status.value}] {outcome.reason}")
    return Round(seconds, verdicts)


def _describe(finding: object) -> str:
    """The finding's kind, with its count or the first parenthesis of its title (a decoded reason...)."""
    kind, title = getattr(finding, "kind", "?"), str(getattr(finding, "title", ""))
    count = getattr(finding, "affected_individuals", None)
    if count is not None:
        return f"{kind} ({count} patients)"
    detail = title.partition("(")[2].partition(")")[0]
    return f"{kind} ({detail[:70]})" if detail else kind


# ---------------------------------------------------------------------------------------------- verdicts


def facts(said: list[str]) -> int:
    """A crude measure of how much a tool said about one endpoint: distinct statements."""
    return len(set(said))


def wrong(chosen: list[Endpoint], result: Round, expected: dict[str, str]) -> list[str]:
    """Endpoints whose verdict lacks what the tool must say about their behaviour, or carries an error."""
    bad = []
    for endpoint in chosen:
        said = " ".join(result.verdicts.get(endpoint.target, []))
        if expected[endpoint.behaviour] not in said or "[error]" in said or "[timeout]" in said:
            bad.append(f"{endpoint.target} {endpoint.behaviour}: {said or '(nothing)'}")
    return bad


def best(rounds: list[Round], chosen: list[Endpoint], expected: dict[str, str], name: str) -> Round:
    """The fastest round whose verdicts are all right; rounds with wrong verdicts are shown and left out."""
    valid = []
    for number, result in enumerate(rounds, 1):
        bad = wrong(chosen, result, expected)
        if bad:
            print(f"{name} round {number} ({result.seconds:.2f} s) left out, wrong on {len(bad)} endpoints: {bad[0]}")
        else:
            valid.append(result)
    if not valid:
        raise SystemExit(f"no {name} round gave the right verdict on every endpoint")
    return min(valid, key=lambda r: r.seconds)


def report(chosen: list[Endpoint], nmap: Round, passive: Round, standard: Round, concurrency: int) -> bool:
    n = len(chosen)
    rate = {name: n / r.seconds for name, r in (("nmap", nmap), ("passive", passive), ("standard", standard))}
    print(f"\n{n} endpoints (pynetdicom SCPs, one per loopback address, port {PORT}); best of the rounds\n")
    print(f"{'tool':<44} {'seconds':>8} {'endpoints/s':>12}")
    print(f"{'nmap -T4 --script dicom-ping':<44} {nmap.seconds:>8.2f} {rate['nmap']:>12.1f}")
    label = f"phileak --level passive (concurrency {concurrency})"
    print(f"{label:<44} {passive.seconds:>8.2f} {rate['passive']:>12.1f}")
    label = f"phileak --level standard (concurrency {concurrency})"
    print(f"{label:<44} {standard.seconds:>8.2f} {rate['standard']:>12.1f}")
    print("\nper endpoint: what nmap said | what phileak said at standard")
    more_everywhere = True
    for endpoint in chosen:
        said_nmap = nmap.verdicts.get(endpoint.target, [])
        said_phileak = standard.verdicts.get(endpoint.target, [])
        more = facts(said_phileak) > facts(said_nmap)
        more_everywhere &= more
        print(f"  {endpoint.target:<17} {endpoint.behaviour:<13} nmap: {'; '.join(said_nmap) or '(nothing)'}")
        print(f"  {'':<31} phileak: {'; '.join(said_phileak) or '(nothing)'}{'' if more else '   <-- not more'}")
    fast_enough = rate["passive"] >= rate["nmap"]
    print(f"\npassive at least as fast as nmap: {'yes' if fast_enough else 'NO'} "
          f"({rate['passive']:.1f} vs {rate['nmap']:.1f} endpoints/s)")  # fmt: skip
    print(f"standard says strictly more on every endpoint: {'yes' if more_everywhere else 'NO'}")
    return fast_enough and more_everywhere


def loopback_only() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--endpoints", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_scps(args.serve[1:], args.serve[0])
        return 0
    if not loopback_only():
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            print("needs root and unshare: the endpoints must live in a loopback-only network namespace")
            return 2
        inner = [sys.executable, __file__, *sys.argv[1:]]
        return subprocess.call(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "bench", *inner])
    if shutil.which("nmap") is None or args.endpoints < 1:
        print("needs nmap (Debian's nmap) and at least one endpoint")
        return 2
    chosen = endpoints(args.endpoints)
    zoo = start_zoo(chosen)
    try:
        nmap_rounds, passive_rounds, standard_rounds = [], [], []
        for _ in _rounds(args.rounds):
            nmap_rounds.append(run_nmap(chosen))
            passive_rounds.append(asyncio.run(run_phileak(chosen, "passive", args.concurrency)))
            standard_rounds.append(asyncio.run(run_phileak(chosen, "standard", args.concurrency)))
        ok = report(
            chosen,
            best(nmap_rounds, chosen, EXPECTED_NMAP, "nmap"),
            best(passive_rounds, chosen, EXPECTED_PHILEAK, "passive"),
            best(standard_rounds, chosen, EXPECTED_PHILEAK, "standard"),
            args.concurrency,
        )
    finally:
        zoo.stop()
    return 0 if ok else 1


def _rounds(count: int) -> Iterator[int]:
    yield from range(max(1, count))


if __name__ == "__main__":
    sys.exit(main())
