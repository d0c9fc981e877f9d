"""Decoding 大众点评's SVG glyph sprites (docs/sources.md §12): the characters a review page
draws as ``<svgmtsi class="xq3ab">`` elements instead of writing them.

The page links a stylesheet (its address has ``svgtextcss`` in it) holding, per sprite, a rule
``svgmtsi[class^="xq"]{width: 14px; …; background-image: url(//…/abc.svg); …}`` and one rule
per class ``.xq3ab{background:-98.0px -745.0px;}``. The SVG holds the characters in rows,
either ``<text x="0" y="41">字字字…</text>`` (``x`` may list one position per character) or
``<textPath xlink:href="#1">字字字…</textPath>`` over ``<path id="1" d="M0 41 H600"/>``, in
a font size given by its style (``font-size:14px``).

A class's character is deterministic: the row is the first one (rows in order of ``y``) whose
baseline ``y`` is at or below the offset ``|Y|`` (the glyph's box starts above its baseline),
the column is ``|X|`` divided by the font size (or the character whose listed ``x`` is
``|X|``). Anything that does not fit exactly (no such row, a column that is not a whole
number or is past the row's end, no font size) is not decoded: the character stays hidden
(``□``), never guessed.

The per-page web font variant (code points of the private use area, ``<svgmtsi
class="review">&#xe0b3;</svgmtsi>``) is not decoded: its font maps each code point to an
outline named after the code point itself (``uniE0B3``), so reading the character would need
a reference table from glyph shapes to characters, which is not public and changes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

MAX_CSS_BYTES = 1_000_000
MAX_SVG_BYTES = 2_000_000
MAX_CLASSES = 20_000
MAX_SPRITES = 8
MAX_ROWS = 2_000
_NUMBER = r"-?\d{1,6}(?:\.\d{1,4})?"
_SPRITE = re.compile(r'svgmtsi\[class\^=["\']?([A-Za-z0-9_-]{1,16})["\']?\]\s*\{([^{}]{0,2000})\}')
_IMAGE = re.compile(r"background-image\s*:\s*url\(\s*['\"]?([^'\")\s]{1,500})['\"]?\s*\)")
_WIDTH = re.compile(r"(?<![-\w])width\s*:\s*(\d{1,3}(?:\.\d{1,4})?)px")
_POSITION = re.compile(rf"\.([A-Za-z0-9_-]{{1,32}})\s*\{{\s*background\s*:\s*({_NUMBER})px\s+"
                       rf"({_NUMBER})px\s*;?\s*\}}")
_FONT_SIZE = re.compile(r"font-size\s*:\s*(\d{1,3}(?:\.\d{1,4})?)px")
_MOVE = re.compile(rf"^\s*M\s*({_NUMBER})[\s,]+({_NUMBER})")
_XLINK = "{http://www.w3.org/1999/xlink}href"


@dataclass(slots=True)
class Sprite:
    prefix: str
    svg: str            # the SVG's address as the stylesheet writes it
    width: float | None  # the glyph box width the stylesheet gives


@dataclass(slots=True)
class SpriteSheet:
    """What a glyph stylesheet says: the sprites (by class prefix) and each class's offset."""
    sprites: list[Sprite] = field(default_factory=list)
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(slots=True)
class Row:
    y: float
    text: str
    xs: list[float]  # one per character when the SVG lists them, else [x of the first]


@dataclass(slots=True)
class SvgRows:
    rows: list[Row]
    font_size: float | None


def parse_css(text: str) -> SpriteSheet:
    sheet = SpriteSheet()
    text = text[:MAX_CSS_BYTES]
    for match in _SPRITE.finditer(text):
        image = _IMAGE.search(match[2])
        if image and len(sheet.sprites) < MAX_SPRITES:
            width = _WIDTH.search(match[2])
            sheet.sprites.append(Sprite(match[1], image[1], float(width[1]) if width else None))
    for match in _POSITION.finditer(text):
        if len(sheet.positions) >= MAX_CLASSES:
            break
        sheet.positions[match[1]] = (abs(float(match[2])), abs(float(match[3])))
    return sheet


def parse_svg(body: bytes) -> SvgRows:
    """The rows of characters in a sprite SVG; ``ValueError`` when it is not readable SVG.
    Entities are not resolved; a row holding anything but plain text (an entity, an element)
    is left out, since its characters' positions are then unknown."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False)
    try:
        root = etree.fromstring(body[:MAX_SVG_BYTES], parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not readable SVG: {exc}") from exc
    paths = {}
    for node in root.iter("{*}path"):
        move = _MOVE.match(node.get("d") or "")
        if node.get("id") and move:
            paths[node.get("id")] = (float(move[1]), float(move[2]))
    rows: list[Row] = []
    for text in root.iter("{*}text"):
        if len(rows) >= MAX_ROWS:
            break
        on_path = text.find("{*}textPath")
        if on_path is not None:
            start = paths.get((on_path.get(_XLINK) or on_path.get("href") or "").lstrip("#"))
            if start and on_path.text and len(on_path) == 0:
                rows.append(Row(start[1], on_path.text.strip(), [start[0]]))
            continue
        xs, y = _numbers(text.get("x") or "0"), _numbers(text.get("y") or "")
        if text.text and xs is not None and y and len(text) == 0:
            rows.append(Row(y[0], text.text.strip(), xs))
    rows.sort(key=lambda row: row.y)
    return SvgRows(rows, _font_size(root))


def _numbers(value: str) -> list[float] | None:
    try:
        return [float(v) for v in value.replace(",", " ").split()][:MAX_CLASSES]
    except ValueError:
        return None


def _font_size(root: etree._Element) -> float | None:
    for style in root.iter("{*}style"):
        size = _FONT_SIZE.search(style.text or "")
        if size:
            return float(size[1])
    for node in (root, *root.iter("{*}text")):
        size = node.get("font-size")
        if size and re.fullmatch(r"\d{1,3}(?:\.\d{1,4})?(?:px)?", size):
            return float(size.removesuffix("px"))
    return None


class GlyphMap:
    """Class name → character for the sprites of one stylesheet (``svgs``: each sprite's
    rows by its SVG address; a sprite whose SVG could not be read decodes nothing)."""

    def __init__(self, sheet: SpriteSheet, svgs: dict[str, SvgRows]):
        self.sheet, self.svgs = sheet, svgs
        self._cache: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self.sheet.positions)

    def char(self, name: str) -> str | None:
        """The character the class ``name`` draws, or None when it cannot be read exactly."""
        if name not in self._cache:
            self._cache[name] = self._decode(name)
        return self._cache[name]

    def _decode(self, name: str) -> str | None:
        position = self.sheet.positions.get(name)
        sprites = [s for s in self.sheet.sprites if name.startswith(s.prefix)]
        if position is None or not sprites:
            return None
        sprite = max(sprites, key=lambda s: len(s.prefix))
        rows = self.svgs.get(sprite.svg)
        if rows is None:
            return None
        x, y = position
        row = next((r for r in rows.rows if r.y >= y), None)
        if row is None:
            return None
        if len(row.xs) > 1:
            column = next((i for i, at in enumerate(row.xs) if abs(at - x) < 0.5), None)
        else:
            size = rows.font_size or sprite.width
            if not size:
                return None
            exact = (x - row.xs[0]) / size
            column = round(exact) if abs(exact - round(exact)) < 0.01 else None
        if column is None or not 0 <= column < len(row.text):
            return None
        character = row.text[column]
        return character if character.isprintable() and not character.isspace() else None
