"""The CJK font the PDF briefing is set in: a TrueType font installed from Debian's packages,
never fetched at run time. ReportLab embeds TrueType outlines only, so the font is
WenQuanYi Micro Hei (``fonts-wqy-microhei``) or Zen Hei (``fonts-wqy-zenhei``); the Noto CJK
collection is OpenType/CFF, which ReportLab cannot embed. ``KOUBEI_CJK_FONT`` names another
TrueType file (``.ttf`` or ``.ttc``, first face) instead.

``cjk_font()`` registers it once and returns its name; ``FontMissing`` says how to install it.
``python -m web.reports.fonts`` checks it (``make install`` runs that).
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from web.exceptions import FontMissing

FONT_NAME = "KoubeiCJK"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
INSTALL = "apt-get install fonts-wqy-microhei"


def font_path() -> Path:
    """The font file to use; ``FontMissing`` naming what was looked for and how to fix it."""
    chosen = os.environ.get("KOUBEI_CJK_FONT")
    if chosen:
        if Path(chosen).is_file():
            return Path(chosen)
        raise FontMissing(f"KOUBEI_CJK_FONT={chosen}: no such file")
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("no CJK font for the PDF briefing: looked for "
                      + ", ".join(CANDIDATES) + f"; install Debian's font with `{INSTALL}` "
                      "(or set KOUBEI_CJK_FONT to a TrueType .ttf/.ttc file)")


def cjk_font() -> str:
    """Register the CJK font with ReportLab (once per file) and return its name;
    ``FontMissing`` when there is none."""
    return _register(str(font_path()))


@lru_cache(maxsize=4)
def _register(path: str) -> str:
    try:
        name = f"{FONT_NAME}-{Path(path).stem}"
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except TTFError as exc:
        raise FontMissing(f"{path}: not a TrueType font ReportLab can embed ({exc}); "
                          f"install `{INSTALL}`") from None
    return name


if __name__ == "__main__":
    try:
        print(f"CJK font for PDF briefings: {font_path()} ({cjk_font()})")
    except FontMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
