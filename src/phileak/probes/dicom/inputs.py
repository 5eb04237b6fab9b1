"""Where DICOM targets come from: nmap XML (`--from-nmap`), masscan JSON / list output, plain lists, and CIDRs
expanded inside the scope.

`load_targets(path)` reads one file (its format is recognised from its content) into target strings:
`host:port` for DICOM, `dicom-tls://host:port` for the TLS ports, `http(s)://host:port` for the HTTP side.
`expand(target, scope)` turns one target string into the `host:port` targets it stands for: a bare host gets
the default ports, a CIDR every in-scope address (bounded by `max_hosts`). A malformed file or target raises
InputError with a one-line reason naming the file and line.
"""

from __future__ import annotations

import ipaddress
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from phileak.errors import InputError
from phileak.scope import Scope, parse_ip
from phileak.targets import parse_target

DICOM_PORTS = (104, 11112, 4242, 2761, 2762)
TLS_PORTS = frozenset({2761, 2762})
HTTP_PORTS = {8042: "http", 80: "http", 8080: "http", 443: "https"}
DICOM_SERVICES = frozenset({"dicom", "acr-nema", "dicom-iscl", "dicom-tls"})
HTTP_SERVICES = frozenset({"http", "http-alt", "http-proxy", "https", "https-alt", "ssl/http"})
DEFAULT_MAX_HOSTS = 65_536  # a /16; a /8 needs an explicit max_hosts
MAX_FILE_BYTES = 256 * 1024 * 1024

_MASSCAN_LIST = re.compile(r"open\s+tcp\s+(\d+)\s+(\S+)(?:\s+\d+)?\Z")
_MASSCAN_BANNER = re.compile(r"banner\s+tcp\s+\d+\s+\S+")
_SCHEMES = ("dicom://", "dicom-tls://", "http://", "https://")
_JSON_START = re.compile(r"\{|\[\s*[{\]]")  # not "[fd00::1]:104", a plain list's bracketed IPv6 target


def load_targets(path: Path, *, include_http: bool = True) -> list[str]:
    """The targets listed in `path`: nmap XML, masscan JSON (array or one object per line), masscan list
    (`-oL`), or a plain list (one target per line: host[:port], CIDR, dicom-tls:// or http(s):// URL;
    `#` starts a comment). Open HTTP ports (8042, 80, 443, 8080 or an http service) come out as
    http(s)://host:port unless `include_http` is False. Duplicates are dropped, order is kept."""
    text = _read(path)
    stripped = text.lstrip()
    try:
        if stripped.startswith("<"):
            found = _nmap_xml(path, text, include_http)
        elif _JSON_START.match(stripped):
            found = _masscan_json(path, text, include_http)
        elif _looks_like_masscan_list(text):
            found = _masscan_list(path, text, include_http)
        else:
            found = _plain_list(path, text)
    except InputError as exc:
        message = str(exc)
        raise InputError(message if str(path) in message else f"{path}: {message}") from None
    return list(dict.fromkeys(found))


def expand(
    target: str,
    scope: Scope,
    ports: Sequence[int] | None = None,
    *,
    max_hosts: int | None = None,
    include_http: bool = False,
) -> list[str]:
    """The targets `target` stands for. A URL or `host:port` is itself; a bare host gets every port of
    `ports` (default: 104, 11112, 4242, 2761 and 2762 as dicom-tls, plus 8042/80/8080/443 as http(s) when
    `include_http`); a CIDR (optionally `CIDR:port`) every address inside it that the scope allows, refused
    when it holds more than `max_hosts` addresses (default 65,536) or none inside the scope."""
    text = target.strip()
    if not text:
        raise InputError("empty DICOM target")
    if text.startswith(_SCHEMES):
        parse_target("dicom", text)
        return [text]
    network, port = _cidr(text)
    if network is not None:
        hosts = _hosts_in_scope(network, scope, DEFAULT_MAX_HOSTS if max_hosts is None else max_hosts, text)
        return [spelled for host in hosts for spelled in _with_ports(str(host), port, ports, include_http)]
    host, port = _host_and_port(text)
    return _with_ports(host, port, ports, include_http)


