"""Structure-aware chunking: Markdown headings become the section path of each chunk.

Hard-wrapped paragraphs and list items (a text file or an HTML page wrapped at 80 columns)
are put back on one line first, so a size split never cuts a sentence at a wrap and the
sentences quoted from a chunk are whole."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from ingest.loaders import Document
from ingest.sentences import sentence_spans, unwrap

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document. `index_text` (section path + text) is what gets embedded;
    `sentence_spans` are the character spans of `text`'s sentences inside `index_text`."""

    id: str
    text: str
    index_text: str
    metadata: dict[str, Any]
    sentence_spans: tuple[tuple[int, int], ...] = ()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def section_path(title: str, headers: dict[str, str]) -> str:
    """ "Title > Section > Subsection"; an H1 that repeats the title is not repeated."""
    parts = [title]
    for _, key in _HEADERS:
        heading = (headers.get(key) or "").strip()
        if heading and heading.lower() != parts[-1].lower():
            parts.append(heading)
    return " > ".join(parts)


def chunk_document(
    document: Document, chunk_size: int, chunk_overlap: int, file_hash: str
) -> list[Chunk]:
    """Split by headings first, then by size (with overlap) inside each section."""
    header_splitter = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
    size_splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=["\n\n", "\n", "。", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    source_key = sha256(document.source)[:12]
    chunks: list[Chunk] = []
    for section in header_splitter.split_text(unwrap(document.text)):
        path = section_path(document.title, section.metadata)
        for piece in size_splitter.split_text(section.page_content):
            text = piece.strip()
            if not text:
                continue
            position = len(chunks)
            content_hash = sha256(text)
            metadata: dict[str, Any] = {
                "source": document.source,
                "title": document.title,
                "section": path,
                "doc_type": document.doc_type,
                "position": position,
                "content_hash": content_hash,
                "file_hash": file_hash,
                "restricted": document.restricted or bool(document.accounts),
            }
            # Chroma rejects empty lists, so list fields are present only when they hold values.
            for key, values in (
                ("tags", document.tags),
                ("audience", document.audience),
                ("accounts", document.accounts),
            ):
                if values:
                    metadata[key] = list(values)
            shift = len(path) + 1
            chunks.append(
                Chunk(
                    id=f"{source_key}-{position:04d}-{content_hash[:10]}",
                    text=text,
                    index_text=f"{path}\n{text}",
                    metadata=metadata,
                    sentence_spans=tuple(
                        (a + shift, b + shift) for a, b, _ in sentence_spans(text)
                    ),
                )
            )
    return chunks
