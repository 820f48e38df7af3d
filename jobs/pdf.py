"""PDF rendering with WeasyPrint, locked to the project's own bundled files.

Fonts come from the npm package @fontsource/dejavu-sans (installed by `make setup`, served as static
files under vendor/fonts/dejavu-sans), so a document looks the same on every machine. WeasyPrint's
URL fetcher here answers only for those font files: any other URL in a document (file://, http://,
data:) is refused and recorded, and text from users is escaped by the templates, so a note cannot
inject markup in the first place.
"""

import logging
from functools import cache
from io import BytesIO
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger("jobs.pdf")

FONT_FAMILY = "KAP DejaVu Sans"
FONT_FILES = {
    ("normal", 400): "vendor/fonts/dejavu-sans/dejavu-sans-latin-400-normal.woff2",
    ("normal", 700): "vendor/fonts/dejavu-sans/dejavu-sans-latin-700-normal.woff2",
    ("italic", 400): "vendor/fonts/dejavu-sans/dejavu-sans-latin-400-italic.woff2",
}
STYLESHEET = "jobs/pdf.css"


def _find(static_name: str) -> Path:
    found = finders.find(static_name)
    if not found:
        raise ImproperlyConfigured(f"{static_name} is missing: run `make setup` (npm ci installs the PDF font).")
    return Path(found).resolve()


def _as_ttf(path: Path) -> bytes:
    """The font as plain TrueType: unpacked from WOFF2 once per process, not once per document."""
    from fontTools.ttLib import woff2

    source, target = BytesIO(path.read_bytes()), BytesIO()
    woff2.decompress(source, target)
    return target.getvalue()


@cache
def _bundled() -> tuple[dict[str, bytes], str]:
    """The fonts by their file:// URL (the only URLs a document may load) and the stylesheet using them."""
    allowed: dict[str, bytes] = {}
    faces = []
    for (style, weight), name in FONT_FILES.items():
        path = _find(name)
        allowed[path.as_uri()] = _as_ttf(path)
        faces.append(
            f"@font-face {{ font-family: '{FONT_FAMILY}'; font-style: {style}; font-weight: {weight}; "
            f"src: url('{path.as_uri()}'); }}"
        )
    css = "\n".join(faces) + "\n" + _find(STYLESHEET).read_text()
    return allowed, css


class ProjectOnlyFetcher(URLFetcher):
    """Serves the bundled font files and refuses every other URL, recording what was refused."""

    def __init__(self, allowed: dict[str, bytes]):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.allowed = allowed
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        font = self.allowed.get(url)
        if font is None:
            self.refused.append(url)
            raise ValueError("Only the project's bundled files may be loaded in a document.")
        return URLFetcherResponse(url, body=font, headers={"Content-Type": "font/ttf"})


@cache
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    """The parsed stylesheet with the bundled fonts registered, once per process: registering a font face with
    fontconfig costs more than laying out a short document, and the fonts never change while the process runs."""
    allowed, css = _bundled()
    font_config = FontConfiguration()
    return CSS(string=css, font_config=font_config, url_fetcher=ProjectOnlyFetcher(allowed)), font_config


def render_pdf(html: str) -> tuple[bytes, list[str]]:
    """(PDF bytes, URLs that were refused) for an HTML document rendered with the bundled font and stylesheet."""
    allowed, _css = _bundled()
    stylesheet, font_config = _stylesheet()
    fetcher = ProjectOnlyFetcher(allowed)  # the document's own: what it asked for is recorded per document
    pdf = HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf(
        stylesheets=[stylesheet], font_config=font_config
    )
    if fetcher.refused:
        logger.warning("A document referred to %d URL(s) outside the project; none was loaded.", len(fetcher.refused))
    return pdf, fetcher.refused