def expand_all(
    targets: Iterable[str],
    scope: Scope,
    ports: Sequence[int] | None = None,
    *,
    max_hosts: int | None = None,
    include_http: bool = False,
) -> list[str]:
    """expand() over many targets; `max_hosts` bounds the addresses of all CIDRs together."""
    budget = DEFAULT_MAX_HOSTS if max_hosts is None else max_hosts
    out: list[str] = []
    for target in targets:
        network, _ = _cidr(target.strip())
        if network is not None:
            if network.num_addresses > budget:
                raise InputError(
                    f"{target.strip()} holds {network.num_addresses:,} addresses, more than the "
                    f"{budget:,} left under --max-hosts; raise --max-hosts to scan it"
                )
            budget -= network.num_addresses
        out.extend(expand(target, scope, ports, max_hosts=max_hosts, include_http=include_http))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------- expansion


def _with_ports(host: str, port: int | None, ports: Sequence[int] | None, include_http: bool) -> list[str]:
    shown = f"[{host}]" if ":" in host else host
    if port is not None:  # a port the user wrote is a DICOM port, whatever its number
        return [f"{shown}:{port}"]
    chosen = list(DICOM_PORTS if ports is None else ports)
    spelled = [_spell(shown, p) for p in chosen]
    if include_http:
        spelled += [f"{HTTP_PORTS[p]}://{shown}:{p}" for p in HTTP_PORTS if p not in chosen]
    return spelled


def _spell(shown_host: str, port: int) -> str:
    """A default or listed port as a target: the TLS ports as dicom-tls://, the HTTP ports as http(s)://."""
    if not 0 < port < 65536:
        raise InputError(f"bad port {port}")
    if port in TLS_PORTS:
        return f"dicom-tls://{shown_host}:{port}"
    if port in HTTP_PORTS and port not in DICOM_PORTS:
        return f"{HTTP_PORTS[port]}://{shown_host}:{port}"
    return f"{shown_host}:{port}"


def _cidr(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, int | None]:
    """(network, port) for `CIDR` or `CIDR:port` ([v6/len]:port for IPv6); (None, None) for anything else."""
    if "/" not in text or "://" in text:
        return None, None
    network_text, port = text, None
    if text.startswith("["):
        inner, _, rest = text[1:].partition("]")
        network_text, port = inner, _port(rest.removeprefix(":"), text) if rest else None
    elif text.count(":") == 1:
        network_text, port_text = text.split(":")
        port = _port(port_text, text)
    try:
        return ipaddress.ip_network(network_text, strict=False), port
    except ValueError:
        raise InputError(f"not a CIDR: {text!r}") from None


def _hosts_in_scope(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network, scope: Scope, max_hosts: int, text: str
) -> list[str]:
    if network.num_addresses > max_hosts:
        raise InputError(
            f"{text} holds {network.num_addresses:,} addresses, more than --max-hosts {max_hosts:,}; "
            "raise --max-hosts to scan it"
        )
    addresses: Iterator[Any] = network.hosts() if network.version == 4 and network.prefixlen < 31 else iter(network)
    inside = [str(address) for address in addresses if scope.allows_host(str(address))]
    if not inside:
        raise InputError(f"no address of {text} is inside the scope")
    return inside


def _host_and_port(text: str) -> tuple[str, int | None]:
    has_port = (text.startswith("[") and "]:" in text) or (text.count(":") == 1)
    parsed = parse_target("dicom", text)
    assert parsed.host is not None
    return parsed.host, parsed.port if has_port else None


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InputError(f"bad port in {whole!r}")
    return int(text)


# ---------------------------------------------------------------------------------------------- file formats


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _open_port_target(host: str, port: int, service: str, tunnel: str, include_http: bool) -> str | None:
    """The target an open port stands for, or None when it is neither a DICOM nor (asked for) an HTTP port."""
    shown = f"[{host}]" if ":" in host else host
    service = service.lower()
    if service in DICOM_SERVICES or (port in DICOM_PORTS and service not in HTTP_SERVICES):
        tls = port in TLS_PORTS or tunnel == "ssl" or service == "dicom-tls"
        return f"dicom-tls://{shown}:{port}" if tls else f"{shown}:{port}"
    if include_http and (port in HTTP_PORTS or service in HTTP_SERVICES):
        secure = port == 443 or tunnel == "ssl" or service in ("https", "https-alt", "ssl/http")
        return f"{'https' if secure else 'http'}://{shown}:{port}"
    return None


