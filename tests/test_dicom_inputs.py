"""DICOM target inputs: nmap XML, masscan JSON and list output, plain lists, CIDR expansion inside the scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from phileak.errors import InputError
from phileak.probes.dicom.inputs import expand, expand_all, load_targets
from phileak.scope import Scope

NMAP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sV -p- 10.0.0.5" version="7.93" xmloutputversion="1.05">
<host><status state="up"/>
<address addr="10.0.0.5" addrtype="ipv4"/><address addr="00:11:22:33:44:55" addrtype="mac"/>
<hostnames><hostname name="pacs.example-health.test" type="PTR"/></hostnames>
<ports>
<port protocol="tcp" portid="22"><state state="open"/><service name="ssh"/></port>
<port protocol="tcp" portid="80"><state state="closed"/><service name="http"/></port>
<port protocol="tcp" portid="104"><state state="open"/><service name="acr-nema"/></port>
<port protocol="tcp" portid="443"><state state="open"/><service name="http" tunnel="ssl"/></port>
<port protocol="tcp" portid="2762"><state state="open"/><service name="dicom-tls"/></port>
<port protocol="tcp" portid="4242"><state state="open"/><service name="vrml-multi-use"/></port>
<port protocol="tcp" portid="8042"><state state="open"/><service name="fs-agent"/></port>
<port protocol="tcp" portid="9999"><state state="open"/><service name="dicom"/></port>
<port protocol="udp" portid="11112"><state state="open"/></port>
</ports></host>
<host><status state="up"/><address addr="fd00::7" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="11112"><state state="open"/><service name="dicom"/></port></ports></host>
<host><status state="down"/><address addr="10.0.0.6" addrtype="ipv4"/></host>
</nmaprun>
"""
NMAP_TARGETS = [
    "10.0.0.5:104",
    "https://10.0.0.5:443",
    "dicom-tls://10.0.0.5:2762",
    "10.0.0.5:4242",
    "http://10.0.0.5:8042",
    "10.0.0.5:9999",
    "[fd00::7]:11112",
]

MASSCAN_JSON_TRAILING_COMMA = """[
{ "ip": "192.0.2.10", "timestamp": "1700000000", "ports": [ {"port": 11112, "proto": "tcp", "status": "open"} ] },
{ "ip": "192.0.2.11", "timestamp": "1700000000", "ports": [ {"port": 8080, "proto": "tcp", "status": "open"} ] },
{ "ip": "192.0.2.12", "timestamp": "1700000000", "ports": [ {"port": 2761, "proto": "tcp", "status": "open"} ] },
{ "ip": "192.0.2.13", "timestamp": "1700000000", "ports": [ {"port": 3306, "proto": "tcp", "status": "open"} ] },
]
"""
MASSCAN_NDJSON = """{"ip": "192.0.2.20", "timestamp": "1700000000",\
"ports": [{"port": 104, "proto": "tcp", "status": "open"}]}
{"ip": "192.0.2.21", "timestamp": "1700000000", "ports": [{"port": 4242, "proto": "tcp", "status": "open"}]}
{"finished": 1}
"""
MASSCAN_LIST = """#masscan
open tcp 104 198.51.100.1 1700000000
open tcp 80 198.51.100.2 1700000000
banner tcp 80 198.51.100.2 1700000001 http HTTP/1.1 200 OK
open tcp 11112 198.51.100.3 1700000000
# end
"""
PLAIN_LIST = """# imaging servers of Example Health
pacs.example-health.test          # default ports
10.1.0.7:4242
[fd00::9]:11112
dicom-tls://secure-pacs.example-health.test:2762
http://10.1.0.7:8042
10.1.0.0/30
pacs.example-health.test
"""


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("scan.xml", NMAP_XML, NMAP_TARGETS),
        (
            "masscan.json",
            MASSCAN_JSON_TRAILING_COMMA,
            ["192.0.2.10:11112", "http://192.0.2.11:8080", "dicom-tls://192.0.2.12:2761"],
        ),
        ("masscan.ndjson", MASSCAN_NDJSON, ["192.0.2.20:104", "192.0.2.21:4242"]),
        ("masscan.txt", MASSCAN_LIST, ["198.51.100.1:104", "http://198.51.100.2:80", "198.51.100.3:11112"]),
        (
            "targets.txt",
            PLAIN_LIST,
            [
                "pacs.example-health.test",
                "10.1.0.7:4242",
                "[fd00::9]:11112",
                "dicom-tls://secure-pacs.example-health.test:2762",
                "http://10.1.0.7:8042",
                "10.1.0.0/30",
            ],
        ),
        ("empty.txt", "# nothing yet\n\n", []),
    ],
)
def test_each_format_is_read_into_targets(tmp_path: Path, name: str, content: str, expected: list[str]) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert load_targets(path) == expected


