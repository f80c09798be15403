"""Drop the parts of an HTML page a reader does not see.

Hidden text is a common carrier for instructions aimed at an assistant, and a reader cannot
check it, so it is never indexed. Removed: `<script>`, `<style>`, `<template>` and the like;
elements with the `hidden` attribute or `aria-hidden="true"`; `<input type=hidden>`; and
elements whose inline style, or a simple rule of a `<style>` block, says `display:none`,
`visibility:hidden|collapse`, a zero font size, or a text colour equal to the background
colour (the nearest one set on the element or an ancestor; white when none is).
"""

from __future__ import annotations

import re

import webcolors
from bs4 import BeautifulSoup, Tag

_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head", "object", "embed"]
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ZERO = re.compile(r"^0*\.?0*(?:px|pt|em|rem|%|vw|vh|ex|ch)?$")
_DEFAULT_BACKGROUND = "#ffffff"


def parse_style(style: str) -> dict[str, str]:
    declarations: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            value = value.replace("!important", "").strip().lower()
            declarations[name.strip().lower()] = value
    return declarations


def normalise_colour(value: str | None) -> str | None:
    """`#rrggbb` for #rgb, #rrggbb, rgb()/rgba() (opaque) and the CSS colour names (webcolors);
    "transparent"; None otherwise."""
    if not value:
        return None
    value = value.strip().lower()
    try:
        if value.startswith("#"):
            return str(webcolors.normalize_hex(value))
        return str(webcolors.name_to_hex(value))  # the 148 CSS names
    except ValueError:
        pass
    match = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)", value)
    if match:
        if match.group(4) is not None and float(match.group(4)) == 0:
            return "transparent"
        return "#" + "".join(f"{min(int(match.group(n)), 255):02x}" for n in (1, 2, 3))
    if value == "transparent":
        return "transparent"
    return None


def _background(declarations: dict[str, str]) -> str | None:
    if "background-color" in declarations:
        return normalise_colour(declarations["background-color"])
    if "background" in declarations:
        for word in declarations["background"].split():
            colour = normalise_colour(word)
            if colour is not None:
                return colour
    return None


def _hides(declarations: dict[str, str]) -> bool:
    if declarations.get("display", "").startswith("none"):
        return True
    if declarations.get("visibility", "") in ("hidden", "collapse"):
        return True
    size = declarations.get("font-size")
    if size is not None and _ZERO.match(size.replace(" ", "")):
        return True
    return declarations.get("opacity", "").strip() in ("0", "0.0", ".0")


def _styles(soup: BeautifulSoup) -> dict[int, dict[str, str]]:
    """Each element's declarations: `<style>` rules first, then its inline style on top."""
    found: dict[int, dict[str, str]] = {}
    for block in soup.find_all("style"):
        css = _COMMENT.sub("", block.get_text())
        for selectors, body in _RULE.findall(css):
            declarations = parse_style(body)
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector or selector.startswith("@") or ":" in selector:
                    continue
                try:
                    elements = soup.select(selector)
                except Exception:  # a selector soupsieve does not support: ignore the rule
                    continue
                for element in elements:
                    found.setdefault(id(element), {}).update(declarations)
    for element in soup.find_all(style=True):
        found.setdefault(id(element), {}).update(parse_style(str(element.get("style", ""))))
    return found


def _is_hidden(element: Tag, styles: dict[int, dict[str, str]]) -> bool:
    if element.has_attr("hidden") or str(element.get("aria-hidden", "")).lower() == "true":
        return True
    if element.name == "input" and str(element.get("type", "")).lower() == "hidden":
        return True
    declarations = styles.get(id(element))
    if not declarations:
        return False
    if _hides(declarations):
        return True
    colour = normalise_colour(declarations.get("color"))
    if colour is None or colour == "transparent":
        return colour == "transparent"
    return colour == _effective_background(element, styles)


def _effective_background(element: Tag, styles: dict[int, dict[str, str]]) -> str:
    node: Tag | None = element
    while node is not None:
        background = _background(styles.get(id(node), {}))
        if background is not None and background != "transparent":
            return background
        parent = node.parent
        node = parent if isinstance(parent, Tag) else None
    return _DEFAULT_BACKGROUND


def drop_hidden(soup: BeautifulSoup) -> int:
    """Remove what a reader does not see from `soup` (in place); how many elements went."""
    styles = _styles(soup)
    removed = 0
    for tag in soup.find_all(_INVISIBLE_TAGS):
        tag.decompose()
        removed += 1
    for element in list(soup.find_all(True)):
        if element.decomposed:
            continue
        if _is_hidden(element, styles):
            element.decompose()
            removed += 1
    return removed
