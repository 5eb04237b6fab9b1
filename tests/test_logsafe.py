"""No raw identifier reaches a log file or an exception message once logsafe is installed."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from phileak import logsafe
from phileak.logsafe import SensitiveDataFilter, SensitiveValues, safe_message, scrub_patterns

# Synthetic values only: made-up person, the SSA's famous never-valid specimen SSN, fictional 555-01xx phone.
NAME = "Hortensia Quixote"
DICOM_NAME = "QUIXOTE^HORTENSIA"
DOB = "1961-07-23"
DICOM_DOB = "19610723"
EMAIL = "h.quixote@example.org"
SSN = "078-05-1120"
MRN = "ZX-778812"
PHONE = "(555) 010-0199"
RAW_VALUES = (NAME, "Hortensia", "Quixote", "QUIXOTE", DOB, DICOM_DOB, EMAIL, SSN, MRN, "778812", "010-0199")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
ASCTIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """A real file handler on the root logger, with logsafe installed; everything restored afterwards."""
    path = tmp_path / "phileak.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logsafe.register(NAME, DICOM_NAME, MRN)
    logsafe.install()
    try:
        yield path
    finally:
        logsafe.uninstall()
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()


def _read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def _assert_clean(text: str) -> None:
    for raw in RAW_VALUES:
        assert raw.lower() not in text.lower(), f"raw value {raw!r} leaked"


def test_records_of_every_logger_and_style_are_scrubbed(log_file: Path) -> None:
    root = logging.getLogger()
    child = logging.getLogger("phileak.probes.dicom")
    grandchild = logging.getLogger("phileak.probes.web.decoders")
    root.info("patient %s born %s", NAME, DOB)
    child.warning(f"matched {DICOM_NAME} with birth date {DICOM_DOB} and mrn {MRN}")
    grandchild.error("form sent %(email)s and %(ssn)s", {"email": EMAIL, "ssn": SSN})
    child.debug("callback phone %s", PHONE)
    text = _read(log_file)
    _assert_clean(text)
    assert "patient H**** Q**** born 19**-**-**" in text
    assert "matched Q****^H**** with birth date 19****** and mrn ********" in text
    assert "form sent h***@e******.org and ***-**-****" in text
    assert "callback phone (***) ***-**99" in text
    assert "phileak.probes.dicom" in text
    assert len(ASCTIME.findall(text)) == 4


def test_exceptions_logged_with_logger_exception_are_scrubbed(log_file: Path) -> None:
    logger = logging.getLogger("phileak.probes.storage")
    try:
        raise ValueError(f"bad row for {EMAIL}: ssn {SSN}, name {NAME}")
    except ValueError:
        logger.exception("could not parse the export of %s", NAME)
    text = _read(log_file)
    _assert_clean(text)
    assert "could not parse the export of H**** Q****" in text
    assert "Traceback (most recent call last)" in text
    assert "ValueError: bad row for h***@e******.org: ssn ***-**-****, name H**** Q****" in text


def test_handlers_added_later_and_non_propagating_loggers_are_covered(log_file: Path, tmp_path: Path) -> None:
    own_path = tmp_path / "own.log"
    own = logging.FileHandler(own_path, encoding="utf-8")
    own.setFormatter(logging.Formatter(LOG_FORMAT))
    isolated = logging.getLogger("phileak.isolated")
    isolated.propagate = False
    isolated.addHandler(own)
    try:
        isolated.warning("isolated record about %s, dob %s", NAME, DOB)
        own.flush()
        text = own_path.read_text(encoding="utf-8")
    finally:
        isolated.removeHandler(own)
        isolated.propagate = True
        own.close()
    _assert_clean(text)
    assert "isolated record about H**** Q****, dob 19**-**-**" in text


def test_records_built_without_the_factory_are_scrubbed_by_the_handler_filter(log_file: Path) -> None:
    record = logging.makeLogRecord(
        {
            "name": "remote",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "relayed %s",
            "args": (EMAIL,),
        }
    )
    for handler in logging.getLogger().handlers:
        handler.handle(record)
    text = _read(log_file)
    _assert_clean(text)
    assert "relayed h***@e******.org" in text


def test_stack_info_is_scrubbed(log_file: Path) -> None:
    def lookup(patient_email: str) -> None:
        logging.getLogger("phileak").info("lookup done", stack_info=True)

    lookup(EMAIL)
    text = _read(log_file)
    assert "Stack (most recent call last)" in text
    _assert_clean(text)


def test_install_is_idempotent_and_uninstall_restores_the_factory(log_file: Path) -> None:
    root = logging.getLogger()
    logsafe.install()
    assert sum(isinstance(f, SensitiveDataFilter) for f in root.filters) == 1
    for handler in root.handlers:
        assert sum(isinstance(f, SensitiveDataFilter) for f in handler.filters) <= 1
    logsafe.uninstall()
    assert not any(isinstance(f, SensitiveDataFilter) for f in root.filters)
    assert logging.getLogRecordFactory() is logging.LogRecord
    logsafe.install()


def test_install_switches_off_pynetdicom_identifier_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from pynetdicom import _config  # type: ignore[import-not-found]
    except ImportError:  # not installed here: stand in a module with pynetdicom's defaults
        package = types.ModuleType("pynetdicom")
        _config = types.ModuleType("pynetdicom._config")
        _config.LOG_REQUEST_IDENTIFIERS = True  # type: ignore[attr-defined]
        _config.LOG_RESPONSE_IDENTIFIERS = True  # type: ignore[attr-defined]
        package._config = _config  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "pynetdicom", package)
        monkeypatch.setitem(sys.modules, "pynetdicom._config", _config)
    else:
        monkeypatch.setattr(_config, "LOG_REQUEST_IDENTIFIERS", True)
        monkeypatch.setattr(_config, "LOG_RESPONSE_IDENTIFIERS", True)
    logsafe.install()
    try:
        assert _config.LOG_REQUEST_IDENTIFIERS is False
        assert _config.LOG_RESPONSE_IDENTIFIERS is False
    finally:
        logsafe.uninstall()


@pytest.mark.parametrize(
    "text",
    [
        "scanned 1234 objects in 2.5 s",
        "record written at 2026-11-20T15:30:00+01:00",
        "2026-11-20 15:30:00,123 previous run",
        "compact 20261120T153000Z stamp",
        "connecting to 127.0.0.1:4242 (AE ANY-SCP), 3 retries, timeout 30.0 s",
        "open ports: 104 4242 11112",
        "peer 192.168.100.200 answered",
        "SOP class 1.2.840.10008.5.1.4.1.2.2.1 accepted, study 2.25.123456789012345678901234567890",
        "finding id 3f2a9c1e0b7d4a5e6f8091a2b3c4d5e6 hash h:0123456789abcdef01234567",
        "version 3.11.4, progress 45.5%, 1 024 bytes",
        "Result: Rejected Permanent, Source: Service User, Reason: Called AE title not recognised",
        "Maybe 5, 2020 was fine",
    ],
)
def test_ordinary_log_text_is_left_alone(text: str) -> None:
    assert scrub_patterns(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail h.quixote@example.org now", "mail h***@e******.org now"),
        ("url ?em=h.quixote%40example.org&x=1", "url ?em=h***@e******.org&x=1"),
        ("ssn 078-05-1120 and 078 05 1120", "ssn ***-**-**** and ***-**-****"),
        (
            "dob 1961-07-23, 07/23/1961, 23.07.1961, 19610723",
            "dob 19**-**-**, **/**/19**, **.**.19**, 19******",
        ),
        (
            "born 23 Jul 1961 or July 23, 1961 or 23 juillet 1961",
            "born ** *** 19** or **** **, 19** or ** ******* 19**",
        ),
        (
            "dob 1961-07-23 00:00:00 and 1961-07-23T00:00:00Z",
            "dob 19**-**-** 00:00:00 and 19**-**-**T00:00:00Z",
        ),
        ("call (555) 010-0199 or 555-010-0199", "call (***) ***-**99 or ***-***-**99"),
        ("tel +33 1 23 45 67 89 or 01 23 45 67 89", "tel +** * ** ** ** 89 or ** ** ** ** 89"),
        ("raw 5550100199.", "raw ********99."),
        ("nir 1 85 05 2A 006 084 36 end", "nir **************** end"),
        ("nir 185057800608436 end", "nir **************** end"),
        ("card 4111111111111111111 end", "card **************** end"),
    ],
)
def test_identifier_patterns_are_redacted(text: str, expected: str) -> None:
    assert scrub_patterns(text) == expected


def test_registered_values_are_found_case_and_order_insensitively() -> None:
    values = SensitiveValues()
    values.register(DICOM_NAME, MRN)
    assert values.scrub("HORTENSIA QUIXOTE, quixote^hortensia, mrn zx 778812") == (
        "H**** Q****, q****^h****, mrn ********"
    )


def test_short_values_are_not_registered() -> None:
    values = SensitiveValues()
    values.register("Al", "", "Bo")
    assert len(values) == 0
    assert values.scrub("Al and Bo went to Alabama") == "Al and Bo went to Alabama"


def test_registry_forgets_the_least_recently_registered() -> None:
    values = SensitiveValues(capacity=2)
    values.register("Hortensia", "Quixote")
    values.register("Hortensia")  # refreshed: now the newest
    values.register("Zanzibarov")
    assert len(values) == 2
    assert values.scrub("Hortensia Quixote Zanzibarov") == "H**** Quixote Z****"


def test_registration_is_thread_safe() -> None:
    values = SensitiveValues()
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for n in range(500):
                values.register(f"PATIENT{offset:02d}X{n:05d}")
                values.scrub(f"seen PATIENT{offset:02d}X{n:05d}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(values) == 4000
    assert values.scrub("PATIENT07X00499") == "*" * 16


def test_safe_message_is_one_scrubbed_line_of_bounded_length() -> None:
    exc = RuntimeError(f"lookup failed for {EMAIL}\nssn {SSN}\n" + "x" * 1000)
    message = safe_message(exc)
    assert message.startswith("RuntimeError: lookup failed for h***@e******.org ssn ***-**-**** xxx")
    assert "\n" not in message
    assert len(message) <= 300
    assert message.endswith("…")
    assert safe_message(KeyError()) == "KeyError"


def test_filter_renders_a_bad_format_without_raising() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "needs %d but got %s", (EMAIL,), None)
    assert SensitiveDataFilter(SensitiveValues()).filter(record)
    assert EMAIL not in record.getMessage()
    assert "needs %d but got %s" in record.getMessage()


def test_scrub_stays_fast_with_10k_registered_values() -> None:
    values = SensitiveValues()
    values.register(*(f"Patient{n:05d} Family{n:05d}" for n in range(10_000)))
    values.register(*(f"MRN-{n:07d}" for n in range(10_000)))
    line = "probe dicom matched Patient04242 Family04242 (MRN-0004242) at 127.0.0.1:4242 in 0.25 s"
    started = time.perf_counter()
    for _ in range(2_000):
        scrubbed = values.scrub(line)
    elapsed = time.perf_counter() - started
    assert scrubbed == "probe dicom matched **************** (************) at 127.0.0.1:4242 in 0.25 s"
    # About 0.3 s here; the bound only catches a pathological regression (see benchmarks/bench_logsafe.py).
    assert elapsed < 10.0