def test_http_ports_can_be_left_out(tmp_path: Path) -> None:
    path = tmp_path / "scan.xml"
    path.write_text(NMAP_XML)
    assert load_targets(path, include_http=False) == [t for t in NMAP_TARGETS if not t.startswith("http")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.xml", "<nmaprun><host></nmaprun>", "not well-formed XML"),
        ("other.xml", "<?xml version='1.0'?><html><body/></html>", "not nmap output"),
        (
            "bomb.xml",
            '<?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "aaaa">]><nmaprun>&a;</nmaprun>',
            "entity declarations",
        ),
        (
            "badaddr.xml",
            '<nmaprun><host><address addr="not-an-ip" addrtype="ipv4"/></host></nmaprun>',
            "not an IP address",
        ),
        (
            "badport.xml",
            '<nmaprun><host><address addr="10.0.0.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="x">'
            '<state state="open"/></port></ports></host></nmaprun>',
            "bad port",
        ),
        ("bad.json", '[{"ip": "10.0.0.1", "ports": "104"}]', "no ports list"),
        ("badip.json", '[{"ip": "ten", "ports": []}]', "not an IP address"),
        ("broken.json", '[{"ip": "10.0.0.1", "ports": [', "not valid JSON"),
        ("bad.txt", "#masscan\nopen tcp 104 10.0.0.1 1700000000\nopen udp\n", "not a masscan list line"),
        ("list.txt", "10.0.0.1:104\npacs.test:99999\n", ":2: not a DICOM target"),
        ("scheme.txt", "ftp://pacs.test/\n", ":1: unknown DICOM target scheme"),
        ("cidr.txt", "10.0.0.0/33\n", ":1: not a CIDR"),
    ],
)
def test_a_malformed_file_is_one_line_error_naming_where(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=message) as caught:
        load_targets(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_targets(tmp_path / "missing.xml")
    binary = tmp_path / "binary.xml"
    binary.write_bytes(b"\xff\xfe<nmaprun/>")
    with pytest.raises(InputError, match="not UTF-8"):
        load_targets(binary)


SCOPE = Scope.from_rules(["10.0.0.0/30", "fd00::/126", "*.example-health.test"])
DEFAULT_PORTS = ["{h}:104", "{h}:11112", "{h}:4242", "dicom-tls://{h}:2761", "dicom-tls://{h}:2762"]


@pytest.mark.parametrize(
    ("target", "kwargs", "expected"),
    [
        ("pacs.example-health.test", {}, [p.format(h="pacs.example-health.test") for p in DEFAULT_PORTS]),
        ("pacs.example-health.test:4242", {}, ["pacs.example-health.test:4242"]),
        ("pacs.example-health.test:8042", {}, ["pacs.example-health.test:8042"]),
        ("10.0.0.1", {"ports": [104, 8042]}, ["10.0.0.1:104", "http://10.0.0.1:8042"]),
        ("fd00::1", {"ports": [11112]}, ["[fd00::1]:11112"]),
        ("http://10.0.0.1:8042", {}, ["http://10.0.0.1:8042"]),
        ("dicom-tls://10.0.0.1:2762", {}, ["dicom-tls://10.0.0.1:2762"]),
        ("10.0.0.0/29:104", {}, ["10.0.0.1:104", "10.0.0.2:104", "10.0.0.3:104"]),
        ("10.0.0.0/30", {"ports": [4242]}, ["10.0.0.1:4242", "10.0.0.2:4242"]),
        ("[fd00::/126]:11112", {}, [f"[fd00::{n}]:11112" for n in ("", 1, 2, 3)]),
        (
            "10.0.0.1",
            {"ports": [104], "include_http": True},
            [
                "10.0.0.1:104",
                "http://10.0.0.1:8042",
                "http://10.0.0.1:80",
                "http://10.0.0.1:8080",
                "https://10.0.0.1:443",
            ],
        ),
        ("10.0.0.0/28", {"ports": [104], "max_hosts": 16}, ["10.0.0.1:104", "10.0.0.2:104", "10.0.0.3:104"]),
    ],
)
def test_expand(target: str, kwargs: dict[str, object], expected: list[str]) -> None:
    assert expand(target, SCOPE, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "kwargs", "message"),
    [
        ("10.0.0.0/8", {}, "16,777,216 addresses, more than --max-hosts 65,536"),
        ("10.0.0.0/28", {"max_hosts": 8}, "more than --max-hosts 8"),
        ("fd00::/64", {}, "raise --max-hosts"),
        ("192.168.0.0/30", {}, "no address of 192.168.0.0/30 is inside the scope"),
        ("10.0.0.0/30:0", {}, "bad port"),
        ("pacs.test:70000", {}, "not a DICOM target"),
        ("gopher://pacs.test", {}, "unknown DICOM target scheme"),
        ("   ", {}, "empty DICOM target"),
    ],
)
def test_expand_refuses(target: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        expand(target, SCOPE, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)


def test_expand_all_bounds_every_cidr_together_and_drops_duplicates() -> None:
    scope = Scope.from_rules(["10.0.0.0/24"])
    targets = ["10.0.0.0/30", "10.0.0.1:104", "10.0.0.4/30"]
    assert expand_all(targets, scope, [104], max_hosts=8) == [
        "10.0.0.1:104",
        "10.0.0.2:104",
        "10.0.0.5:104",
        "10.0.0.6:104",
    ]
    with pytest.raises(InputError, match="left under --max-hosts"):
        expand_all(targets, scope, [104], max_hosts=6)
