"""Builds the leaky site in a lab data directory: pages rendered into the layout, the generated health library
(enough pages for a 50-page crawl), the search index, the tag and vendor scripts, the certificate and the
scripted portal flow.

A page source (pages/*.html) is a few `key: value` header lines, `---`, then its <main>. Header keys: title,
tags (which trackers the page's tag container installs), keywords, description, user_id (portal pages).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Final

from phileak.lab.leaky_site import FLOWS_FILE, PORTAL_PASSWORD, PORTAL_USERNAME, site_origin
from phileak.lab.leaky_site.certificate import make_certificate

PACKAGE: Final = Path(__file__).parent
STANDARD_TAGS: Final = "ga4 meta bing x tiktok linkedin"
# The generated health-library topics: ordinary conditions, one page each under /library/.
LIBRARY_TOPICS: Final = (
    "Allergies", "Anemia", "Arthritis", "Asthma", "Back pain", "Breast cancer", "Bronchitis", "Cataracts",
    "Celiac", "Cholesterol", "Concussion", "Dehydration", "Dermatitis", "Diabetes", "Eczema", "Flu", "Gallstones",
    "Glaucoma", "Gout", "Hay fever", "Headaches", "Hearing loss", "Heartburn", "Hepatitis", "High blood pressure",
    "Insomnia", "Kidney stones", "Knee pain", "Lupus", "Measles", "Migraine", "Osteoporosis", "Pneumonia",
    "Psoriasis", "Scoliosis", "Shingles", "Sinusitis", "Sleep apnea", "Sprains", "Strep throat", "Tinnitus",
    "Tonsillitis", "Ulcers", "Vertigo", "Whooping cough",
)  # fmt: skip
_HEADER_LINE: Final = re.compile(r"^([a-z_]+):\s*(.*)$")


@dataclass(frozen=True)
class PageSource:
    main: str
    title: str
    tags: str = STANDARD_TAGS
    keywords: str = ""
    description: str = ""
    user_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, origin: str) -> PageSource:
        head, separator, main = text.partition("\n---\n")
        if not separator:
            raise ValueError(f"{origin}: no '---' line after the page header")
        values: dict[str, str] = {}
        for line in head.splitlines():
            match = _HEADER_LINE.match(line.strip())
            if match is None:
                raise ValueError(f"{origin}: not a header line: {line!r}")
            values[match.group(1)] = match.group(2).strip()
        if "title" not in values:
            raise ValueError(f"{origin}: no title")
        known = {"title", "tags", "keywords", "description", "user_id"}
        return cls(
            main=main.strip(),
            title=values["title"],
            tags=values.get("tags", STANDARD_TAGS),
            keywords=values.get("keywords", ""),
            description=values.get("description", ""),
            user_id=values.get("user_id", ""),
            extra={k: v for k, v in values.items() if k not in known},
        )

    def render(self, layout: Template) -> str:
        attributes = f' data-user-id="{html.escape(self.user_id)}"' if self.user_id else ""
        return layout.substitute(
            title=html.escape(self.title),
            description=html.escape(self.description),
            keywords=html.escape(self.keywords),
            tags=html.escape(self.tags),
            body_attributes=attributes,
            main=self.main,
        )


def slug(topic: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")


def library_pages() -> dict[str, PageSource]:
    """Relative path -> page, for the health library A-Z and one page per topic."""
    pages: dict[str, PageSource] = {}
    items = [("/conditions/hiv.html", "HIV"), ("/conditions/depression.html", "Depression")]
    items += [(f"/library/{slug(topic)}.html", topic) for topic in LIBRARY_TOPICS]
    items.sort(key=lambda item: item[1].lower())
    for topic in LIBRARY_TOPICS:
        lower = topic.lower()
        pages[f"library/{slug(topic)}.html"] = PageSource(
            title=f"{topic} | Health library | Lab General Hospital",
            keywords=f"{lower}, health library",
            description=f"What {lower} is and how it is treated.",
            main=(
                f"<main>\n<h1>{html.escape(topic)}</h1>\n<p>An overview of {html.escape(lower)}: common signs, "
                "when to see a doctor, and how our clinics can help.</p>\n"
                '<p><a href="/appointments/book.html">Book an appointment</a> or '
                '<a href="/find-a-doctor.html">find a doctor</a>.</p>\n</main>'
            ),
        )
    links = "\n".join(f'  <li><a href="{url}">{html.escape(name)}</a></li>' for url, name in items)
    pages["library/index.html"] = PageSource(
        title="Health library A-Z | Lab General Hospital",
        keywords="health library, conditions, a-z",
        description="Every topic of the Lab General Hospital health library.",
        main=f"<main>\n<h1>Health library A&ndash;Z</h1>\n<ul>\n{links}\n</ul>\n</main>",
    )
    return pages


def site_pages() -> dict[str, PageSource]:
    """Every page of the site by its path under the site root: the hand-written ones and the library."""
    pages: dict[str, PageSource] = {}
    source = PACKAGE / "pages"
    for path in sorted(source.rglob("*.html")):
        relative = path.relative_to(source).as_posix()
        pages[relative] = PageSource.parse(path.read_text(encoding="utf-8"), relative)
    pages.update(library_pages())
    return pages


def install_site(data_dir: Path, port: int, *, certificate: bool = True) -> None:
    """Write site/, vendors/, tls/ and the flows file into `data_dir` (replacing earlier copies)."""
    site = data_dir / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(data_dir / "vendors", ignore_errors=True)
    layout = Template((PACKAGE / "layout.html").read_text(encoding="utf-8"))
    index = []
    for relative, page in site_pages().items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.render(layout), encoding="utf-8")
        if relative.startswith(("conditions/", "library/")) and not relative.endswith("index.html"):
            index.append({"title": page.title.split(" | ", 1)[0], "url": "/" + relative})
    shutil.copytree(PACKAGE / "assets", site / "assets")
    (site / "assets" / "search-index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    shutil.copytree(PACKAGE / "vendors", data_dir / "vendors")
    write_flows(data_dir / FLOWS_FILE, port)
    if certificate:
        make_certificate(data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem")


def flows_text(port: int) -> str:
    template = (PACKAGE / "flows.toml").read_text(encoding="utf-8")
    return (
        template.replace("{origin}", site_origin(port))
        .replace("{username}", PORTAL_USERNAME)
        .replace("{password}", PORTAL_PASSWORD)
    )


def write_flows(path: Path, port: int) -> None:
    path.write_text(flows_text(port), encoding="utf-8")
