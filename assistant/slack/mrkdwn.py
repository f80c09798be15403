"""Markdown (what the engines write) to Slack mrkdwn, parsed with markdown-it-py.

Bold becomes `*bold*`, emphasis `_em_`, strike `~s~`, links `<url|text>`, headings a bold
line, lists `•` / `1.` (indented when nested), quotes `>`, code as code, and a table a
preformatted block with aligned columns (Slack has no tables). `&`, `<` and `>` are escaped
everywhere except inside the link syntax itself. `split()` cuts a long text at paragraph
boundaries into pieces a section block takes (3,000 characters).
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

SECTION_LIMIT = 3000
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """The mrkdwn text of a Markdown text."""
    root = SyntaxTreeNode(_PARSER.parse(markdown))
    blocks = [_block(node) for node in root.children]
    return "\n\n".join(b for b in blocks if b).strip()


def split(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut between paragraphs (then lines, then hard)."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(paragraph) > limit:
            cut = paragraph.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip("\n")
        current = paragraph
    if current:
        pieces.append(current)
    return pieces


def _inline(node: SyntaxTreeNode) -> str:
    out: list[str] = []
    for child in node.children:
        kind = child.type
        if kind == "text":
            out.append(escape(child.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(f"`{escape(child.content)}`")
        elif kind == "strong":
            out.append(_wrap("*", _inline(child)))
        elif kind == "em":
            out.append(_wrap("_", _inline(child)))
        elif kind == "s":
            out.append(_wrap("~", _inline(child)))
        elif kind == "link":
            href = str(child.attrs.get("href", ""))
            label = _inline(child)
            out.append(
                f"<{_url(href)}|{label}>" if label and label != escape(href) else f"<{_url(href)}>"
            )
        elif kind == "image":
            out.append(f"<{_url(str(child.attrs.get('src', '')))}|{escape(child.content)}>")
        elif kind in ("html_inline",):
            out.append(escape(child.content))
        else:
            out.append(_inline(child) if child.children else escape(child.content))
    return "".join(out)


def _wrap(mark: str, text: str) -> str:
    """`*text*` with the marks outside surrounding spaces (Slack needs them on the word)."""
    stripped = text.strip()
    if not stripped:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _url(href: str) -> str:
    return href.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _block(node: SyntaxTreeNode, depth: int = 0) -> str:
    kind = node.type
    if kind == "paragraph":
        return "".join(_inline(child) for child in node.children)
    if kind == "inline":
        return _inline(node)
    if kind == "heading":
        text = "".join(_inline(child) for child in node.children)
        return _wrap("*", text)
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, depth)
    if kind in ("fence", "code_block"):
        return f"```\n{escape(node.content.rstrip())}\n```"
    if kind == "blockquote":
        inner = "\n\n".join(_block(child, depth) for child in node.children)
        return "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
    if kind == "hr":
        return "\u2014" * 8
    if kind == "table":
        return _table(node)
    if kind in ("html_block",):
        return escape(node.content.strip())
    return "\n\n".join(_block(child, depth) for child in node.children)


def _list(node: SyntaxTreeNode, depth: int) -> str:
    lines: list[str] = []
    start = int(str(node.attrs.get("start", 1) or 1))
    indent = "    " * depth
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}." if node.type == "ordered_list" else "\u2022"
        parts: list[str] = []
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                parts.append(_list(child, depth + 1))
            else:
                text = _block(child, depth + 1)
                pad = indent + " " * (len(marker) + 1)
                parts.append(text.replace("\n", "\n" + pad))
        first, *rest = parts or [""]
        lines.append(f"{indent}{marker} {first}")
        lines.extend(rest)
    return "\n".join(lines)


def _plain(node: SyntaxTreeNode) -> str:
    """A table cell's text, without mrkdwn marks (it goes into a preformatted block)."""
    out: list[str] = []
    for child in node.children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        else:
            out.append(_plain(child))
    return "".join(out)


def _table(node: SyntaxTreeNode) -> str:
    rows: list[list[str]] = []
    for section in node.children:  # thead, tbody
        for row in section.children:
            rows.append([_plain(cell).strip() for cell in row.children])
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]

    def line(row: list[str]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    rendered = [line(rows[0]), "-+-".join("-" * width for width in widths)]
    rendered += [line(row) for row in rows[1:]]
    body = "\n".join(r.rstrip() for r in rendered)
    return f"```\n{escape(body)}\n```"
