"""Which canary value a form control asks for, from its `autocomplete` token, `type`, name, id, label,
placeholder and aria-label, and the value to type in the shape the control expects.

The page-side half is COLLECT_CONTROLS_JS: it lists the page's inputs, textareas and selects (capped), tags each
with `data-phileak-field` so it can be found again, and describes it. The rest is pure and tested without a
browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

SEARCH: Final = "search"
PASSWORD: Final = "password"  # noqa: S105 (a field kind, not a secret)
USERNAME: Final = "username"
FIELD_ATTRIBUTE: Final = "data-phileak-field"
MAX_CONTROLS: Final = 400

# HTML autofill tokens (WHATWG "autofill detail tokens") -> canary field.
AUTOCOMPLETE_FIELDS: Final = {
    "given-name": "first_name", "family-name": "last_name", "name": "full_name", "additional-name": None,
    "email": "email", "tel": "phone", "tel-national": "phone", "tel-local": "phone", "bday": "dob",
    "street-address": "street", "address-line1": "street", "address-level2": "city", "address-level1": "state",
    "postal-code": "zip", "country": "country", "country-name": "country", "sex": "gender",
    "username": USERNAME, "current-password": PASSWORD, "new-password": PASSWORD,
}  # fmt: skip
_SKIPPED_TYPES: Final = frozenset(
    {"hidden", "submit", "button", "reset", "image", "file", "checkbox", "radio", "range", "color"}
)
_TYPE_FIELDS: Final = {"email": "email", "tel": "phone", "date": "dob", "search": SEARCH, "password": PASSWORD}

# Checked in order on the control's words; the first that matches wins ("first name" before "name").
_KEYWORD_FIELDS: Final = (
    (SEARCH, r"search|query|q|keywords?|recherche|rechercher|site search"),
    (USERNAME, r"user ?name|login|user id|identifiant"),
    ("email", r"e ?mail|courriel"),
    ("mrn", r"mrn|medical record( number)?|record number|patient (id|number)|chart number"),
    ("member_id", r"member( id| number)?|insurance( id| number)?|policy( number)?|subscriber( id)?|plan id"),
    ("first_name", r"first( name)?|fname|given( name)?|forename|prenom|prénom"),
    ("last_name", r"last( name)?|lname|surname|family( name)?|nom de famille|nom"),
    ("dob", r"dob|birth|birthday|bday|birth ?date|date of birth|naissance"),
    ("phone", r"phone|mobile|cell|tel|telephone|téléphone|portable"),
    ("street", r"address( line)?( 1)?|street|addr|adresse"),
    ("city", r"city|town|ville"),
    ("state", r"state|province"),
    ("zip", r"zip( code)?|postal( code)?|post ?code|code postal"),
    ("country", r"country|pays"),
    ("gender", r"gender|sex|sexe"),
    ("full_name", r"name|full name|your name|patient name|nom complet"),
    ("symptom", r"symptoms?|reason( for visit)?|concerns?|describe|message|comments?|notes?|condition|motif"),
)  # fmt: skip
_KEYWORD_PATTERNS: Final = tuple((name, re.compile(rf"(?:^| )(?:{words})(?: |$)")) for name, words in _KEYWORD_FIELDS)
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD: Final = re.compile(r"[^0-9a-zà-ÿ]+")


@dataclass(frozen=True, slots=True)
class Control:
    """A form control as COLLECT_CONTROLS_JS describes it."""

    index: int
    tag: str  # input | textarea | select
    type: str = ""
    name: str = ""
    id: str = ""
    autocomplete: str = ""
    label: str = ""
    placeholder: str = ""
    aria: str = ""
    role: str = ""
    form: int = -1  # index in document.forms; -1 outside any form
    visible: bool = True
    enabled: bool = True
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (value, text) of a select

    @classmethod
    def from_js(cls, data: dict[str, Any]) -> Control:
        options = tuple((str(v), str(t)) for v, t in (data.get("options") or ()))
        return cls(
            index=int(data["index"]),
            tag=str(data.get("tag", "")).lower(),
            type=str(data.get("type", "")).lower(),
            name=str(data.get("name", "")),
            id=str(data.get("id", "")),
            autocomplete=str(data.get("autocomplete", "")).lower(),
            label=str(data.get("label", ""))[:200],
            placeholder=str(data.get("placeholder", ""))[:200],
            aria=str(data.get("aria", ""))[:200],
            role=str(data.get("role", "")).lower(),
            form=int(data.get("form", -1)),
            visible=bool(data.get("visible", True)),
            enabled=bool(data.get("enabled", True)),
            required=bool(data.get("required", False)),
            options=options,
        )

    @property
    def selector(self) -> str:
        return f'[{FIELD_ATTRIBUTE}="{self.index}"]'

    @property
    def fillable(self) -> bool:
        return self.visible and self.enabled and not (self.tag == "input" and self.type in _SKIPPED_TYPES)

    def words(self) -> str:
        """Name, id, label, placeholder and aria-label as lower-case words ("firstName" -> "first name")."""
        text = " ".join((self.name, self.id, self.label, self.placeholder, self.aria))
        return " ".join(_NON_WORD.split(_CAMEL.sub(" ", text).lower())).strip()


def classify(control: Control) -> str | None:
    """The canary field `control` asks for, SEARCH, USERNAME, PASSWORD, or None when it cannot tell."""
    if control.tag == "input" and control.type in _SKIPPED_TYPES:
        return None
    for token in control.autocomplete.split():
        if token in AUTOCOMPLETE_FIELDS:
            return AUTOCOMPLETE_FIELDS[token]
    if control.type in _TYPE_FIELDS:
        return _TYPE_FIELDS[control.type]
    if control.role == "searchbox":
        return SEARCH
    words = control.words()
    if words:
        for field_name, pattern in _KEYWORD_PATTERNS:
            if pattern.search(words):
                return field_name
    if control.tag == "textarea":
        return "symptom"
    return None


def value_for(control: Control, field_name: str, values: dict[str, str]) -> str | None:
    """The text to type into `control` for canary field `field_name`, shaped as the control expects."""
    if field_name == USERNAME:
        return values.get("email")
    value = values.get(field_name)
    if value is None:
        return None
    if field_name == "dob":
        return _date_as_expected(control, value)
    if field_name == "zip" and control.type == "number":
        return "".join(ch for ch in value if ch.isdigit())
    return value


def option_for(control: Control, field_name: str, values: dict[str, str]) -> str | None:
    """The `value` of the select option that fits the canary (state, gender, country...), else the first
    option with a non-empty value."""
    wanted = (values.get(field_name) or "").strip().lower()
    candidates = [(v, t) for v, t in control.options if v.strip()]
    if wanted:
        for option_value, text in candidates:
            if wanted in (option_value.strip().lower(), text.strip().lower()):
                return option_value
        for option_value, text in candidates:
            if text.strip().lower().startswith(wanted) or wanted.startswith(text.strip().lower() or "\x00"):
                return option_value
    return candidates[0][0] if candidates else None


def _date_as_expected(control: Control, iso: str) -> str:
    if control.type == "date":
        return iso
    year, month, day = iso.split("-")
    hint = f"{control.placeholder} {control.label}".lower()
    if re.search(r"dd\s*[/.-]\s*mm|jj\s*[/.-]\s*mm", hint):
        return f"{day}/{month}/{year}"
    if re.search(r"yyyy\s*-\s*mm|aaaa", hint):
        return iso
    return f"{month}/{day}/{year}"


COLLECT_CONTROLS_JS: Final = """
(maxControls) => {
  const attr = "data-phileak-field";
  const out = [];
  const forms = Array.from(document.forms);
  const controls = document.querySelectorAll("input, textarea, select");
  for (let i = 0; i < controls.length && out.length < maxControls; i++) {
    const el = controls[i];
    el.setAttribute(attr, String(i));
    const rect = el.getBoundingClientRect();
    const style = window.getComputedStyle(el);
    const visible = rect.width > 0 && rect.height > 0 && style.visibility !== "hidden" && style.display !== "none";
    let label = "";
    if (el.labels && el.labels.length) {
      label = Array.from(el.labels).map(l => l.innerText || "").join(" ");
    } else if (el.getAttribute("aria-labelledby")) {
      label = el.getAttribute("aria-labelledby").split(/\\s+/)
        .map(id => (document.getElementById(id) || {}).innerText || "").join(" ");
    }
    out.push({
      index: i,
      tag: el.tagName.toLowerCase(),
      type: (el.getAttribute("type") || (el.tagName === "INPUT" ? "text" : "")).toLowerCase(),
      name: el.getAttribute("name") || "",
      id: el.id || "",
      autocomplete: el.getAttribute("autocomplete") || "",
      label: label.slice(0, 200),
      placeholder: (el.getAttribute("placeholder") || "").slice(0, 200),
      aria: (el.getAttribute("aria-label") || "").slice(0, 200),
      role: el.getAttribute("role") || "",
      form: el.form ? forms.indexOf(el.form) : -1,
      visible: visible,
      enabled: !el.disabled && !el.readOnly,
      required: !!el.required,
      options: el.tagName === "SELECT"
        ? Array.from(el.options).slice(0, 300).map(o => [o.value, (o.text || "").slice(0, 80)]) : null,
    });
  }
  return out;
}
"""
