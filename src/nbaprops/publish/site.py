"""The dashboard: a static site (HTML, one script, one style sheet) installed next to the JSON.

The pages live in ``publish/site/`` in the package and read the published files with ``fetch``
(relative paths, so the same folder works from a bucket, a CDN or ``nbaprops demo --serve``). The
charts are plotly.js: the ``plotly.min.js`` that the ``plotly`` Python package ships (a pinned
dependency) is copied to ``assets/`` at install, so nothing is built or downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbaprops.lake import Lake

SITE_DIR = Path(__file__).parent / "site"
PAGES = ("index.html", "player.html", "performance.html", "calibration.html", "health.html")
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}


def plotly_js() -> Path:
    """The plotly.js bundle shipped inside the installed ``plotly`` package."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the plotly package is not installed (a dependency of nbaprops)")
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js missing from the plotly package at {path}")
    return path


def site_files() -> dict[str, Path]:
    """Every file of the dashboard by its path under ``publish/`` (pages, ``assets/``)."""
    files = {p.name: p for p in sorted(SITE_DIR.glob("*.html"))}
    files |= {f"assets/{p.name}": p for p in sorted(SITE_DIR.glob("*.js")) + sorted(SITE_DIR.glob("*.css"))}
    files["assets/plotly.min.js"] = plotly_js()
    return files


def install(store: Lake, max_age: int) -> list[str]:
    """Write the dashboard under ``publish/`` (unchanged files are rewritten byte-identical)."""
    from nbaprops.publish.publisher import put

    names = []
    for name, path in site_files().items():
        put(store, name, path.read_bytes(), max_age, CONTENT_TYPES[path.suffix])
        names.append(name)
    return names
