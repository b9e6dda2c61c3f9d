"""Shared fixtures: the seed corpus (loaded once) and a tiny hand-made corpus in a temporary folder."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import analysis

REPO = Path(__file__).resolve().parent.parent
MANIFEST_HEADER = "doc_id,file,sha256,title,date,year,genre,translation,version_of,source\n"


@pytest.fixture(scope="session")
def corpus():
    """The seed corpus, tokenised with the default configuration."""
    return analysis.load_corpus()


def write_corpus(folder: Path, docs: dict[str, tuple[str, str]], extra_rows: str = "") -> Path:
    """Write `docs` (doc_id -> (date, text)) and a manifest into `folder`; return the manifest path."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [MANIFEST_HEADER]
    for doc_id, (date, text) in docs.items():
        name = f"{doc_id}.txt"
        (folder / name).write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        rows.append(f"{doc_id},{name},{digest},Title of {doc_id},{date},{date[:4]},report,official,,test\n")
    manifest = folder / "manifest.csv"
    manifest.write_text("".join(rows) + extra_rows, encoding="utf-8")
    return manifest


@pytest.fixture
def tiny_manifest(tmp_path):
    """Three short documents with planted themes, in a temporary folder."""
    return write_corpus(tmp_path / "tiny", {
        "alpha-2020": ("2020-03-01", "I. Security\n\nWe cracked down on telecom fraud and gang crime to keep national security.\n\n"
                                     "We punished terrorism and kept social stability.\n"),
        "beta-2021": ("2021-03-01", "We served high-quality development and protected private enterprises.\n\n"
                                    "Intellectual property of market entities was protected.\n"),
        "gamma-2022": ("2022-03-01", "We protected minors and food and drug safety.\n\n"
                                     "Procuratorial suggestions supervised trials and the enforcement of judgments.\n"),
    })


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Point the corpus cache of every command at a folder of this test session."""
    import os
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("ANALYSIS_CACHE")
    os.environ["ANALYSIS_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("ANALYSIS_CACHE", None)
    else:
        os.environ["ANALYSIS_CACHE"] = old


def write_manifest(folder: Path, docs: list[dict], columns: tuple[str, ...] = ()) -> Path:
    """Write files and a manifest into `folder`; return the manifest path.

    Each of `docs` has doc_id, date, content (str or bytes) and optionally file (default
    ``<doc_id>.txt``), genre (default "report"), translation ("official"), version_of (""),
    segmentation ("line") and any of `columns`, the extra manifest columns.
    """
    folder.mkdir(parents=True, exist_ok=True)
    header = ["doc_id", "file", "sha256", "title", "date", "year", "genre", "translation", "version_of", "source",
              "segmentation", *columns]
    lines = [",".join(header)]
    for doc in docs:
        name = doc.get("file", f"{doc['doc_id']}.txt")
        data = doc["content"].encode("utf-8") if isinstance(doc["content"], str) else doc["content"]
        (folder / name).write_bytes(data)
        row = {"doc_id": doc["doc_id"], "file": name, "sha256": hashlib.sha256(data).hexdigest(),
               "title": f"Title of {doc['doc_id']}", "date": doc["date"], "year": doc["date"][:4],
               "genre": doc.get("genre", "report"), "translation": doc.get("translation", "official"),
               "version_of": doc.get("version_of", ""), "source": "test",
               "segmentation": doc.get("segmentation", "line"), **{c: doc.get(c, "") for c in columns}}
        lines.append(",".join(row[h] for h in header))
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def make_pdf(pages: list[list[str]]) -> bytes:
    """Return the bytes of a PDF whose pages hold the given lines in Helvetica (a text layer);
    a page given no lines has no text, as a scanned page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops = ["BT /F1 11 Tf 14 TL 72 720 Td", *(f"({line}) Tj T*" for line in lines), "ET"] if lines else []
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


#: A user's codebook in quanteda YAML: three categories, none of them the four themes; one nested
#: (flattened to ``party.discipline``).
CODEBOOK_YAML = """\
# a quanteda dictionary
technology:
  - digital*
  - artificial intelligence
  - big data
courts:
  - court
  - judge
  - trial
party:
  discipline:
    - corruption
    - discipline
"""


@pytest.fixture
def codebook_manifest(tmp_path):
    """Three documents whose paragraphs are planted for the codebook's categories.

    Dictionary labels by construction (doc, para_id -> label): a 1 technology, a 2 courts,
    a 3 party.discipline, a 4 none; b 1 courts (2 court words, 1 technology), b 2 party.discipline,
    b 3 courts, b 4 technology; c (headings I. Courts, II. Technology) 2 courts, 3 technology
    (a 1:1 tie won by the earlier match, "digital"), 5 technology. Paragraph k of a and b is on line 2k - 1.
    """
    return write_corpus(tmp_path / "codebook", {
        "a-2020": ("2020-03-01", "Digital platforms and big data changed artificial intelligence work.\n\n"
                                 "The court and the judge held a fair trial.\n\nCorruption cases tested party discipline.\n\n"
                                 "The weather was mild this spring.\n"),
        "b-2021": ("2021-03-01", "Judges of the court used digital tools.\n\nDiscipline against corruption remained strict.\n\n"
                                 "Trial courts heard many cases.\n\nBig data systems support the digital economy.\n"),
        "c-2022": ("2022-03-01", "I. Courts\n\nThe court held a trial.\n\nDigital evidence reached the judge.\n\n"
                                 "II. Technology\n\nBig data and digital tools.\n"),
    })


@pytest.fixture
def codebook_path(tmp_path):
    """The codebook YAML written to a temporary file."""
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK_YAML, encoding="utf-8")
    return path
