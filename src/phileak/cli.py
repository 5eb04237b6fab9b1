"""The `phileak` command line (shared/CONTRACT.md). Parsing, exit codes and output; the work is in session.py."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from phileak import __version__
from phileak.errors import InputError, PhileakError
from phileak.model import ScanReport, Severity, TargetOutcome
from phileak.probes import is_built
from phileak.targets import Target, parse_target

app = typer.Typer(
    name="phileak",
    help="Find patient data leaking from a health organisation's own websites, imaging servers and storage.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scan_app = typer.Typer(help="Scan targets of one kind.", no_args_is_help=True)
lab_app = typer.Typer(help="The local leaky-hospital lab (loopback only).", no_args_is_help=True)
app.add_typer(scan_app, name="scan")
app.add_typer(lab_app, name="lab")

stderr = Console(stderr=True)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = ("table", "json", "jsonl", "sarif", "html", "csv")
_SUFFIX_FORMATS = {".json": "json", ".jsonl": "jsonl", ".sarif": "sarif", ".html": "html", ".htm": "html",
                   ".csv": "csv", ".txt": "table"}

DbOpt = Annotated[str | None, typer.Option("--db", help="SQLite path or PostgreSQL URL [default: ./phileak.db]")]
FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", help="table|json|jsonl|sarif|html|csv [default: table on a terminal]")
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here instead of stdout.")]
ScopeOpt = Annotated[Path | None, typer.Option("--scope", help="File of scope rules, one per line.")]
AllowOpt = Annotated[
    list[str] | None, typer.Option("--allow", help="Scope rule: host (wildcards), URL prefix, CIDR or bucket.")
]
ResolveOpt = Annotated[list[str] | None, typer.Option("--resolve", help="HOST=IP (HOST may be '*'), like curl.")]
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="Accept self-signed TLS (labs, staging).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
FailOnOpt = Annotated[str, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe.")]
ResumeOpt = Annotated[
    str | None,
    typer.Option("--resume", help="Continue an interrupted scan: its id, or 'latest'. Nothing is doubled."),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Wall-clock limit per target, seconds.")]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", help="Targets scanned at once.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"phileak {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details to stderr.")] = False,
) -> None:
    _configure_logging(verbose)


URL_LOGGING_LIBRARIES = ("httpx", "httpcore", "botocore", "urllib3", "azure")


def _configure_logging(verbose: bool) -> None:
    from phileak import logsafe

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name in URL_LOGGING_LIBRARIES:  # their INFO lines echo whole URLs: object keys, query strings
        logging.getLogger(name).setLevel(logging.WARNING)
    logsafe.install()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    from phileak.logsafe import scrub

    typer.echo(f"phileak: error: {scrub(message)}", err=True)
    raise typer.Exit(code)


@contextmanager
def one_line_errors() -> Iterator[None]:
    try:
        yield
    except PhileakError as exc:
        fail(str(exc))


# ---------------------------------------------------------------- scan


def _scan(
    probe: str,
    texts: list[str],
    *,
    options: dict[str, Any],
    target_options: dict[str, Any] | None = None,
    db: str | None,
    fmt: str | None,
    out: Path | None,
    scope: Path | None,
    allow: list[str] | None,
    resolve: list[str] | None,
    insecure: bool,
    quiet: bool,
    fail_on: str,
    resume: str | None,
    timeout: float,
    concurrency: int,
) -> None:
    with one_line_errors():
        targets = [parse_target(probe, text, target_options) for text in texts]
        threshold = _severity(fail_on)
        fmt = _output_format(fmt, out)
        if not is_built(probe):
            fail(f"the '{probe}' probe is not built yet; nothing was scanned")
        request = _request(
            targets, f"scan {probe}", allow, scope, resolve, insecure, options, timeout, concurrency, resume
        )
        report = _run(request, db, quiet)
        _emit(report, fmt, out)
        raise typer.Exit(_exit_code(report, threshold))


def _request(
    targets: list[Target],
    command: str,
    allow: list[str] | None,
    scope: Path | None,
    resolve: list[str] | None,
    insecure: bool,
    options: dict[str, Any],
    timeout: float,
    concurrency: int,
    resume: str | None,
    profile: dict[str, Any] | None = None,
) -> Any:
    from phileak.probes.base import Limits
    from phileak.runner import RunnerConfig
    from phileak.session import ScanRequest

    if timeout <= 0 or concurrency < 1:
        raise InputError("--timeout must be > 0 and --concurrency >= 1")
    return ScanRequest(
        targets=targets,
        command=command,
        scope_rules=list(allow or []),
        scope_file=scope,
        resolve=list(resolve or []),
        insecure=insecure,
        options=options,
        profile=profile or {},
        limits=Limits(timeout_s=timeout),
        runner=RunnerConfig(concurrency=concurrency),
        resume=resume,
    )


def _run(request: Any, db: str | None, quiet: bool) -> ScanReport:
    from phileak.session import prepare, run_scan
    from phileak.store import Store

    prepared = prepare(request)
    store = Store.open(db)
    try:
        with _progress(len(request.targets), quiet) as on_progress:
            return run_scan(store, prepared, on_progress)
    except KeyboardInterrupt:
        latest = store.latest_scan()
        scan_id = latest.id if latest else "?"
        typer.echo(f"phileak: interrupted; findings so far are kept in scan {scan_id} (--resume {scan_id})", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        store.close()


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Any]:
    if quiet or not stderr.is_terminal:
        yield None
        return
    columns = (TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=stderr, transient=True) as progress:
        task = progress.add_task("", total=total)

        def advance(outcome: TargetOutcome, done: int, _total: int) -> None:
            progress.update(task, completed=done, description=f"{outcome.target} {outcome.status.value}")

        yield advance


def _output_format(fmt: str | None, out: Path | None) -> str:
    if fmt is None:
        if out is not None:
            return _SUFFIX_FORMATS.get(out.suffix.lower(), "json")
        return "table" if sys.stdout.isatty() else "json"
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    return fmt


def _emit(report: ScanReport, fmt: str, out: Path | None) -> None:
    from phileak.report.base import render, render_to_path

    if out is None:
        render(fmt, report, sys.stdout)
    else:
        render_to_path(fmt, report, out)
        typer.echo(f"phileak: wrote {fmt} report to {out}", err=True)


def _severity(text: str) -> Severity:
    try:
        return Severity(text.lower())
    except ValueError:
        raise InputError(f"unknown severity '{text}' for --fail-on (critical|high|medium|low|info)") from None


def _exit_code(report: ScanReport, threshold: Severity) -> int:
    return EXIT_FINDINGS if any(f.severity.at_least(threshold) for f in report.findings) else EXIT_OK


@scan_app.command("web")
def scan_web(
    urls: Annotated[list[str], typer.Argument(help="Start URLs.")],
    max_pages: Annotated[int, typer.Option("--max-pages", help="Pages to visit at most.")] = 50,
    flows: Annotated[Path | None, typer.Option("--flows", help="Scripted flows file.")] = None,
    submit_forms: Annotated[bool, typer.Option("--submit-forms", help="Really submit forms.")] = False,
    har: Annotated[Path | None, typer.Option("--har", help="Write the capture as HAR 1.2.")] = None,
    db: DbOpt = None, fmt: FormatOpt = None, out: OutOpt = None, scope: ScopeOpt = None, allow: AllowOpt = None,
    resolve: ResolveOpt = None, insecure: InsecureOpt = False, quiet: QuietOpt = False,
    fail_on: FailOnOpt = "high", resume: ResumeOpt = None, timeout: TimeoutOpt = 600.0,
    concurrency: ConcurrencyOpt = 2,
) -> None:
    """Drive a real browser through a site and prove which third parties receive patient data."""
    options = {"max_pages": max_pages, "flows": flows, "submit_forms": submit_forms, "har": har}
    _scan("web", urls, options=options, db=db, fmt=fmt, out=out, scope=scope, allow=allow, resolve=resolve,
          insecure=insecure, quiet=quiet, fail_on=fail_on, resume=resume, timeout=timeout, concurrency=concurrency)


@scan_app.command("har")
def scan_har(
    files: Annotated[list[str], typer.Argument(help="HAR files (mobile/app captures; mitmproxy dumps too).")],
    canary_file: Annotated[Path | None, typer.Option("--canary-file", help="Canary identity used.")] = None,
    first_party: Annotated[
        str | None, typer.Option("--first-party", help="The site's own host [default: the most-visited].")
    ] = None,
    db: DbOpt = None, fmt: FormatOpt = None, out: OutOpt = None, scope: ScopeOpt = None, allow: AllowOpt = None,
    resolve: ResolveOpt = None, insecure: InsecureOpt = False, quiet: QuietOpt = False,
    fail_on: FailOnOpt = "high", resume: ResumeOpt = None, timeout: TimeoutOpt = 300.0,
    concurrency: ConcurrencyOpt = 4,
) -> None:
    """Find patient data sent to third parties in recorded traffic."""
    options = {"canary_file": canary_file, "first_party": first_party}
    _scan("har", files, options=options, db=db, fmt=fmt, out=out, scope=scope, allow=allow,
          resolve=resolve, insecure=insecure, quiet=quiet, fail_on=fail_on, resume=resume, timeout=timeout,
          concurrency=concurrency)


@scan_app.command("dicom")
def scan_dicom(
    targets: Annotated[
        list[str] | None, typer.Argument(help="host[:port], CIDR, dicom-tls://host:port, http(s)://host:port")
    ] = None,
    from_nmap: Annotated[
        Path | None, typer.Option("--from-nmap", help="nmap XML, masscan JSON/list output, or a plain list.")
    ] = None,
    level: Annotated[str, typer.Option("--level", help="passive|standard|intrusive")] = "standard",
    http_side: Annotated[
        bool, typer.Option("--http-side", help="Also check Orthanc REST, DICOMweb and viewers on HTTP ports.")
    ] = False,
    max_hosts: Annotated[int, typer.Option("--max-hosts", help="Addresses all CIDRs may expand to.")] = 65_536,
    called_aes: Annotated[
        list[str] | None,
        typer.Option("--called-ae", metavar="AET",
                     help="A called AE title to try first (the server's own, from its conformance statement or "
                          "configuration page: an AE title is not a secret). Repeatable."),
    ] = None,
    db: DbOpt = None, fmt: FormatOpt = None, out: OutOpt = None, scope: ScopeOpt = None, allow: AllowOpt = None,
    resolve: ResolveOpt = None, insecure: InsecureOpt = False, quiet: QuietOpt = False,
    fail_on: FailOnOpt = "high", resume: ResumeOpt = None, timeout: TimeoutOpt = 300.0,
    concurrency: ConcurrencyOpt = 8,
) -> None:
    """Find imaging servers that answer strangers, and count the patients they expose."""
    if level not in ("passive", "standard", "intrusive"):
        fail(f"unknown --level '{level}' (passive|standard|intrusive)")
    if not targets and from_nmap is None:
        fail("give at least one DICOM target or --from-nmap FILE")
    with one_line_errors():
        expanded = _dicom_targets(targets or [], from_nmap, allow, scope, max_hosts, http_side)
    for title in called_aes or []:
        if not 0 < len(title.strip()) <= 16 or "\\" in title:
            fail(f"not a DICOM AE title: {title!r} (1-16 characters, no backslash)")
    options = {"level": level, "http_side": http_side, "dicom_called_aes": [t.strip() for t in called_aes or []]}
    _scan("dicom", expanded, options=options, db=db, fmt=fmt, out=out,
          scope=scope, allow=allow, resolve=resolve, insecure=insecure, quiet=quiet, fail_on=fail_on,
          resume=resume, timeout=timeout, concurrency=concurrency)


def _dicom_targets(
    texts: list[str], from_nmap: Path | None, allow: list[str] | None, scope_file: Path | None, max_hosts: int,
    http_side: bool,
) -> list[str]:
    """Input files and CIDRs become host:port targets; a CIDR expands only to addresses inside the scope."""
    from phileak.probes import is_built
    from phileak.probes.dicom.inputs import expand_all, load_targets
    from phileak.scope import Scope

    if not is_built("dicom"):
        return texts
    raw = [*texts, *(load_targets(from_nmap, include_http=http_side) if from_nmap else [])]
    scope = Scope.from_rules(allow or [])
    if scope_file is not None:
        scope = scope.merged(Scope.from_file(scope_file))
    if scope.is_empty:
        scope = Scope.from_rules(_dicom_hosts(raw))
    return expand_all(raw, scope, max_hosts=max_hosts, include_http=http_side)


def _dicom_hosts(texts: list[str]) -> list[str]:
    hosts = []
    for text in texts:
        if "/" in text and "://" not in text:
            hosts.append(text)
        else:
            target = parse_target("dicom", text)
            hosts.append(target.host or "")
    return [host for host in hosts if host]


@scan_app.command("storage")
def scan_storage(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="s3://bucket[/prefix], gs://bucket, azure://account/container, or a provider https URL"),
    ] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="S3/Azure-compatible endpoint URL.")] = None,
    names: Annotated[
        Path | None, typer.Option("--names", help="File of bucket names or storage URLs, one a line.")
    ] = None,
    candidates_from: Annotated[
        str | None,
        typer.Option("--candidates-from", metavar="ORGANISATION",
                     help="Also try bucket names made from this organisation name (your own namespace only)."),
    ] = None,
    candidates: Annotated[int, typer.Option("--candidates", help="How many generated names at most.")] = 200,
    provider: Annotated[
        str, typer.Option("--provider", help="Scheme for bare names: s3|gs|azure (azure needs --account).")
    ] = "s3",
    account: Annotated[str | None, typer.Option("--account", help="Azure storage account for bare names.")] = None,
    sample: Annotated[int | None, typer.Option("--sample", help="Objects to read per bucket.")] = None,
    no_content: Annotated[bool, typer.Option("--no-content", help="List only; read no object.")] = False,
    probe_keys: Annotated[
        list[str] | None,
        typer.Option("--probe-key", metavar="KEY",
                     help="A known object name to test an anonymous read with, for buckets that refuse listing "
                          "(Azure 'blob' access, S3 read-only policies). Repeatable."),
    ] = None,
    db: DbOpt = None, fmt: FormatOpt = None, out: OutOpt = None, scope: ScopeOpt = None, allow: AllowOpt = None,
    resolve: ResolveOpt = None, insecure: InsecureOpt = False, quiet: QuietOpt = False,
    fail_on: FailOnOpt = "high", resume: ResumeOpt = None, timeout: TimeoutOpt = 900.0,
    concurrency: ConcurrencyOpt = 4,
) -> None:
    """Find buckets and containers that strangers can list or read, and count the patients in them.
    Generated and listed names are ordinary targets: only those the scope allows are contacted."""
    from phileak.probes.storage.names import as_targets, read_name_list
    from phileak.probes.storage.names import candidates as name_candidates

    target_options: dict[str, Any] = {"endpoint": endpoint} if endpoint else {}
    with one_line_errors():
        if provider not in ("s3", "gs", "azure"):
            raise InputError(f"unknown provider '{provider}' (s3|gs|azure)")
        bare = read_name_list(names) if names else []
        if candidates_from:
            if not (allow or scope):
                raise InputError("--candidates-from needs --allow or --scope: generated names are probed only "
                                 "inside an explicit scope")
            kind = "azure" if provider == "azure" else "s3"
            bare += list(name_candidates(candidates_from, provider=kind, limit=candidates))
        urls = [*(urls or []), *dict.fromkeys(as_targets(bare, provider, account))]
        if not urls:
            raise InputError("no storage target: give URLs, --names FILE or --candidates-from ORGANISATION")
    if probe_keys:
        target_options["probe_key"] = probe_keys
    _scan("storage", urls, options={"sample": sample, "no_content": no_content}, target_options=target_options,
          db=db, fmt=fmt, out=out, scope=scope, allow=allow, resolve=resolve, insecure=insecure, quiet=quiet,
          fail_on=fail_on, resume=resume, timeout=timeout, concurrency=concurrency)


@scan_app.command("files")
def scan_files(
    paths: Annotated[list[str], typer.Argument(help="Files or folders: PDF, DOCX, CSV, TXT, JSON, DICOM …")],
    db: DbOpt = None, fmt: FormatOpt = None, out: OutOpt = None, quiet: QuietOpt = False,
    fail_on: FailOnOpt = "high", resume: ResumeOpt = None, timeout: TimeoutOpt = 600.0,
    concurrency: ConcurrencyOpt = 2,
) -> None:
    """Find patient data in local files and count the people in them."""
    for path in paths:
        if not Path(path).exists():
            fail(f"cannot read {path}: no such file or folder")
    _scan("files", paths, options={}, db=db, fmt=fmt, out=out, scope=None, allow=None, resolve=None,
          insecure=False, quiet=quiet, fail_on=fail_on, resume=resume, timeout=timeout, concurrency=concurrency)


# ---------------------------------------------------------------- audit and report


@app.command("audit")
def audit(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.toml", help="Organisation profile, scope, targets.")],
    db: DbOpt = None, fmt: FormatOpt = None, out: OutOpt = None, scope: ScopeOpt = None, allow: AllowOpt = None,
    resolve: ResolveOpt = None, insecure: InsecureOpt = False, quiet: QuietOpt = False,
    fail_on: FailOnOpt = "high", resume: ResumeOpt = None, timeout: TimeoutOpt = 900.0,
    concurrency: ConcurrencyOpt = 4,
) -> None:
    """Audit every target of an organisation with every probe that exists; store one scan."""
    from phileak.assess.summary import assess_report
    from phileak.plan import load_plan
    from phileak.rescan import load_history

    with one_line_errors():
        plan = load_plan(plan_file)
        threshold = _severity(fail_on)
        fmt = _output_format(fmt, out)
        rules = [*plan.scope.allow, *(allow or [])]
        request = _request(
            plan.targets, f"audit {plan_file}", rules, scope, [*plan.options.resolve, *(resolve or [])],
            insecure or plan.options.insecure, {"profile": plan.profile()}, timeout, concurrency, resume,
            profile=plan.profile(),
        )
        report = _run(request, db, quiet)
        with _existing_store(db) as store:
            history = load_history(store, report.scan)
        _emit(assess_report(report, history), fmt, out)
        raise typer.Exit(_exit_code(report, threshold))


@app.command("report")
def report_command(
    scan_id: Annotated[str | None, typer.Option("--scan", help="Scan id [default: the latest].")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Show new, fixed and still-present findings since this scan id "
                                 "(or 'previous': the last earlier scan of the same targets).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="html|json|jsonl|sarif|csv|table")] = "html",
    out: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the report of a stored scan, with its assessment and obligations."""
    from phileak.assess.summary import assess_report
    from phileak.rescan import load_history, report_changes, resolve_scan_id

    with one_line_errors():
        fmt = _output_format(fmt, out)
        with _existing_store(db) as store:
            scan = resolve_scan_id(store, scan_id or "latest")
            report = store.load_report(scan.id)
            changes = report_changes(store, report, since) if since else None
            report = assess_report(report, load_history(store, scan), changes)
        _emit(report, fmt, out)


