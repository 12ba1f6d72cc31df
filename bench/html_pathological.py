"""HTML that costs the page-chrome pass (service/html_text.py) the most: stray close tags under open ones,
deeply nested chrome, links and headings, beside a flat article page (the baseline, same process): seconds
of `clean_text`, and seconds per MB as a multiple of the flat page's.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.html_pathological
"""

from __future__ import annotations

import time

from service.text import clean_text

FLAT = "<html><body><article>" + "<p>Some sentence about the council budget here.</p>" * 15_000 + "</article>"
CASES = {
    "unclosed divs + stray closes": "<div>" * 100_000 + "</span>" * 100_000,
    "nested chrome": "<p>" + "<div class=nav>x" * 60_000,
    "nested links": "<ul>" + "<li><a>x" * 60_000,
    "nested h1": "<h1>x" * 100_000,
    # after two tags (so it reads as HTML), "<"s that no ">" follows: each was once scanned to the end
    "tags never closed": "<p>x</p><p>y</p>" + '<a "' * 50_000,
    "quotes never closed": "<p>x</p><p>y</p>" + "<b x='" * 50_000,
    "comments never closed": "<p>x</p><p>y</p>" + "<!--" * 50_000,
    "scripts never closed": "<p>x</p><p>y</p>" + "<script>" * 50_000,
}


def main() -> None:
    def per_mb(html: str) -> float:
        t = time.perf_counter()
        clean_text(html)
        return (time.perf_counter() - t) / (len(html) / 1e6)

    base = per_mb(FLAT)
    print(f"flat page: {len(FLAT) / 1e6:.2f} MB, {base:.2f} s/MB")
    for name, html in CASES.items():
        s = per_mb(html)
        print(f"{name}: {len(html) / 1e6:.2f} MB, {s:.2f} s/MB, {s / base:.1f}x the flat page", flush=True)


if __name__ == "__main__":
    main()
