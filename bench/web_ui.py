"""The web UI's weight and first paint: the gzipped size of the JavaScript and CSS a page
loads, and the first (contentful) paint of the chat page on loopback in headless chromium.

    .venv/bin/python bench/web_ui.py [--runs 5]

A real server (`create_app`, local mode, a three-document corpus, the deterministic
embedder: the page does not wait on the model) on 127.0.0.1; each run is a fresh browser
context (no cache). Targets: JS+CSS < 150 KB gzipped, first paint < 1 s.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.api.app import create_app  # noqa: E402
from assistant.services import build_services  # noqa: E402
from assistant.web.templating import STATIC  # noqa: E402
from ingest.embedding import HashingEmbedder  # noqa: E402
from tests.browser.conftest import ARGS, CHROMIUM  # noqa: E402
from tests.conftest import LiveServer, make_settings, write_corpus  # noqa: E402


def assets(page_html: str) -> list[Path]:
    """The static files a page links (scripts and stylesheets)."""
    names = re.findall(r'(?:src|href)="/static/([^"?]+)', page_html)
    return [STATIC / name for name in names if name.endswith((".js", ".css"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="page loads to measure")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = make_settings(root / "data")
        built = build_services(settings, HashingEmbedder())
        built.ingestor().run([write_corpus(root / "knowledge")])
        built.close()
        with (
            LiveServer(create_app(settings, HashingEmbedder())) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            paints: list[float] = []
            html = ""
            for _ in range(options.runs + 1):  # the first load warms the server
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{server.url}/", wait_until="load")
                html = page.content()
                paint = page.evaluate(
                    "() => (performance.getEntriesByName('first-contentful-paint')[0]"
                    " || performance.getEntriesByName('first-paint')[0] || {}).startTime"
                )
                context.close()
                if paint is not None:
                    paints.append(float(paint))
            browser.close()
    files = assets(html)
    total_raw = total_gz = 0
    for path in files:
        data = path.read_bytes()
        packed = len(gzip.compress(data, compresslevel=9))
        total_raw += len(data)
        total_gz += packed
        print(f"{path.relative_to(STATIC)}: {len(data) / 1024:.1f} KB, {packed / 1024:.1f} KB gz")
    print(f"JS+CSS: {total_raw / 1024:.1f} KB, {total_gz / 1024:.1f} KB gzipped (target < 150)")
    measured = paints[1:] or paints
    if measured:
        print(
            f"first contentful paint over {len(measured)} loads: median "
            f"{statistics.median(measured):.0f} ms, max {max(measured):.0f} ms (target < 1000)"
        )


if __name__ == "__main__":
    main()