def _checked_address(path: Path, where: str, text: str) -> str:
    address = parse_ip(text)
    if address is None:
        raise InputError(f"{path}: {where}: not an IP address: {text[:60]!r}")
    return str(address)


def _nmap_xml(path: Path, text: str, include_http: bool) -> list[str]:
    if "<!ENTITY" in text:
        raise InputError(f"{path}: XML entity declarations are not accepted")
    try:
        # Entity declarations are refused above and ElementTree resolves no external entity: no XML bomb.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise InputError(f"{path}: not well-formed XML ({exc})") from None
    if root.tag != "nmaprun":
        raise InputError(f"{path}: XML but not nmap output (root <{root.tag}>, expected <nmaprun>)")
    found: list[str] = []
    for number, host in enumerate(root.iter("host"), start=1):
        address_element = next((a for a in host.iter("address") if a.get("addrtype") in ("ipv4", "ipv6")), None)
        if address_element is None:
            continue
        address = _checked_address(path, f"host {number}", address_element.get("addr", ""))
        for port in host.iter("port"):
            state = port.find("state")
            if port.get("protocol") != "tcp" or state is None or state.get("state") != "open":
                continue
            service = port.find("service")
            name = service.get("name", "") if service is not None else ""
            tunnel = service.get("tunnel", "") if service is not None else ""
            number_text = port.get("portid", "")
            target = _open_port_target(address, _port(number_text, f"host {number} portid"), name, tunnel,
                                       include_http)  # fmt: skip
            if target:
                found.append(target)
    return found


def _masscan_json(path: Path, text: str, include_http: bool) -> list[str]:
    records = _masscan_records(path, text)
    found: list[str] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(f"{path}: record {number} is not an object")
        if "ip" not in record and "finished" in record:
            continue
        address = _checked_address(path, f"record {number}", str(record.get("ip", "")))
        ports = record.get("ports")
        if not isinstance(ports, list):
            raise InputError(f"{path}: record {number} has no ports list")
        for entry in ports:
            if not isinstance(entry, dict) or entry.get("proto", "tcp") != "tcp":
                continue
            if entry.get("status", "open") != "open":
                continue
            port = entry.get("port")
            if not isinstance(port, int) or isinstance(port, bool):
                raise InputError(f"{path}: record {number} has a port that is not a number")
            service = entry.get("service")
            name = str(service.get("name", "")) if isinstance(service, dict) else ""
            target = _open_port_target(address, _port(str(port), f"record {number}"), name, "", include_http)
            if target:
                found.append(target)
    return found


def _masscan_records(path: Path, text: str) -> list[Any]:
    """masscan -oJ writes an array, older releases with a trailing comma; -oD writes one object per line."""
    try:
        data = json.loads(text)
    except ValueError:
        repaired = re.sub(r",\s*\]\s*\Z", "]", text.strip())
        try:
            data = json.loads(repaired)
        except ValueError:
            return _json_lines(path, text)
    return data if isinstance(data, list) else [data]


def _json_lines(path: Path, text: str) -> list[Any]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip().rstrip(",")
        if not line or line in ("[", "]"):
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            raise InputError(f"{path}:{number}: not valid JSON (masscan -oJ or -oD output expected)") from None
    return records


def _looks_like_masscan_list(text: str) -> bool:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#masscan"):
            return True
        if line and not line.startswith("#"):
            return bool(_MASSCAN_LIST.match(line) or _MASSCAN_BANNER.match(line))
    return False


def _masscan_list(path: Path, text: str, include_http: bool) -> list[str]:
    found: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or _MASSCAN_BANNER.match(line):
            continue
        match = _MASSCAN_LIST.match(line)
        if not match:
            raise InputError(f"{path}:{number}: not a masscan list line (expected 'open tcp PORT ADDRESS TIME')")
        address = _checked_address(path, f"line {number}", match.group(2))
        target = _open_port_target(address, _port(match.group(1), f"line {number}"), "", "", include_http)
        if target:
            found.append(target)
    return found


def _plain_list(path: Path, text: str) -> list[str]:
    found: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if _cidr(line)[0] is None:
                parse_target("dicom", line)
        except InputError as exc:
            raise InputError(f"{path}:{number}: {exc}") from None
        found.append(line)
    return found
