"""Blocks to a DOCX document (python-docx): styled headings, paragraphs, bullet lists,
tables with a header row, charts as PNG pictures with their caption; `**bold**` spans become
bold runs. The document's properties say what it is (title, subject, author = the caller,
created = the draft's day) and every page's footer names the sources."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from assistant.charts.render import render
from assistant.drafts.render import Block, Bullets, Chart, Heading, Paragraph, chart_caption

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
TABLE_STYLE = "Light Grid Accent 1"
CHART_WIDTH = Inches(6.3)


@dataclass(frozen=True)
class Properties:
    """The document's core properties and footer."""

    title: str
    subject: str = ""
    author: str = ""
    created: dt.date | None = None
    keywords: str = ""
    sources: list[str] = field(default_factory=list)  # the footer, one short item each


def _runs(paragraph: DocxParagraph, text: str) -> None:
    position = 0
    for match in _BOLD.finditer(text):
        if match.start() > position:
            paragraph.add_run(text[position : match.start()])
        paragraph.add_run(match.group(1)).bold = True
        position = match.end()
    if position < len(text):
        paragraph.add_run(text[position:])


def _style(document: DocxDocument) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    for name, size in (("Title", 22), ("Heading 1", 15), ("Heading 2", 12.5)):
        style = document.styles[name]
        style.font.color.rgb = _ACCENT
        style.font.size = Pt(size)


def _properties(document: DocxDocument, props: Properties) -> None:
    core = document.core_properties
    core.title = props.title
    core.subject = props.subject
    core.author = props.author
    core.last_modified_by = props.author
    core.keywords = props.keywords
    if props.created is not None:
        moment = dt.datetime.combine(props.created, dt.time(), tzinfo=dt.UTC)
        core.created = moment
        core.modified = moment
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = ""
    text = "Sources: " + "; ".join(props.sources) if props.sources else props.title
    run = footer.add_run(text)
    run.font.size = Pt(7.5)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _chart(document: DocxDocument, block: Chart) -> None:
    document.add_picture(io.BytesIO(render(block.spec, "png")), width=CHART_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = document.add_paragraph(style="Caption")
    caption.add_run(chart_caption(block.spec))


def to_docx(blocks: list[Block], props: Properties | None = None) -> bytes:
    document = Document()
    _style(document)
    if props is not None:
        _properties(document, props)
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
        elif isinstance(block, Chart):
            _chart(document, block)
        else:
            table = document.add_table(rows=1, cols=len(block.header))
            table.style = TABLE_STYLE
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
