"""Automatic health flows on each crawled page, the way a patient would use it:

form-filled     every form that asks for identity (booking, symptom checker, sign-up, contact) is filled with
                the scan's canary patient, field by field (fields.py), each with input, change and blur events
                (advanced matching and form-analytics scripts listen there). Once per form across the site.
form-submitted  only with a submit mode: "dry" (the page's submit handlers run, the first-party write is
                answered locally, see routing.py) or "real" (--submit-forms). Login forms (a password field)
                are filled but never submitted automatically; scripted flows (flowfile.py) log in.
search          a site search box gets a health search: first the canary's own coined search phrase, then
                shipped health terms (`phileak.phi.vocab.health_search_terms`, a short list until it lands).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from phileak.probes.web.actor import PageActor, StepResult, SubmitMode
from phileak.probes.web.capture_model import STEP_FORM_FILLED, STEP_FORM_SUBMITTED, STEP_SEARCH
from phileak.probes.web.fields import (
    COLLECT_CONTROLS_JS,
    MAX_CONTROLS,
    PASSWORD,
    SEARCH,
    USERNAME,
    Control,
    classify,
    option_for,
    value_for,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger(__name__)

FALLBACK_SEARCH_TERMS: Final = (
    "hiv testing", "depression treatment", "pregnancy test", "type 2 diabetes", "breast cancer screening",
    "opioid addiction treatment",
)  # fmt: skip
IDENTITY_FIELDS: Final = frozenset(
    {"first_name", "last_name", "full_name", "email", "phone", "dob", "street", "city", "zip", "mrn", "member_id",
     "symptom", USERNAME}
)  # fmt: skip
CONTROL_TIMEOUT_MS: Final = 3000
SUBMIT_WORDS: Final = ("submit", "book", "schedule", "request", "send", "continue", "next", "confirm", "register",
                       "sign up", "envoyer", "valider", "réserver")  # fmt: skip

_MARK_SUBMIT_JS: Final = """
([formIndex, words]) => {
  const scope = formIndex >= 0 ? document.forms[formIndex] : document;
  if (!scope) return "none";
  let button = formIndex >= 0
    ? scope.querySelector('button[type=submit], input[type=submit], button:not([type])') : null;
  if (!button) {
    const candidates = Array.from(scope.querySelectorAll('button, input[type=button], a[role=button]'));
    button = candidates.find(b => {
      const text = (b.innerText || b.value || "").toLowerCase();
      return words.some(w => text.includes(w));
    }) || null;
  }
  if (button) { button.setAttribute("data-phileak-submit", "1"); return "button"; }
  return formIndex >= 0 ? "form" : "none";
}
"""


def search_terms(lang: str = "en") -> tuple[str, ...]:
    """Shipped health search terms (conditions, tests, medications, sensitive ones included)."""
    try:
        from phileak.phi.vocab import health_search_terms  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return FALLBACK_SEARCH_TERMS
    try:
        terms = tuple(str(term) for term in health_search_terms(lang))
    except Exception as exc:
        log.warning("web: health_search_terms(%r) failed (%s); using the built-in list", lang, type(exc).__name__)
        return FALLBACK_SEARCH_TERMS
    return terms or FALLBACK_SEARCH_TERMS


@dataclass(frozen=True)
class FlowSettings:
    submit: SubmitMode = SubmitMode.NONE
    max_searches: int = 2
    max_forms: int = 10
    search_terms: tuple[str, ...] = FALLBACK_SEARCH_TERMS


@dataclass
class SiteFlowState:
    """What the automatic flows already did on this site."""

    forms_done: set[str] = field(default_factory=set)
    searches_done: int = 0


@dataclass(frozen=True)
class FormGroup:
    form: int  # index in document.forms, -1 for controls outside any form
    controls: tuple[tuple[Control, str], ...]  # (control, canary field or SEARCH/USERNAME/PASSWORD)

    @property
    def kinds(self) -> set[str]:
        return {kind for _, kind in self.controls}

    @property
    def is_login(self) -> bool:
        return PASSWORD in self.kinds

    @property
    def asks_identity(self) -> bool:
        return bool(self.kinds & IDENTITY_FIELDS)

    def signature(self) -> str:
        names = sorted(f"{c.tag}:{c.name or c.id or kind}" for c, kind in self.controls if kind != SEARCH)
        return "|".join(names)


async def collect_controls(page: Page) -> list[Control]:
    raw = await page.evaluate(COLLECT_CONTROLS_JS, MAX_CONTROLS)
    return [Control.from_js(item) for item in raw or []]


def group_controls(controls: list[Control]) -> list[FormGroup]:
    groups: dict[int, list[tuple[Control, str]]] = {}
    for control in controls:
        if not control.fillable:
            continue
        kind = classify(control)
        if kind is not None:
            groups.setdefault(control.form, []).append((control, kind))
    return [FormGroup(form, tuple(items)) for form, items in groups.items()]


class AutoFlows:
    """The automatic flows of one site; `run(actor)` on each page."""

    def __init__(self, values: dict[str, str], settings: FlowSettings, state: SiteFlowState | None = None) -> None:
        self.values = values
        self.settings = settings
        self.state = state or SiteFlowState()
        self._terms: Iterator[str] = iter((values.get("search_term", ""), *settings.search_terms))

    async def run(self, actor: PageActor) -> list[StepResult]:
        results: list[StepResult] = []
        try:
            groups = group_controls(await collect_controls(actor.page))
        except Exception as exc:
            log.debug("web: cannot list form controls: %s", type(exc).__name__)
            return results
        to_fill = [g for g in groups if g.asks_identity and g.signature() not in self.state.forms_done][
            : max(0, self.settings.max_forms - len(self.state.forms_done))
        ]
        filled: list[FormGroup] = []
        for group in to_fill:
            self.state.forms_done.add(group.signature())
            result = await actor.step(STEP_FORM_FILLED, functools.partial(self._fill, actor.page, group), identity=True)
            results.append(result)
            if result.error is None:
                filled.append(group)
        submittable = [g for g in filled if not g.is_login]
        if submittable and self.settings.submit is not SubmitMode.NONE:
            group = submittable[0]
            results.append(
                await actor.step(
                    STEP_FORM_SUBMITTED,
                    lambda: submit_form(actor.page, group),
                    identity=True,
                    dry_submit=self.settings.submit is SubmitMode.DRY,
                )
            )
            return results  # the page has moved on
        search = next((c for g in groups for c, kind in g.controls if kind == SEARCH), None)
        if search is not None and self.state.searches_done < self.settings.max_searches:
            term = self._next_term()
            if term:
                self.state.searches_done += 1
                results.append(await actor.step(STEP_SEARCH, lambda: run_search(actor.page, search, term)))
        return results

    def _next_term(self) -> str | None:
        for term in self._terms:
            if term.strip():
                return term
        return None

    async def _fill(self, page: Page, group: FormGroup) -> None:
        filled = 0
        for control, kind in group.controls:
            if kind in (SEARCH, PASSWORD):
                continue
            with contextlib.suppress(Exception):
                if await fill_control(page, control, kind, self.values):
                    filled += 1
        if not filled:
            raise RuntimeError("no field of the form could be filled")


async def fill_control(page: Page, control: Control, kind: str, values: dict[str, str]) -> bool:
    """Type the canary value into one control the way a person would: focus, type, leave (input, change and
    blur events fire natively)."""
    locator = page.locator(control.selector).first
    if control.tag == "select":
        option = option_for(control, kind, values)
        if option is None:
            return False
        await locator.focus(timeout=CONTROL_TIMEOUT_MS)
        await locator.select_option(option, timeout=CONTROL_TIMEOUT_MS)
        await locator.blur(timeout=CONTROL_TIMEOUT_MS)
        return True
    value = value_for(control, kind, values)
    if value is None:
        return False
    await locator.fill(value, timeout=CONTROL_TIMEOUT_MS)
    await locator.blur(timeout=CONTROL_TIMEOUT_MS)
    return True


async def submit_form(page: Page, group: FormGroup) -> None:
    """Submit like a person: tick required boxes, click the form's submit button (click handlers run, e.g.
    Meta's SubscribedButtonClick), else `requestSubmit()` (validation and submit handlers run)."""
    with contextlib.suppress(Exception):
        await page.evaluate(
            "i => { const s = i >= 0 ? document.forms[i] : document; if (!s) return;"
            " s.querySelectorAll('input[type=checkbox][required]').forEach(b => { if (!b.checked) b.click(); }); }",
            group.form,
        )
    how = await page.evaluate(_MARK_SUBMIT_JS, [group.form, list(SUBMIT_WORDS)])
    if how == "button":
        await page.locator('[data-phileak-submit="1"]').first.click(timeout=CONTROL_TIMEOUT_MS)
    elif how == "form":
        await page.evaluate("i => document.forms[i].requestSubmit()", group.form)
    else:
        raise RuntimeError("no submit button found")


async def run_search(page: Page, control: Control, term: str) -> None:
    locator = page.locator(control.selector).first
    await locator.fill(term, timeout=CONTROL_TIMEOUT_MS)
    await locator.press("Enter", timeout=CONTROL_TIMEOUT_MS)
