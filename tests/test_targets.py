import pytest

from phileak.errors import InputError
from phileak.targets import parse_target


@pytest.mark.parametrize(
    ("probe", "text", "ref", "host", "port"),
    [
        ("web", "https://www.exh.test/", "https://www.exh.test/", "www.exh.test", None),
        ("web", "http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a", "127.0.0.1", 8080),
        ("dicom", "127.0.0.1", "127.0.0.1:104", "127.0.0.1", 104),
        ("dicom", "pacs.exh.test:11112", "pacs.exh.test:11112", "pacs.exh.test", 11112),
        ("dicom", "[::1]:4242", "[::1]:4242", "::1", 4242),
        ("dicom", "::1", "[::1]:104", "::1", 104),
        ("dicom", "dicom-tls://127.0.0.1:2762", "dicom-tls://127.0.0.1:2762", "127.0.0.1", 2762),
        ("dicom", "http://127.0.0.1:8042", "http://127.0.0.1:8042", "127.0.0.1", 8042),
        ("storage", "s3://exh-reports/lab/", "s3://exh-reports/lab/", None, None),  # the folder, not lab-old/
        ("storage", "s3://exh-reports/lab", "s3://exh-reports/lab", None, None),
        ("storage", "s3://exh-reports/", "s3://exh-reports", None, None),
        ("storage", "azure://devstoreaccount1/public/", "azure://devstoreaccount1/public", None, None),
        ("storage", "azure://devstoreaccount1/public/2024/", "azure://devstoreaccount1/public/2024/", None, None),
        ("storage", "azure://devstoreaccount1/public", "azure://devstoreaccount1/public", None, None),
        ("storage", "gs://bucket", "gs://bucket", None, None),
    ],
)
def test_parse(probe: str, text: str, ref: str, host: str | None, port: int | None) -> None:
    target = parse_target(probe, text)
    assert (target.ref, target.host, target.port) == (ref, host, port)


def test_storage_endpoint_host_is_the_contacted_host() -> None:
    target = parse_target("storage", "s3://b", {"endpoint": "http://127.0.0.1:8333"})
    assert target.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("probe", "text"),
    [
        ("web", "ftp://x.test/"),
        ("web", "not a url"),
        ("dicom", "host:99999"),
        ("dicom", "gopher://host:1"),
        ("dicom", "host:abc"),
        ("storage", "ftp://bucket"),
        ("storage", "bucket-without-scheme"),
        ("mystery", "x"),
        ("web", "   "),
    ],
)
def test_bad_targets(probe: str, text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_target(probe, text)
    assert "\n" not in str(caught.value)
