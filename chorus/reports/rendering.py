"""Turning a report into what people read: SVG charts (matplotlib), thumbnails, and the PDF (WeasyPrint).

The page is one self-contained HTML document (charts inline, images as data: URIs), so the screen, the PDF and
the e-mail attachment are the same thing. WeasyPrint fetches nothing but the bundled fonts: a report is built from
network text, and nothing in it may make the server call an address.
"""

import base64
import io
import logging
import re
from datetime import date
from importlib import resources
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
THUMBNAIL_PIXELS = 240


EMOJI_FONT = Path(__file__).resolve().parents[1] / "web/static/vendor/noto-emoji/NotoEmoji-Regular.woff"


def font_files() -> dict[str, Path]:
    """DejaVu Sans from matplotlib's own data: Cyrillic everywhere, whatever fonts the server has; and Noto Emoji
    (vendored, frontend/copy-vendor.mjs), or the 🔥 and 👍 of a post's text come out as empty boxes."""
    folder = Path(str(resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf"))
    return {"regular": folder / "DejaVuSans.ttf", "bold": folder / "DejaVuSans-Bold.ttf", "emoji": EMOJI_FONT}


def line_chart(points: list[tuple[date, float | None]], *, name: str, colour: str, title: str) -> str:
    """An SVG line of a daily series; a day without a value is a gap, not a zero. `name` makes its element ids
    its own, as matplotlib numbers them from 1 in every chart and a page holds several."""
    import matplotlib
    from matplotlib.figure import Figure  # not pyplot: its global figures are not safe in the worker's threads

    # Text stays text in the SVG, in the DejaVu Sans the page bundles: smaller, and quicker for WeasyPrint to draw
    # than every glyph as a path. Chorus draws no other charts, so these settings are the process's own.
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans"})
    figure = Figure(figsize=(7.2, 2.4), dpi=96)
    axes = figure.subplots()
    axes.plot([day for day, _value in points], [float("nan") if value is None else value for _day, value in points],
              color=colour, linewidth=2)
    axes.set_title(title, loc="left", fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg")
    svg = out.getvalue()
    svg = svg[svg.index("<svg"):]  # the XML prologue and doctype do not belong inside an HTML page
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', svg)


def thumbnail(asset) -> str:
    """A small JPEG of an image asset as a data: URI; empty when the file is not an image any more."""
    from PIL import Image, UnidentifiedImageError

    try:
        with asset.file.open("rb") as stored, Image.open(stored) as image:
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
    except (OSError, UnidentifiedImageError, ValueError):
        log.info("no thumbnail for media %s", asset.pk)
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def logo_uri(workspace) -> str:
    if not workspace.logo:
        return ""
    try:
        with workspace.logo.open("rb") as stored:
            raw = stored.read()
    except OSError:
        return ""
    return f"data:{_image_type(raw)};base64," + base64.b64encode(raw).decode()


def _image_type(raw: bytes) -> str:
    return "image/png" if raw.startswith(b"\x89PNG") else "image/jpeg"  # the only two a logo may be


def _fetcher():
    """WeasyPrint's fetcher, let through to data: URIs and the bundled fonts and nothing else."""
    from weasyprint.urls import URLFetcher

    fonts = {path.as_uri() for path in font_files().values()}

    class BundledOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or url in fonts:
                return super().fetch(url, headers)
            raise ValueError(f"reports fetch nothing from {url[:80]}")

    return BundledOnly(allowed_protocols={"data", "file"})


def pdf_of(page: str) -> bytes:
    from weasyprint import HTML

    try:
        return HTML(string=page, url_fetcher=_fetcher()).write_pdf()
    except Exception as exc:  # WeasyPrint raises whatever its parsers raise; the person needs one message
        log.exception("PDF of a report failed")
        raise ValidationError(_("The PDF could not be made: %(reason)s") % {"reason": exc}) from exc
