"""Blocks to a DOCX document (python-docx): headings, paragraphs, bullet lists and tables;
`**bold**` spans become bold runs."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.text.paragraph import Paragraph as DocxParagraph

from assistant.drafts.render import Block, Bullets, Heading, Paragraph

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _runs(paragraph: DocxParagraph, text: str) -> None:
    position = 0
    for match in _BOLD.finditer(text):
        if match.start() > position:
            paragraph.add_run(text[position : match.start()])
        paragraph.add_run(match.group(1)).bold = True
        position = match.end()
    if position < len(text):
        paragraph.add_run(text[position:])


def to_docx(blocks: list[Block]) -> bytes:
    document = Document()
    for block in blocks:
        if isinstance(block, Heading):
            document.add_heading(
                block.text, level=min(block.level - 1, 9) if block.level > 1 else 0
            )
        elif isinstance(block, Paragraph):
            _runs(document.add_paragraph(), block.text)
        elif isinstance(block, Bullets):
            style = "List Number" if block.numbered else "List Bullet"
            for item in block.items:
                _runs(document.add_paragraph(style=style), item)
        else:
            table = document.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(text).bold = True
            for row in block.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    _runs(cell.paragraphs[0], text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
