"""Loaders: one file in, one `Document` out (Markdown-flavoured text plus metadata).

Every format is turned into text whose headings are Markdown `#` lines, so that one
structure-aware chunker serves them all. A file that cannot be read raises `LoaderError`
(with the reason); the pipeline reports it and goes on. The parsers (bs4, python-frontmatter,
pypdf, python-docx) are imported by the loaders that use them: discovery only asks
`is_supported`, and an ingest with nothing to read imports none of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import LoaderError, UnsupportedFileError
from ingest.sidecars import ExternalMetadata

_HTML_TAG = re.compile(
    r"</?(?:p|ul|ol|li|br|div|span|table|tr|td|th|b|i|strong|em|h[1-6]|a)\b[^>]*>", re.I
)
_HEADING = re.compile(r"^#{1,6}\s+\S", re.M)
_FOLDER_DOC_TYPES = {
    "playbooks": "playbook",
    "guides": "guide",
    "one-pagers": "one_pager",
    "meddicc": "meddicc",
    "account-notes": "account_note",
}


@dataclass
class Document:
    """A loaded file: `text` is Markdown-flavoured; `metadata` holds the front matter."""

    source: str
    text: str
    title: str
    doc_type: str
    tags: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    # visible only to principals who may see one of `accounts` (admins only when empty)
    restricted: bool = False


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple | set):
        return [str(item).strip() for item in value if str(item).strip()]
    return [str(value)]


def _scalar(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def html_to_markdown(html: str) -> str:
    """HTML (page or fragment) to the text a reader sees (`ingest.hidden_html`); h1-h6
    become Markdown headings, blocks become lines."""
    from bs4 import BeautifulSoup

    from ingest.hidden_html import drop_hidden

    soup = BeautifulSoup(html, "html.parser")
    drop_hidden(soup)
    for string in list(soup.find_all(string=True)):  # in HTML a line break is a space
        if "\n" in string and string.find_parent(["pre", "textarea"]) is None:
            string.replace_with(re.sub(r"\s*\n\s*", " ", str(string)))
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for item in soup.find_all("li"):
        item.insert_before("\n- ")
    for block in soup.find_all(["p", "div", "br", "tr", "table", "ul", "ol"]):
        block.insert_after("\n")
    text = soup.get_text()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _clean_markup(text: str) -> str:
    """Strip stray HTML fragments (common in text pulled out of slide decks and PDFs)."""
    if len(_HTML_TAG.findall(text)) < 2:
        return text
    return "\n".join(
        html_to_markdown(line) if _HTML_TAG.search(line) else line for line in text.splitlines()
    )


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match.group(1).strip() if match else None


def _markdown(path: Path, raw: str) -> tuple[str, dict[str, Any]]:
    import frontmatter

    try:
        post = frontmatter.loads(raw)
    except (yaml.YAMLError, ValueError) as error:
        raise LoaderError(str(path), f"invalid YAML front matter: {error}") from error
    meta = dict(post.metadata) if isinstance(post.metadata, dict) else {}
    return _clean_markup(post.content), meta


def _load_markdown(path: Path) -> tuple[str, dict[str, Any]]:
    return _markdown(path, _read_text(path))


def _load_text(path: Path) -> tuple[str, dict[str, Any]]:
    raw = _read_text(path)
    if raw.startswith("---\n") or len(_HEADING.findall(raw)) >= 2:
        return _markdown(path, raw)
    return _clean_markup(raw), {}


def _load_html(path: Path) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    raw = _read_text(path)
    soup = BeautifulSoup(raw, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    return html_to_markdown(raw), ({"title": title} if title else {})


def _load_pdf(path: Path) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise LoaderError(str(path), f"unreadable PDF: {error}") from error
    body = "\n\n".join(f"## Page {n}\n\n{text.strip()}" for n, text in enumerate(pages, 1) if text)
    return body, ({"title": title} if title else {})


def _load_docx(path: Path) -> tuple[str, dict[str, Any]]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as error:
        raise LoaderError(str(path), f"unreadable DOCX: {error}") from error
    lines: list[str] = []
    for paragraph in document.paragraphs:
        # runs formatted as hidden text (w:vanish) are not shown to a reader: not indexed
        text = "".join(run.text for run in paragraph.runs if not run.font.hidden).strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if style == "Title":
            lines.append(f"# {text}")
        elif level:
            lines.append(f"{'#' * min(int(level.group(1)) + 1, 6)} {text}")
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    title = document.core_properties.title or None
    return "\n\n".join(lines), ({"title": title} if title else {})


def _record_text(record: Any) -> str:
    if isinstance(record, dict):
        return "; ".join(f"{key}: {_scalar(value)}" for key, value in record.items())
    return _scalar(record)


def _load_csv(path: Path) -> tuple[str, dict[str, Any]]:
    raw = _read_text(path)
    try:
        rows = list(csv.DictReader(io.StringIO(raw)))
    except csv.Error as error:
        raise LoaderError(str(path), f"malformed CSV: {error}") from error
    return "\n".join(_record_text(row) for row in rows), {}


def _load_json(path: Path) -> tuple[str, dict[str, Any]]:
    raw = _read_text(path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise LoaderError(str(path), f"invalid JSON: {error}") from error
    records = data if isinstance(data, list) else [data]
    return "\n\n".join(_record_text(record) for record in records), {}


def _load_jsonl(path: Path) -> tuple[str, dict[str, Any]]:
    records = []
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise LoaderError(str(path), f"invalid JSON on line {number}: {error}") from error
    return "\n\n".join(_record_text(record) for record in records), {}


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoaderError(str(path), f"cannot read: {error.strerror or error}") from error
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise LoaderError(str(path), "binary content in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


LOADERS: dict[str, Callable[[Path], tuple[str, dict[str, Any]]]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".text": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".csv": _load_csv,
    ".json": _load_json,
    ".jsonl": _load_jsonl,
}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def load_document(
    path: Path,
    source: str | None = None,
    external: ExternalMetadata | None = None,
    account_bound_types: frozenset[str] = frozenset(),
) -> Document:
    """Load one file. Raises `UnsupportedFileError` or `LoaderError` with the reason.

    `external`: folder and sidecar metadata (`ingest.sidecars`). A document of one of the
    `account_bound_types` is restricted even without an account tag (then admins only).
    """
    source = source or path.as_posix()
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileError(source, f"unsupported file type '{path.suffix or path.name}'")
    try:
        text, meta = loader(path)
    except LoaderError as error:
        raise LoaderError(source, error.reason) from error
    except Exception as error:  # a third-party parser failing on a hostile file
        raise LoaderError(source, f"{type(error).__name__}: {error}") from error
    if external is not None:
        meta = {**external.folder, **meta, **external.sidecar}
    title = str(meta.pop("title", None) or _first_heading(text) or path.stem.replace("-", " "))
    doc_type = str(
        meta.pop("doc_type", None) or _FOLDER_DOC_TYPES.get(path.parent.name, "document")
    )
    accounts = [account.upper() for account in _as_list(meta.pop("accounts", None))]
    return Document(
        source=source,
        text=text,
        title=title,
        doc_type=doc_type,
        tags=_as_list(meta.pop("tags", None)),
        audience=_as_list(meta.pop("audience", None)),
        accounts=accounts,
        extra={key: _scalar(value) for key, value in meta.items() if value is not None},
        restricted=bool(accounts) or doc_type in account_bound_types,
    )