@contextmanager
def _existing_store(db: str | None) -> Iterator[Any]:
    """The store, which must exist already (reading commands never create one)."""
    from phileak.store import Store

    if db is not None and "://" not in db and not Path(db).exists():
        fail(f"no store at {db}")
    if db is None and not Path("phileak.db").exists():
        fail("no store at ./phileak.db (run a scan first, or give --db)")
    store = Store.open(db)
    try:
        yield store
    finally:
        store.close()


@app.command("diff")
def diff_command(
    scan_a: Annotated[str, typer.Argument(metavar="SCAN_A", help="The older scan id.")],
    scan_b: Annotated[str, typer.Argument(metavar="SCAN_B", help="The newer scan id ('latest' works).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
    db: DbOpt = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 1 when a NEW finding is at least this severe.")
    ] = "high",
) -> None:
    """Findings new in SCAN_B, fixed since SCAN_A, and still there (by finding id)."""
    import json

    from phileak.report.rescan_text import write_comparison
    from phileak.rescan import compare_scans, resolve_scan_id

    with one_line_errors():
        threshold = _severity(fail_on)
        if fmt not in ("table", "json"):
            raise InputError(f"unknown format '{fmt}' for diff (table|json)")
        with _existing_store(db) as store:
            old, new = resolve_scan_id(store, scan_a), resolve_scan_id(store, scan_b)
            comparison = compare_scans(store, old.id, new.id)
    if fmt == "json":
        typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    else:
        write_comparison(comparison, sys.stdout)
    worse = any(f.severity.at_least(threshold) for f in comparison.new_findings)
    raise typer.Exit(EXIT_FINDINGS if worse else EXIT_OK)


@app.command("verify")
def verify_command(
    finding_id: Annotated[str, typer.Argument(metavar="FINDING_ID", help="A finding id (or a unique prefix).")],
    scan_id: Annotated[
        str | None, typer.Option("--scan", help="The scan that found it [default: the latest that did].")
    ] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="S3/Azure-compatible endpoint URL.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
    db: DbOpt = None, scope: ScopeOpt = None, allow: AllowOpt = None, resolve: ResolveOpt = None,
    insecure: InsecureOpt = False, quiet: QuietOpt = False, timeout: TimeoutOpt = 600.0,
) -> None:
    """Re-run the one target a finding came from, as a new scan, and say whether the finding is still there.
    Exit 0 when it is fixed; 1 when it is still present or could not be checked."""
    import json

    from phileak.report.rescan_text import write_verification
    from phileak.rescan import VerifySettings, verify_finding

    settings = VerifySettings(
        scan_id=scan_id, allow=list(allow or []), scope_file=scope, resolve=list(resolve or []),
        insecure=insecure, endpoint=endpoint, timeout=timeout,
    )
    with one_line_errors():
        if fmt not in ("table", "json"):
            raise InputError(f"unknown format '{fmt}' for verify (table|json)")
        with _existing_store(db) as store:
            try:
                with _progress(1, quiet) as on_progress:
                    verification = verify_finding(store, finding_id, settings, on_progress)
            except KeyboardInterrupt:
                typer.echo("phileak: interrupted; the re-check is kept as an interrupted scan", err=True)
                raise typer.Exit(EXIT_INTERRUPTED) from None
    if fmt == "json":
        typer.echo(json.dumps(verification.to_dict(), indent=2, ensure_ascii=False))
    else:
        write_verification(verification, sys.stdout)
    raise typer.Exit(EXIT_OK if verification.verdict == "fixed" else EXIT_FINDINGS)


# ---------------------------------------------------------------- lab

LabDirOpt = Annotated[Path | None, typer.Option("--state-dir", help="[default: $PHILEAK_LAB_DIR or ./.phileak-lab]")]


def _print_lab(statuses: list[Any]) -> None:
    for status in statuses:
        typer.echo(str(status))


@lab_app.command("up")
def lab_up(state_dir: LabDirOpt = None) -> None:
    """Start every lab service on loopback and write the audit plan that targets them."""
    from phileak.lab import Lab

    with one_line_errors():
        lab = Lab(state_dir)
        statuses = lab.up()
        _print_lab(statuses)
        typer.echo(f"audit plan: {lab.plan_path}")
        if not any(status.running for status in statuses):
            raise typer.Exit(EXIT_FINDINGS)


@lab_app.command("down")
def lab_down(state_dir: LabDirOpt = None) -> None:
    """Stop every lab service."""
    from phileak.lab import Lab

    with one_line_errors():
        _print_lab(Lab(state_dir).down())


@lab_app.command("status")
def lab_status(state_dir: LabDirOpt = None) -> None:
    """Show which lab services run, on which ports."""
    from phileak.lab import Lab

    with one_line_errors():
        _print_lab(Lab(state_dir).status())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
