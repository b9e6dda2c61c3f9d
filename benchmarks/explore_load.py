"""Measure how fast an explorer site (`analysis explore --out DIR`) opens and draws in headless Chromium.

    analysis explore --out /tmp/site && python benchmarks/explore_load.py /tmp/site --loads 5

Each load opens a fresh page on ``DIR/index.html`` and times it from the navigation until the page
marks itself ready (``body[data-ready]``: data parsed, first view drawn), then opens the five other
views in turn. Prints the size of the site, every load's times and their medians; fails on any console
error or any request that is not ``file://``. Needs Debian's ``chromium`` and ``pip install playwright``.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWS = ("categories", "topics", "concordance", "keyness", "formulations")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a folder written by `analysis explore`")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    size = sum(p.stat().st_size for p in args.site.iterdir() if p.is_file())
    opened, views = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for _ in range(args.loads):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: problems.append(r.url) if not r.url.startswith("file://") else None)
            started = time.perf_counter()
            page.goto((args.site / "index.html").resolve().as_uri())
            page.wait_for_selector("body[data-ready='1']")
            opened.append(time.perf_counter() - started)
            started = time.perf_counter()
            for view in VIEWS:
                page.evaluate(f"location.hash = '#{view}'")
                page.wait_for_selector(f"#view-{view}.active")
            views.append(time.perf_counter() - started)
            page.close()
            if problems:
                raise SystemExit(f"explore_load: {problems[0]}")
        browser.close()
    print(f"site {size / 1e6:.2f} MB; opened and drawn (s): {', '.join(f'{t:.3f}' for t in opened)}; "
          f"median {statistics.median(opened):.3f}")
    print(f"the other {len(VIEWS)} views drawn (s): {', '.join(f'{t:.3f}' for t in views)}; "
          f"median {statistics.median(views):.3f}")


if __name__ == "__main__":
    main()
