"""How wide text is in the maps' font, and where its lines break (used by dot.py and its maps).

    text_width("续期保费 Grow", 12, "Noto Sans CJK SC", bold=True) -> 83.6   # points
    break_lines("续期关怀：缴费提醒（含宽限期）", 20, measure) -> ["续期关怀：缴费提醒", "（含宽限期）"]

Graphviz measures text with its own font machinery and under-measures mixed Chinese/Latin text
(an HTML label's spans are placed by its estimates, so a bold title runs into the words after it
in rsvg and Chromium). So the maps measure every line themselves, with the font file fontconfig
resolves for the font name — the file `dot` (through Pango) draws with — from its `cmap` and
`hmtx` tables (fontTools), and give Graphviz the sizes. When fontconfig is missing or the font is
not installed (fontconfig would substitute another family), `font_metrics` is None and the callers
fall back to the estimate by columns (CJK two, everything else one): `estimated_width`.

Line breaking follows the usual CJK rules (kinsoku): no line starts with closing punctuation
(、，。；：！？）》」』】〉 and , . ; : ! ? ) ] }), no line ends with an opening bracket (（《「『【〈
( [ {), breaks fall at spaces and between CJK characters, and Latin words are not split unless
one is longer than a whole line.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from ..children import die_with_parent

# a glyph missing from the font is drawn from another one: estimated (emoji are ~1.25 em wide)
MISSING_WIDE = 1.25
MISSING_NARROW = 0.6
PREFER_SPACE = 2 / 3  # in mixed text, a line may end at a space when it is this full
BALANCE_STEPS = 8  # bisection steps of a balanced break (to 1/256 of the limit)

# closing punctuation: never at the start of a line; opening brackets: never at the end
CLOSING = frozenset("、，。；：！？）》」』】〉〕〗〙〛｝］％…‥・·”’,.;:!?)]}")
OPENING = frozenset("（《「『【〈〔〖〘〚｛［“‘([{")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_TOKENS = re.compile(rf"[^\s{_CJK}]+|[{_CJK}]|\s+")


# ---------------------------------------------------------------- the font file


@dataclass(frozen=True)
class FontMetrics:
    """Advance widths of one font face, in em (code point -> width)."""

    path: str
    index: int
    advances: dict[int, float]
    ascent: float  # hhea, in em: Pango's line box
    descent: float

    def width(self, text: str) -> float:
        """Width of `text` in em (no kerning: Pango's kerned text is never wider)."""
        total = 0.0
        for ch in text:
            adv = self.advances.get(ord(ch))
            if adv is None:
                adv = MISSING_WIDE if _is_wide(ch) else MISSING_NARROW
            total += adv
        return total


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


@functools.cache
def font_file(family: str, bold: bool = False) -> tuple[str, int] | None:
    """(file, face index) fontconfig resolves `family` to, or None when fontconfig is missing or
    would substitute another family (the font is not installed)."""
    exe = shutil.which("fc-match")
    if exe is None or not family.strip():
        return None
    pattern = family.replace("\\", "\\\\").replace("-", "\\-").replace(":", "\\:")
    pattern = pattern.replace(",", "\\,") + (":weight=bold" if bold else "")
    try:
        proc = subprocess.run(
            [exe, "-f", "%{family}\t%{file}\t%{index}", pattern],
            capture_output=True,
            timeout=10,
            preexec_fn=die_with_parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = proc.stdout.decode("utf-8", "replace").split("\t")
    if proc.returncode != 0 or len(parts) != 3:
        return None
    families = {f.strip().casefold() for f in parts[0].split(",")}
    if family.strip().casefold() not in families:
        return None
    try:
        return parts[1], int(parts[2] or 0)
    except ValueError:
        return None


@functools.cache
def font_metrics(family: str, bold: bool = False) -> FontMetrics | None:
    """The advance widths of `family` (bold or regular) from its font file; None without it."""
    found = font_file(family, bold)
    if found is None:
        return None
    path, index = found
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=index, lazy=True)
        upem = float(font["head"].unitsPerEm)
        hmtx = font["hmtx"].metrics
        advances = {cp: hmtx[name][0] / upem for cp, name in font.getBestCmap().items()}
        ascent, descent = font["hhea"].ascent / upem, -font["hhea"].descent / upem
        font.close()
    except Exception:  # an unreadable or unexpected font file: estimate instead
        return None
    return FontMetrics(path, index, advances, ascent, descent)


# ---------------------------------------------------------------- widths


def estimated_width(text: str) -> int:
    """Width in columns without the font: CJK (wide) characters two, all others one."""
    return sum(2 if _is_wide(c) else 1 for c in text)


@functools.lru_cache(maxsize=65536)
def text_width(text: str, size: float, family: str, bold: bool = False) -> float | None:
    """Width of one line of `text` at `size` points in `family`, in points; None without the
    font file (then Graphviz's own measurement is all there is)."""
    metrics = font_metrics(family, bold)
    if metrics is None:
        return None
    return metrics.width(text) * size


def measure_in_columns(family: str | None, bold: bool = False) -> Callable[[str], float]:
    """A measure for `break_lines` in columns (half an em: a CJK character is two), from the
    font when it is there, else the column estimate."""
    metrics = font_metrics(family, bold) if family else None
    if metrics is None:
        return estimated_width
    return lambda s: metrics.width(s) * 2


# ---------------------------------------------------------------- line breaking


@dataclass
class _Piece:
    """Text no break may fall inside (a word, a CJK character with its punctuation)."""

    text: str
    space_before: bool  # a break may fall here (the space is dropped at a line end)
    width: float = 0.0  # measured once (widths add up: no kerning)


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    space = glue_next = False
    for tok in _TOKENS.findall(text):
        if tok.isspace():
            space = True
            continue
        # a token starting with closing punctuation joins the piece before it, and so does
        # everything after an opening bracket (which cannot end a line)
        if pieces and (glue_next or tok[0] in CLOSING):
            pieces[-1].text += (" " if space else "") + tok
        else:
            pieces.append(_Piece(tok, space))
        glue_next = tok[-1] in OPENING
        space = False
    return pieces


def _may_break(text: str, at: int) -> bool:
    """May a line end before text[at]? Not before closing punctuation, not after an opening
    bracket (spaces around the break do not count)."""
    before, after = text[:at].rstrip(), text[at:].lstrip()
    return bool(before and after) and after[0] not in CLOSING and before[-1] not in OPENING


def _split_long(text: str, limit: float, measure: Callable[[str], float]) -> list[str]:
    """A piece wider than a whole line, cut into lines: at the last point that fits where the
    rules allow a break, else (a run of punctuation longer than a line) where it fits."""
    out: list[str] = []
    while text and measure(text) > limit:
        fits = 1
        while fits < len(text) and measure(text[: fits + 1]) <= limit:
            fits += 1
        cut = next((c for c in range(fits, 0, -1) if _may_break(text, c)), fits)
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        out.append(text)
    return out


def _joined(pieces: list[_Piece]) -> str:
    return "".join((" " if i and pc.space_before else "") + pc.text for i, pc in enumerate(pieces))


def _width(pieces: list[_Piece], space: float) -> float:
    """Width of pieces on one line: theirs and the spaces between them."""
    return sum(pc.width for pc in pieces) + space * sum(pc.space_before for pc in pieces[1:])


def _greedy(
    pieces: list[_Piece], limit: float, measure: Callable[[str], float], space: float
) -> list[str]:
    """Pieces in lines of at most `limit` (in `measure`'s unit; `space` is a space's width),
    greedy, following the kinsoku rules above; a piece wider than a line is cut. In mixed text a
    line ends at its last space rather than between two CJK characters when that still fills
    PREFER_SPACE of the line (`… ≥ 20%` / `(截至 2026-12-31)`, not `… (截` / `至 2026-12-31)`)."""
    lines: list[str] = []
    cur: list[_Piece] = []
    for piece in pieces:
        if cur and _width([*cur, piece], space) > limit:
            cut = len(cur)
            if not piece.space_before:  # a break between CJK characters: a space before it?
                spaces = [k for k in range(1, len(cur)) if cur[k].space_before]
                if spaces and _width(cur[: spaces[-1]], space) >= PREFER_SPACE * limit:
                    cut = spaces[-1]
            rest = cur[cut:]
            if rest and _width([*rest, piece], space) > limit:
                cut, rest = len(cur), []
            lines.append(_joined(cur[:cut]))
            cur = rest
        cur.append(piece)
        if _width(cur, space) > limit:
            *full, last = _split_long(_joined(cur), limit, measure)
            lines += full
            cur = [_Piece(last, False, measure(last))]
    if cur:
        lines.append(_joined(cur))
    return lines or [""]


def _break_score(text: str, lines: list[str]) -> tuple[int, int]:
    """(breaks between two CJK characters inside a phrase, minus breaks at phrase boundaries):
    lower is better. A phrase boundary: before an opening bracket, after closing punctuation, or
    a space between CJK and Latin text."""
    bad = phrase = 0
    pos = 0
    for line, nxt in zip(lines, lines[1:]):
        pos += len(line)
        space = text[pos : pos + 1] == " "
        pos += space
        a, b = line[-1:], nxt[:1]
        if b in OPENING or a in CLOSING or (space and _is_wide(a) != _is_wide(b)):
            phrase += 1
        elif not space:
            bad += 1
    return bad, -phrase


def break_lines(
    text: str, limit: float, measure: Callable[[str], float], balance: bool = False
) -> list[str]:
    """`text` in lines of at most `limit` (greedy, see `_greedy`). With `balance`, the lines are
    made as even as the rules allow — the narrowest limit that still gives as few lines — unless
    that breaks at worse places (`_break_score`): `拓展收入来源（服务与海` / `外）` becomes
    `拓展收入来源` / `（服务与海外）`, `Skilled retention` / `agents` becomes `Skilled` /
    `retention agents`, but `值得信赖的工业品牌` / `（Reliable）` stays. `measure` must add up
    (a text is as wide as its characters together), as advance widths and the columns do."""
    text = " ".join(text.split())
    if not text:
        return [""]
    pieces = _pieces(text)
    for pc in pieces:
        pc.width = measure(pc.text)
    space = measure(" ")
    lines = _greedy(pieces, limit, measure, space)
    if not balance or len(lines) < 2:
        return lines
    lo, hi = _width(pieces, space) / len(lines), float(limit)
    for _ in range(BALANCE_STEPS):
        mid = (lo + hi) / 2
        if len(_greedy(pieces, mid, measure, space)) <= len(lines):
            hi = mid
        else:
            lo = mid
    even = _greedy(pieces, hi, measure, space)
    return even if _break_score(text, even) <= _break_score(text, lines) else lines
