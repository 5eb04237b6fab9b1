"""Runs a scripted flow (flowfile.py) on a page, one captured step per flow step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Final

from phileak.probes.web.actor import PageActor, StepResult
from phileak.probes.web.fields import PASSWORD, SEARCH, USERNAME, Control
from phileak.probes.web.flowfile import Flow, FlowStep, credential, expand
from phileak.probes.web.flows import CONTROL_TIMEOUT_MS, collect_controls, fill_control, group_controls, submit_form

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger(__name__)

STOPPING_ACTIONS: Final = frozenset({"goto", "login"})  # the rest of a flow means nothing if these fail
_INSIDE_JS: Final = (
    "sel => Array.from((document.querySelector(sel) || document.createElement('div'))"
    ".querySelectorAll('[data-phileak-field]')).map(e => Number(e.getAttribute('data-phileak-field')))"
)


async def run_flow(
    flow: Flow,
    actor: PageActor,
    values: dict[str, str],
    *,
    real_submit: bool,
    terms: Iterator[str],
    navigation_timeout_s: float = 30.0,
) -> list[StepResult]:
    """Every step of `flow` in order; stops after a failed goto or login. Writes to the site are answered
    locally except in login steps, unless `real_submit` and the flow allows it."""
    dry = not (real_submit and flow.real_submit_allowed)
    results = []
    for index, step in enumerate(flow.steps):
        timeout = step.seconds + 5.0 if step.action == "wait" else max(actor.settings.action_timeout_s, 1.0)
        if step.action in ("goto", "login", "submit", "click"):
            timeout = max(timeout, navigation_timeout_s)
        result = await actor.step(
            flow.label(index, step),
            _action(actor.page, step, values, terms),
            identity=step.uses_canary(),
            dry_submit=dry and step.action != "login",
            timeout_s=timeout,
        )
        results.append(result)
        if step.action == "login" and result.error is None:
            actor.mark(authenticated=True)
        if result.error is not None and step.action in STOPPING_ACTIONS:
            break
    return results


def _action(
    page: Page, step: FlowStep, values: dict[str, str], terms: Iterator[str]
) -> Callable[[], Awaitable[object]]:
    action = step.action
    if action == "goto":
        return lambda: page.goto(step.target, wait_until="load")
    if action == "login":
        return lambda: _login(page, step.login)
    if action == "fill":
        return lambda: _fill(page, step.target, expand(step.value or "", values))
    if action == "fill_form":
        return lambda: _fill_form(page, step.target, values)
    if action == "click":
        return lambda: page.locator(step.target).first.click(timeout=CONTROL_TIMEOUT_MS * 3)
    if action == "press":
        return lambda: page.locator(step.target).first.press(step.key, timeout=CONTROL_TIMEOUT_MS)
    if action == "search":
        return lambda: _search(page, step.selector, step.target.strip() or next(terms, "hiv testing"))
    if action == "submit":
        return lambda: _submit(page, step.target)
    if action == "wait":
        return lambda: asyncio.sleep(step.seconds)
    return lambda: page.locator(step.target).first.wait_for(state="visible")


async def _fill(page: Page, selector: str, value: str) -> None:
    locator = page.locator(selector).first
    await locator.fill(value, timeout=CONTROL_TIMEOUT_MS)
    await locator.blur(timeout=CONTROL_TIMEOUT_MS)


async def _controls_in(page: Page, selector: str) -> list[Control]:
    controls = await collect_controls(page)
    if not selector.strip():
        return controls
    inside = set(await page.evaluate(_INSIDE_JS, selector))
    if not inside:
        raise RuntimeError("no form controls inside the selector")
    return [c for c in controls if c.index in inside]


async def _fill_form(page: Page, selector: str, values: dict[str, str]) -> None:
    filled = 0
    for group in group_controls(await _controls_in(page, selector)):
        for control, kind in group.controls:
            if kind in (SEARCH, PASSWORD):
                continue
            try:
                filled += await fill_control(page, control, kind, values)
            except Exception as exc:
                log.debug("web: cannot fill a %s field: %s", kind, type(exc).__name__)
    if not filled:
        raise RuntimeError("no identity field could be filled")


async def _search(page: Page, selector: str | None, term: str) -> None:
    if selector:
        locator = page.locator(selector).first
    else:
        controls = [c for g in group_controls(await collect_controls(page)) for c, kind in g.controls if kind == SEARCH]
        if not controls:
            raise RuntimeError("no search box on the page")
        locator = page.locator(controls[0].selector).first
    await locator.fill(term, timeout=CONTROL_TIMEOUT_MS)
    await locator.press("Enter", timeout=CONTROL_TIMEOUT_MS)


async def _submit(page: Page, selector: str) -> None:
    groups = [g for g in group_controls(await _controls_in(page, selector)) if g.asks_identity and not g.is_login]
    if not groups:
        raise RuntimeError("no form to submit")
    await submit_form(page, groups[0])


async def _login(page: Page, login: dict[str, str]) -> None:
    username, password = credential(login, "username"), credential(login, "password")
    user_selector = login.get("username_selector")
    if user_selector is None:
        controls = [c for g in group_controls(await collect_controls(page)) for c, kind in g.controls
                    if kind in (USERNAME, "email")]  # fmt: skip
        if not controls:
            raise RuntimeError("no username field on the page (give username_selector)")
        user_selector = controls[0].selector
    password_selector = login.get("password_selector", "input[type=password]")
    await page.locator(user_selector).first.fill(username, timeout=CONTROL_TIMEOUT_MS)
    password_field = page.locator(password_selector).first
    await password_field.fill(password, timeout=CONTROL_TIMEOUT_MS)
    submit_selector = login.get("submit_selector")
    if submit_selector:
        await page.locator(submit_selector).first.click(timeout=CONTROL_TIMEOUT_MS)
    else:
        await password_field.press("Enter", timeout=CONTROL_TIMEOUT_MS)
    await page.wait_for_load_state("load")
