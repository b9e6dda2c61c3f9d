"""Readers: HTML pages and PDFs in a corpus, their provenance, and the bad ones refused in one line."""
from __future__ import annotations

import io

import pytest

from analysis.cli import main
from analysis.corpus import read_corpus
from analysis.errors import CorpusError
from analysis.readers import document_lines, html_lines, pdf_lines
from tests.conftest import make_pdf, write_manifest

PAGE = b"""<!DOCTYPE html><html><head><title>Court news</title><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> | <a href="/news">News</a></nav><header>The Court's English site</header>
<article><h1>Work Report of the Court</h1>
<p>The court heard <b>1,200</b> cases<br>in 2023 and protected minors.</p>
<div>The court protected the environment and punished fraud.<p>It served private enterprises.</p></div>
<ul><li>Protect minors.</li><li>Protect the <i>environment</i>.</li></ul>
<script>var tracking = 1;</script><!-- a comment --></article>
<footer>Copyright 2023 The Court. All rights reserved.</footer></body></html>"""


def test_html_keeps_the_elements_in_order_one_per_line():
    lines, notes = html_lines(PAGE, "page.html")
    assert lines == ["Work Report of the Court", "The court heard 1,200 cases in 2023 and protected minors.",
                     "The court protected the environment and punished fraud.", "It served private enterprises.",
                     "Protect minors.", "Protect the environment."]
    assert notes == [(1, "6 text elements, one per line; left out: 1 <footer>, 1 <head>, 1 <header>, 1 <nav>, "
                         "1 <script>")]


def test_html_and_pdf_documents_in_a_corpus(tmp_path):
    pdf = make_pdf([["Report on the Work of the Court", "The court heard 1,200 cases in 2023.",
                     "It protected minors, the environment, private enterprises and families of",
                     "every kind across the country."],
                    ["It punished telecom fraud.", "It served national security."]])
    manifest = write_manifest(tmp_path / "c", [
        {"doc_id": "page-2023", "file": "page.HTML", "date": "2023-03-01", "content": PAGE, "segmentation": "blank"},
        {"doc_id": "pdf-2024", "file": "report.pdf", "date": "2024-03-01", "content": pdf}])
    corpus, _ = read_corpus(manifest)
    page = corpus.paragraphs.query("doc_id == 'page-2023'")
    # line = position of the element in the page
    assert page[["kind", "line_start", "line_end"]].values.tolist() == [
        ["heading", 1, 1], ["body", 2, 2], ["body", 3, 3], ["body", 4, 4], ["body", 5, 5], ["body", 6, 6]]
    doc = corpus.paragraphs.query("doc_id == 'pdf-2024'")
    assert doc["text"].tolist() == [
        "Report on the Work of the Court",
        "The court heard 1,200 cases in 2023.",
        "It protected minors, the environment, private enterprises and families of every kind across the country.",
        "It punished telecom fraud.", "It served national security."]
    # a paragraph broken across lines of the PDF is rejoined, and cites lines 3-4 (page 1, lines 3-4)
    assert doc["line_start"].tolist() == [1, 2, 3, 5, 6] and doc["line_end"].tolist() == [1, 2, 4, 5, 6]
    log = corpus.cleaning_log
    assert log.query("rule == 'pdf_page'")[["line", "changed"]].values.tolist() == [
        [1, "page 1: lines 1-4"], [5, "page 2: lines 5-6"]]
    assert log.query("rule == 'html_extract'")["doc_id"].tolist() == ["page-2023"]
    # any line number can be looked up, and the hash covers the original file
    assert document_lines(tmp_path / "c" / "report.pdf")[4] == "It punished telecom fraud."
    assert corpus.documents.set_index("doc_id").loc["pdf-2024", "sha256"] == __import__("hashlib").sha256(pdf).hexdigest()


def _encrypted(pdf: bytes) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("empty.html", b"<html><body><script>var x = 1;</script><nav>Home</nav></body></html>",
     r"empty\.html: the HTML page has no text"),
    ("scan.pdf", make_pdf([[], []]), r"scan\.pdf: the PDF has no text layer \(2 page\(s\) of images\?\); run OCR"),
    ("locked.pdf", _encrypted(make_pdf([["Secret text."]])), r"locked\.pdf: the PDF is encrypted"),
    ("broken.pdf", b"%PDF-1.4\nnot really a pdf", r"broken\.pdf: not a readable PDF"),
])
def test_unreadable_files_are_one_line_errors(tmp_path, capsys, name, content, message):
    manifest = write_manifest(tmp_path / "c", [
        {"doc_id": "good-2020", "date": "2020-01-01", "content": "The court protected minors.\n"},
        {"doc_id": "bad-2021", "file": name, "date": "2021-01-01", "content": content}])
    with pytest.raises(CorpusError, match=message):
        read_corpus(manifest)
    out = tmp_path / "out"
    assert main(["corpus", "--manifest", str(manifest), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and name in err
    assert not out.exists() or not any(out.iterdir())


def test_pdf_with_an_owner_password_only_is_read():
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([["Open text."]])))
    writer.encrypt("", owner_password="owner", algorithm="RC4-128")
    data = io.BytesIO()
    writer.write(data)
    assert pdf_lines(data.getvalue(), "x.pdf")[0] == ["Open text."]
