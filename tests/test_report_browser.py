"""The HTML report as a person sees it: rendered by headless Chromium (Debian's, through Playwright), read back
from the page, printed to PDF. One browser for the module."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from phileak.report import render_to_path
from test_report import assessed_report

CHROMIUM = Path("/usr/lib/chromium/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None,
    reason="needs Playwright and Debian's Chromium (/usr/lib/chromium/chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    render_to_path("html", assessed_report(), path)
    return path


fetched: list[str] = []  # what the page under test requested


@pytest.fixture
def page(browser: Any, report_file: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    fetched.clear()
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(report_file.as_uri())
    try:
        yield page
    finally:
        context.close()


def test_the_summary_shows_people_duties_with_dates_and_the_worst_exposure(page: Any, tmp_path: Path) -> None:
    assert page.inner_text("#people-figure") == "at least 640"
    summary = page.locator("#summary")
    duty = summary.locator("table.duties-summary tr", has_text="Notify individuals").filter(has_text="HIPAA")
    assert duty.count() == 1
    row = duty.inner_text()
    assert "Tue 19 Jan 2027" in row  # 60 days after the discovery on 2026-11-20
    assert "affected individual" in row
    worst = summary.locator("ol.worst li").first
    assert worst.is_visible() and "Anyone can list s3://exh-reports" in worst.inner_text()
    assert "Not legal advice" in summary.inner_text()
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000


def test_the_page_fetches_nothing_and_its_charts_are_drawn(page: Any) -> None:
    assert fetched == [page.url], "the report fetched something besides itself"
    charts = page.locator("figure.chart svg")
    assert charts.count() == 4
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 20
    severity = page.locator("figure.chart", has_text="Findings by severity")
    widths = severity.locator("rect").evaluate_all("rects => rects.map(r => r.getBBox().width)")
    assert max(widths) > 100
    timeline = page.locator("figure.timeline")
    assert timeline.locator("rect").count() >= 2  # seen in both scans: a bar, not a dot
    assert timeline.locator("circle[stroke]").count() == 1  # the export, found gone


def test_a_finding_title_leads_to_its_evidence_and_remediation(page: Any) -> None:
    link = page.locator("#findings a", has_text="Anyone can list s3://exh-reports")
    anchor = link.get_attribute("href")
    assert anchor is not None and anchor.startswith("#finding-")
    link.click()
    assert page.url.endswith(anchor)
    article = page.locator(anchor)
    assert article.evaluate("e => e.getBoundingClientRect().top") < 50  # scrolled to it
    text = article.inner_text()
    assert "Turn on Block Public Access." in text and "phileak verify" in text
    assert "first 2026-11-19 14:30:00 UTC, last 2026-11-20 14:30:00 UTC (2 scans)" in text


def test_the_printed_report_hides_navigation_and_starts_sections_on_new_pages(page: Any, tmp_path: Path) -> None:
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden()
    breaks = page.locator("#obligations").evaluate("e => getComputedStyle(e).breakBefore")
    assert breaks == "page"
    pdf = page.pdf(format="A4")
    document = pypdfium2.PdfDocument(pdf)
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    assert len(pages) >= 4
    opening = next(i for i, text in enumerate(pages) if "Obligations checklist" in text)
    assert pages[opening].lstrip().startswith("Obligations checklist")  # a new page for the checklist
    assert "Executive summary" in pages[0]
