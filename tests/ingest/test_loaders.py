from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from assistant.errors import LoaderError, UnsupportedFileError
from ingest.loaders import html_to_markdown, load_document
from tests.conftest import SEEDS


def make_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF (with its xref table) showing `text` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + body + b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "playbooks" / "x.md"
    path.parent.mkdir()
    path.write_text(
        "---\ntitle: Renewals\ndoc_type: playbook\ntags: [renewal, risk]\naudience: cs\n"
        "accounts: [acc-001]\nupdated: 2026-10-01\n---\n# Renewals\n\nText.\n"
    )
    document = load_document(path, "knowledge/x.md")
    assert document.title == "Renewals"
    assert document.doc_type == "playbook"
    assert document.tags == ["renewal", "risk"]
    assert document.audience == ["cs"]
    assert document.accounts == ["ACC-001"]
    assert document.extra == {"updated": "2026-10-01"}
    assert document.source == "knowledge/x.md"
    assert "Text." in document.text and "title:" not in document.text


def test_doc_type_from_folder_and_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "one-pagers" / "svc.md"
    path.parent.mkdir()
    path.write_text("# Security Jumpstart\n\nBody.\n")
    document = load_document(path)
    assert (document.title, document.doc_type) == ("Security Jumpstart", "one_pager")


def test_invalid_front_matter_is_a_loader_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: [unclosed\n---\nbody\n")
    with pytest.raises(LoaderError, match="front matter"):
        load_document(path)


def test_html_headings_become_markdown(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Pricing</title><script>var x=1;</script></head><body>"
        "<h1>Pricing</h1><h2>Blocks</h2><p>One block is 40 hours.</p>"
        "<ul><li>First item</li><li>Second item</li></ul></body></html>"
    )
    document = load_document(path)
    assert document.title == "Pricing"
    assert "## Blocks" in document.text
    assert "One block is 40 hours." in document.text
    assert "- First item" in document.text
    assert "var x" not in document.text


def test_html_fragment_in_text_is_cleaned() -> None:
    text = html_to_markdown('<ul style="x"> <li>Alpha</li> <li>Beta</li></ul>')
    assert "<" not in text and "Alpha" in text and "Beta" in text


def test_pdf(tmp_path: Path) -> None:
    path = tmp_path / "deck.pdf"
    path.write_bytes(make_pdf("Renewal rate target is 80 percent"))
    document = load_document(path)
    assert "## Page 1" in document.text
    assert "Renewal rate target is 80 percent" in document.text


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    word = docx.Document()
    word.add_heading("Success Plan", level=0)
    word.add_heading("Objectives", level=1)
    word.add_paragraph("Reach 60% active usage.")
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "KPI"
    table.rows[0].cells[1].text = "CSAT 4.6"
    word.save(str(path))
    document = load_document(path)
    assert document.title == "Success Plan"
    assert "## Objectives" in document.text
    assert "Reach 60% active usage." in document.text
    assert "KPI | CSAT 4.6" in document.text


def test_csv_json_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,name\nACC-1,Northwind\n")
    (tmp_path / "b.json").write_text(json.dumps([{"id": "OPP-1", "stage": "demo"}]))
    (tmp_path / "c.jsonl").write_text('{"q": "one"}\n\n{"q": "two"}\n')
    assert "id: ACC-1; name: Northwind" in load_document(tmp_path / "a.csv").text
    assert "stage: demo" in load_document(tmp_path / "b.json").text
    assert load_document(tmp_path / "c.jsonl").text == "q: one\n\nq: two"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.json", b"{not json", "invalid JSON"),
        ("broken.jsonl", b'{"a": 1}\n{oops\n', "line 2"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("broken.docx", b"not a zip", "DOCX"),
        ("binary.txt", b"\x00\x01\x02\x03" * 10, "binary"),
    ],
)
def test_unreadable_files_raise_with_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoaderError) as raised:
        load_document(path)
    assert reason in raised.value.reason
    assert raised.value.path == str(path)


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG")
    with pytest.raises(UnsupportedFileError, match=r"unsupported file type '\.png'"):
        load_document(path)


def test_non_utf8_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\xe9 cr\xe8me".encode("cp1252"))
    assert load_document(path).text == "Café crème"


@pytest.mark.skipif(not SEEDS.exists(), reason="seed documents not available")
def test_every_seed_document_loads() -> None:
    seeds = sorted(p for p in SEEDS.iterdir() if p.is_file())
    assert len(seeds) >= 5
    texts = {p.name: load_document(p).text for p in seeds}
    assert all(len(text) > 200 for text in texts.values())
    joined = "\n".join(texts.values())
    assert "<li" not in joined and "<ul" not in joined  # HTML fragments cleaned
    assert any("\u4e00" <= ch <= "\u9fff" for ch in joined)  # the Chinese report survives
    mind_map = next(load_document(p) for p in seeds if p.read_text().startswith("---"))
    assert "## Professional Services" in mind_map.text
