"""Scripted flows (`--flows FILE`) for portals and booking funnels the automatic flows cannot reach.

The file is TOML (JSON with the same structure is accepted too, by its .json suffix). Each `[[flow]]` has a
name and steps; each `[[flow.step]]` has exactly one action key:

    [[flow]]
    name = "portal"
    submit = "dry"                     # optional: "dry" (default) or "real" (only honoured with --submit-forms)

    [[flow.step]]
    goto = "https://portal.example-health.test/login"
    [[flow.step]]
    login = { username_env = "PORTAL_USER", password_env = "PORTAL_PASSWORD" }
        # optional: username / password (literal test credentials), username_selector, password_selector,
        # submit_selector; the login is always really submitted, and the steps after it count as authenticated
    [[flow.step]]
    fill = "#email"
    value = "{canary.email}"           # {canary.<field>} (first_name, email, phone, dob, symptom...) or {env.NAME}
    [[flow.step]]
    fill_form = "form#booking"         # every identity field inside, from the canary ("" for the whole page)
    [[flow.step]]
    click = "text=Book appointment"
    [[flow.step]]
    press = "#q"
    key = "Enter"
    [[flow.step]]
    search = "hiv testing"             # optional selector = "#q"; "" searches the next shipped health term
    [[flow.step]]
    submit = "form#booking"            # submit that form ("" for the first identity form)
    [[flow.step]]
    wait = 2                           # seconds
    [[flow.step]]
    wait_for = "#confirmation"         # a selector

Any step may add `label = "..."` (default "flow:<name>:<n>:<action>"). Writes to the site are answered locally
(dry-submit) throughout a flow except for login steps, unless --submit-forms is given and the flow does not say
submit = "dry". Credentials are registered with logsafe, so they are scrubbed from logs, errors and the HAR.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from phileak import logsafe
from phileak.errors import InputError
from phileak.phi.canary_identity import CanaryIdentity

ACTIONS: Final = ("goto", "login", "fill", "fill_form", "click", "press", "search", "submit", "wait", "wait_for")
_EXTRA_KEYS: Final = frozenset({"value", "key", "selector", "label"})
_LOGIN_KEYS: Final = frozenset(
    {"username", "username_env", "password", "password_env", "username_selector", "password_selector",
     "submit_selector"}
)  # fmt: skip
_TEMPLATE: Final = re.compile(r"\{(canary|env)\.([A-Za-z0-9_]+)\}")
_CANARY_FIELDS: Final = frozenset(CanaryIdentity.generate("phileak-fields").values())
MAX_FLOW_FILE_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class FlowStep:
    action: str
    target: str = ""  # the action's value: a URL, a selector, a search term
    value: str | None = None
    key: str = "Enter"
    selector: str | None = None
    seconds: float = 0.0
    login: dict[str, str] = field(default_factory=dict)
    label: str | None = None

    def uses_canary(self) -> bool:
        return self.action == "fill_form" or any(kind == "canary" for kind, _ in _TEMPLATE.findall(self.value or ""))


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[FlowStep, ...]
    real_submit_allowed: bool = True  # False when the flow says submit = "dry"

    def label(self, index: int, step: FlowStep) -> str:
        return step.label or f"flow:{self.name}:{index + 1}:{step.action}"


def load_flows(path: Path) -> list[Flow]:
    """Parse a flows file; InputError naming the file, flow and step when it is not valid."""
    try:
        if path.stat().st_size > MAX_FLOW_FILE_BYTES:
            raise InputError(f"flows file {path} is larger than {MAX_FLOW_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise InputError(f"cannot read flows file {path}: {reason}") from None
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"flows file {path} is not valid {_kind(path)}: {str(exc).splitlines()[0]}") from None
    return parse_flows(document, origin=str(path))


def parse_flows(document: Any, *, origin: str = "flows") -> list[Flow]:
    if not isinstance(document, dict) or not isinstance(document.get("flow"), list) or not document["flow"]:
        raise InputError(f"{origin}: no [[flow]] tables")
    flows = []
    for number, raw in enumerate(document["flow"], start=1):
        where = f"{origin}: flow {number}"
        if not isinstance(raw, dict):
            raise InputError(f"{where} is not a table")
        name = str(raw.get("name") or f"flow{number}")
        where = f"{origin}: flow {name!r}"
        submit = str(raw.get("submit", "dry"))
        if submit not in ("dry", "real"):
            raise InputError(f'{where}: submit must be "dry" or "real"')
        steps = raw.get("step")
        if not isinstance(steps, list) or not steps:
            raise InputError(f"{where}: no [[flow.step]] tables")
        parsed = tuple(_step(item, f"{where} step {index}") for index, item in enumerate(steps, start=1))
        flows.append(Flow(name, parsed, real_submit_allowed=submit == "real" or "submit" not in raw))
    return flows


def _step(raw: Any, where: str) -> FlowStep:
    if not isinstance(raw, dict):
        raise InputError(f"{where} is not a table")
    actions = [key for key in raw if key in ACTIONS]
    unknown = [key for key in raw if key not in ACTIONS and key not in _EXTRA_KEYS]
    if len(actions) != 1:
        raise InputError(f"{where}: needs exactly one of {', '.join(ACTIONS)}")
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    action = actions[0]
    argument = raw[action]
    label = str(raw["label"]) if "label" in raw else None
    value = str(raw["value"]) if "value" in raw else None
    _check_templates(value, where)
    if action == "login":
        if not isinstance(argument, dict) or not set(argument) <= _LOGIN_KEYS:
            raise InputError(f"{where}: login takes a table of {', '.join(sorted(_LOGIN_KEYS))}")
        login = {k: str(v) for k, v in argument.items()}
        if not ({"username", "username_env"} & set(login)) or not ({"password", "password_env"} & set(login)):
            raise InputError(f"{where}: login needs username (or username_env) and password (or password_env)")
        logsafe.register(*(login[k] for k in ("username", "password") if k in login))
        return FlowStep("login", login=login, label=label)
    if action == "wait":
        if not isinstance(argument, int | float) or not 0 <= argument <= 120:
            raise InputError(f"{where}: wait takes a number of seconds (0-120)")
        return FlowStep("wait", seconds=float(argument), label=label)
    if not isinstance(argument, str):
        raise InputError(f"{where}: {action} takes a string")
    if action == "fill" and value is None:
        raise InputError(f"{where}: fill needs a value")
    if action in ("goto", "fill", "click", "press", "wait_for") and not argument.strip():
        raise InputError(f"{where}: {action} needs a non-empty value")
    selector = str(raw["selector"]) if "selector" in raw else None
    return FlowStep(action, argument, value, str(raw.get("key", "Enter")), selector, label=label)


def _check_templates(value: str | None, where: str) -> None:
    for kind, name in _TEMPLATE.findall(value or ""):
        if kind == "canary" and name not in _CANARY_FIELDS:
            raise InputError(f"{where}: unknown canary field {name!r} (one of {', '.join(sorted(_CANARY_FIELDS))})")


def expand(value: str, canary: dict[str, str]) -> str:
    """`value` with {canary.<field>} and {env.NAME} replaced; InputError naming a missing variable."""

    def replace(match: re.Match[str]) -> str:
        kind, name = match[1], match[2]
        if kind == "canary":
            return canary[name]
        if name not in os.environ:
            raise InputError(f"environment variable {name} is not set")
        secret = os.environ[name]
        logsafe.register(secret)
        return secret

    return _TEMPLATE.sub(replace, value)


def credential(login: dict[str, str], name: str) -> str:
    """The login's `name` ("username" or "password"), literal or from the environment."""
    if name in login:
        return login[name]
    variable = login[f"{name}_env"]
    if variable not in os.environ:
        raise InputError(f"environment variable {variable} is not set")
    secret = os.environ[variable]
    logsafe.register(secret)
    return secret


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "TOML"
