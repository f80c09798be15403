"""Answers and drafts as safe HTML: Markdown rendered on the server (markdown-it-py, raw HTML
off), then sanitised (nh3, an allow-list); `[n]` markers become citation buttons.

Nothing from a document or a model reaches the page as markup: raw HTML in the Markdown is
escaped, images are never loaded (an image becomes its alt text and a link), links get
`rel="noopener noreferrer nofollow"` and open in a new tab, and only http(s) and mailto
links survive. Rendering on the server keeps the page's JavaScript to htmx and a few
handlers (no Markdown library nor sanitiser shipped to the browser).
"""

from __future__ import annotations

import html
import re
from collections.abc import Container, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a",
    "span",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "th": {"style"}, "td": {"style"}}
_MARKER = re.compile(r"\[(\d{1,3})\]")
_PARTS = re.compile(r"(<[^>]*>)")


def _image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image is not loaded: its alt text and a link to it stand in its place."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or "image"
    src = str(token.attrGet("src") or "")
    label = f'<span class="blocked-image">[image not loaded: {html.escape(alt)}]</span>'
    if src.startswith(("http://", "https://")):
        return f'{label} <a href="{html.escape(src, quote=True)}">{html.escape(src)}</a>'
    return label


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table").enable("strikethrough")
    parser.add_render_rule("image", _image)
    return parser


_MD = _parser()


def sanitise(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def render(text: str, citations: Container[int] = (), key: str = "m") -> str:
    """The Markdown `text` as sanitised HTML; each `[n]` with n in `citations` becomes a
    button opening the popover `cite-<key>-<n>` (outside code)."""
    markup = sanitise(_MD.render(text))
    if not citations:
        return markup
    out: list[str] = []
    in_code = 0
    for part in _PARTS.split(markup):
        if part.startswith("<"):
            name = part.strip("</>").split(" ")[0].lower()
            if name in ("code", "pre"):
                in_code += -1 if part.startswith("</") else 1
            out.append(part)
        elif in_code:
            out.append(part)
        else:
            out.append(_MARKER.sub(lambda m: _button(m, citations, key), part))
    return "".join(out)


def _button(match: re.Match[str], citations: Container[int], key: str) -> str:
    n = int(match.group(1))
    if n not in citations:
        return match.group(0)
    return (
        f'<button type="button" class="cite" popovertarget="cite-{key}-{n}" '
        f'aria-label="source {n}">[{n}]</button>'
    )


def plain(value: Any) -> str:
    """Any value as escaped text (tool arguments and results in tables)."""
    return html.escape(str(value))
