"""The playbook in a real browser (headless Chromium) and printed to PDF (WeasyPrint), per example.

- Chromium loads the page with no console messages (errors, failed loads) and the DOM after load
  holds every section and one card per play; a screenshot is produced; Chromium prints it too.
- The WeasyPrint PDF has a page per play plus the fixed sections, its Chinese text is extractable
  and the CJK font is embedded; no page of it is nearly empty, and every chapter heading and play
  title shares its page with what follows it (read from the words' boxes, `pdftotext -bbox`).
"""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from stratlang.backends.base import Options
from stratlang.backends.html import build_view, render_pdf, render_playbook
from stratlang.check import check_entry

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ENTRIES = {
    "spec_example": ROOT / "tests" / "data" / "spec_example" / "wealth.strat",
    "bank_wealth": ROOT / "examples" / "bank_wealth" / "main.strat",
    "customer_equity": ROOT / "examples" / "customer_equity" / "main.strat",
    "telecom_winback": ROOT / "examples" / "telecom_winback" / "main.strat",
}
SECTIONS = (
    "cover",
    "toc",
    "targets",
    "maps",
    "segments",
    "plays",
    "channels",
    "initiatives",
    "warnings",
)
# cover, targets, a page per map (strategy, playbook, lifecycle), segments, channel plan (the
# chapters after the channel plan follow on its page)
FIXED_PAGES = 7
MM = 72 / 25.4  # PDF points per millimetre


def chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def console_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]


@pytest.fixture(scope="module", params=sorted(ENTRIES))
def built(request, tmp_path_factory):
    entry = ENTRIES[request.param]
    res = check_entry(entry)
    errors = [d for d in res.diagnostics if d.severity.name == "ERROR"]
    assert not errors, [f"{d.code} {d.message}" for d in errors]
    out = tmp_path_factory.mktemp(request.param)
    html = render_playbook(res.model, Options(warnings=list(res.diagnostics)))
    page = out / "playbook.html"
    page.write_text(html, encoding="utf-8")
    return {"name": request.param, "model": res.model, "html": html, "page": page, "out": out}


def test_console_catches_errors(tmp_path):
    """The console check can fail: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFn();</script></body></html>", encoding="utf-8")
    r = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", bad.as_uri())
    assert any("Uncaught" in ln for ln in console_lines(r.stderr))


def test_loads_in_chromium_without_console_errors(built):
    r = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", built["page"].as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert console_lines(r.stderr) == []
    dom = r.stdout
    for s in SECTIONS:
        assert f'id="{s}"' in dom, s
    cards = re.findall(r'<article class="card" id="play-', dom)
    assert len(cards) == len(built["model"].plays)
    assert built["model"].strategy.label.split()[0] in dom
    # the three maps drawn inline (the map backend is present): strategy, playbook, lifecycle;
    # a map taller than a printed page comes in tiles (data-tile="i/n", map_pages.py)
    maps = re.findall(r'<svg[^>]*class="map"[^>]*>', dom)
    assert len([m for m in maps if "data-tile" not in m or 'data-tile="1/' in m]) == 3


def test_screenshot(built):
    shot = built["out"] / "shot.png"
    r = chromium(
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        "--hide-scrollbars",
        built["page"].as_uri(),
    )
    assert r.returncode == 0, r.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_chromium_prints_it(built):
    pdf = built["out"] / "chromium.pdf"
    r = chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", built["page"].as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert _pages(pdf) >= len(built["model"].plays) + FIXED_PAGES


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _weasyprint(built) -> Path:
    pdf = built["out"] / "playbook.pdf"
    if not pdf.exists():
        pdf.write_bytes(render_pdf(built["html"], Options()))
    return pdf


def test_weasyprint_pdf(built):
    pdf = _weasyprint(built)
    model = built["model"]
    assert _pages(pdf) >= len(model.plays) + FIXED_PAGES
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for p in model.plays.values():
        assert p.label in text.replace("\n", ""), p.label
    if re.search(r"[\u4e00-\u9fff]", built["html"]):
        # the Chinese text is extractable, and the CJK font is embedded
        assert re.search(r"[\u4e00-\u9fff]", text)
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        cjk = [ln for ln in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK", ln)]
        assert cjk and all(ln.split()[-5] == "yes" for ln in cjk), fonts


# ------------------------------------------------------------------ print layout, from the PDF

Word = tuple[float, float, float, float, str]  # x0, y0 (top), x1, y1 (bottom), text


def pdf_pages(pdf: Path) -> list[tuple[float, float, list[Word]]]:
    """Per page: its width, its height and the words of its body (the running header and the
    page number, which sit in the page margins, left out), in points from the top."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for pm in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        w, h = float(pm.group(1)), float(pm.group(2))
        words = [
            (float(a), float(b), float(c), float(d), htmllib.unescape(t))
            for a, b, c, d, t in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                pm.group(3),
            )
        ]
        # the margins are 14–16 mm: the header ends above 12.5 mm, the footer starts below
        pages.append((w, h, [x for x in words if 12.5 * MM < x[1] < h - 14 * MM]))
    return pages


def headings(body: list[Word]) -> list[tuple[str, float]]:
    """The lines set in the h2 size (16 pt: boxes 21–26 pt high) -> (text, bottom)."""
    lines: dict[int, list[Word]] = {}
    for x in body:
        if 21 <= x[3] - x[1] <= 26:
            lines.setdefault(round(x[1]), []).append(x)
    return [(" ".join(x[4] for x in sorted(ws)), max(x[3] for x in ws)) for ws in lines.values()]


def test_no_page_is_nearly_empty(built):
    """Every text page holds at least two lines and uses at least a tenth of its height: no page
    of only a heading, a short table, or one line carried over. (The landscape pages are the
    maps, mostly drawing; how a map is cut into pages is the map layout's to test.)"""
    for n, (w, h, body) in enumerate(pdf_pages(_weasyprint(built)), 1):
        if w > h:
            continue
        lines = {round(x[1]) for x in body}
        fill = (max(x[3] for x in body) - 14 * MM) / (h - 29 * MM) if body else 0.0
        assert len(lines) >= 2 and fill >= 0.10, (built["name"], n, fill, body[:3])


def test_headings_share_their_page_with_what_follows(built):
    """Each chapter heading and each play title is on the same page as the first thing under it."""
    model = built["model"]
    view = build_view(model, Options())
    titles = [title for anchor, title in view["sections"] if anchor != "plays"]
    titles += [p.label for p in model.plays.values()]
    pages = pdf_pages(_weasyprint(built))
    for title in titles:
        found = [
            (n, bottom, body)
            for n, (_, _, body) in enumerate(pages, 1)
            for text, bottom in headings(body)
            if text == title or text.startswith(title + " ")
        ]
        assert found, (built["name"], title)
        for n, bottom, body in found:
            below = [x for x in body if x[1] > bottom + 1]
            assert below, (built["name"], title, f"alone at the foot of page {n}")
