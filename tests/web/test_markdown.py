"""Markdown to safe HTML: no markup from the text, no remote images, safe links, citation
buttons only for the answer's citations and never in code."""

from __future__ import annotations

from assistant.web.markdown import render
from assistant.web.views import highlight_needs_input

HOSTILE = (
    "Read this <script>alert(1)</script> and <img src=x onerror=alert(2)>.\n\n"
    "![pixel](https://tracker.example/p.png) [click](javascript:alert(3)) "
    "[docs](https://docs.example/a) <a href='https://x.example' onclick='alert(4)'>x</a>"
)


def test_hostile_markup_is_text() -> None:
    html = render(HOSTILE)
    assert (
        "<script" not in html
        and "<img" not in html
        and "onerror=" not in html.replace("onerror=alert(2)&gt;", "")
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onclick" not in html.replace("onclick='alert(4)'&gt;", "").replace(
        "onclick=&#39;alert(4)&#39;&gt;", ""
    )
    assert "javascript:" not in html.replace("[click](javascript:alert(3))", "")
    assert "[image not loaded: pixel]" in html
    assert (
        '<a href="https://docs.example/a" target="_blank" rel="noopener noreferrer nofollow">'
        in html
    )


def test_citation_markers_become_buttons() -> None:
    html = render("Live in 30 days [1], trained [2] and `[1]` in code; [7] unknown.", {1, 2}, "k")
    assert html.count("<button") == 2
    assert 'popovertarget="cite-k-1"' in html and 'popovertarget="cite-k-2"' in html
    assert "<code>[1]</code>" in html and "[7]" in html


def test_needs_input_fields_are_marked() -> None:
    html = highlight_needs_input(render("- Sponsor: **Needs input:** name the sponsor\n- Go"))
    assert '<mark class="needs-input"><strong>Needs input:</strong> name the sponsor</mark>' in html
