"""Property tests (hypothesis) over cleaning, segmentation and tokenising with arbitrary Unicode.

Texts mix English words of the corpus's kind with form feeds, vertical tabs, NEL, U+2028/U+2029,
NULs, CR/LF line ends, curly quotes, Cyrillic and CJK, and arbitrary characters. Properties:
- nothing raises but the toolkit's own errors (`AnalysisError`);
- every paragraph's line range lies inside the file, as ``sed -n`` numbers its lines;
- every paragraph's letters and digits are those of its lines as ``sed -n`` prints them;
- the tokeniser's fast route (numpy, in blocks) gives the spans of its documented pattern.

The oracle for lines is sed's own rule (lines end at "\\n"; a final "\\r" is the CR of a CRLF
line end), with a lone "\\r" also ending a line as editors do; `test_oracle_is_sed` checks it
against the real ``sed -n`` on a file holding every odd character.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import tokens
from analysis.corpus import read_corpus, split_lines
from analysis.errors import AnalysisError
from analysis.tokens import TOKEN_PATTERN, lemmatize_text, word_span_arrays
from tests.conftest import MANIFEST_HEADER

pytestmark = pytest.mark.filterwarnings("ignore::analysis.errors.AnalysisWarning")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["The", "procuratorates", "supervised", "trials", "national", "security", "5G-enabled", "high-quality",
         "it's", "99%", "5%.", "in", "2023.", "I.", "1.", "First,", "Fellow Deputies,", "Back to top",
         "Генеральная", "прокуратура", "检察院", "法律监督", "e\u0301t\u00e9", "_x", "a-", "-b"]
ODD = ["\n", "\n", "\n\n", "\r\n", "\r", "\f", "\x0b", "\x85", "\u2028", "\u2029", "\x00", "\x1c", "\t", " ", " ",
       "  ", "\u00a0", "\u200b", "\u201c", "\u201d", "\u2019", '"', ".", ",", "\ufeff"]
texts = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), st.text(max_size=4)),
                 max_size=80).map("".join)


def sed_lines(text: str) -> list[str]:
    """Return the lines of `text` as ``sed -n 'Np'`` prints them (without the line end); a lone
    "\\r" ends a line too (as in editors; sed would keep it inside the line)."""
    if not text:
        return []           # sed prints no line of an empty file
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if text.endswith(("\n", "\r")) else lines


def _alnum(text: str) -> list[str]:
    """Return the letters and digits of `text`, decomposed (NFD), sorted: what cleaning keeps."""
    return sorted(c for c in unicodedata.normalize("NFD", text) if c.isalnum())


def _corpus_of(text: str, folder: Path):
    data = text.encode("utf-8")
    (folder / "doc.txt").write_bytes(data)
    row = f"doc-2020,doc.txt,{hashlib.sha256(data).hexdigest()},Title,2020-03-01,2020,report,official,,test\n"
    (folder / "manifest.csv").write_text(MANIFEST_HEADER + row, encoding="utf-8")
    return read_corpus(folder / "manifest.csv")


@SETTINGS
@given(texts)
def test_split_lines_is_sed(text):
    assert split_lines(text) == sed_lines(text)


@pytest.mark.skipif(shutil.which("sed") is None, reason="no sed")
def test_oracle_is_sed(tmp_path):
    text = "one\ftwo\nthree\u2028four\r\nfive\x00six\x0bseven\x85eight\u2029nine\n\nten"
    (tmp_path / "t.txt").write_bytes(text.encode())
    lines = sed_lines(text)
    for n in range(1, len(lines) + 1):
        out = subprocess.run(["sed", "-n", f"{n}p", str(tmp_path / "t.txt")], capture_output=True).stdout.decode()
        assert out.rstrip("\n").removesuffix("\r") == lines[n - 1]
    assert len(lines) == 5 and split_lines(text) == lines


@SETTINGS
@given(texts)
def test_paragraphs_trace_to_their_lines(text):
    with tempfile.TemporaryDirectory() as folder:
        try:
            corpus, line_maps = _corpus_of(text, Path(folder))
        except AnalysisError:
            return
    lines = sed_lines(text.removeprefix("\ufeff"))
    paragraphs = corpus.paragraphs
    covered = set()
    for p in paragraphs.itertuples():
        assert 1 <= p.line_start <= p.line_end <= len(lines)
        assert not any(c in p.text for c in "\x00\f\x0b\x85\u2028\u2029\r\n")
        source = " ".join(lines[p.line_start - 1:p.line_end])
        assert _alnum(p.text) == _alnum(source), (p.text, source)
        for offset, line in line_maps[(p.doc_id, p.para_id)]:
            assert p.line_start <= line <= p.line_end and 0 <= offset <= len(p.text)
        assert not covered & set(range(p.line_start, p.line_end + 1))       # paragraphs never share a line
        covered |= set(range(p.line_start, p.line_end + 1))
    log = corpus.cleaning_log
    assert log["line"].between(1, max(len(lines), 1)).all()
    nul_lines = {i for i, ln in enumerate(lines, start=1) if "\x00" in ln}
    assert nul_lines <= set(log.loc[log["rule"] == "control_character", "line"])
    sep_lines = {i for i, ln in enumerate(lines, start=1) if any(c in ln for c in "\f\u2028\u2029")}
    assert sep_lines <= set(log.loc[log["rule"] == "line_separator", "line"])


@SETTINGS
@given(texts, st.integers(min_value=1, max_value=12))
def test_block_tokeniser_gives_the_pattern_spans(text, block):
    expected = [m.span() for m in TOKEN_PATTERN.finditer(text)]
    starts, ends = word_span_arrays(text)
    assert list(zip(starts.tolist(), ends.tolist())) == expected
    saved = tokens._BLOCK_CHARS
    tokens._BLOCK_CHARS = block         # blocks of a few characters: every boundary case
    try:
        starts, ends, codes, lemmas, stop = lemmatize_text(text)
    finally:
        tokens._BLOCK_CHARS = saved
    assert list(zip(starts.tolist(), ends.tolist())) == expected
    assert len(codes) == len(stop) == len(expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_tokens_stand_on_their_paragraph_lines(text):
    from analysis.tokens import load_corpus

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        data = text.encode("utf-8")
        (folder / "doc.txt").write_bytes(data)
        row = f"doc-2020,doc.txt,{hashlib.sha256(data).hexdigest()},Title,2020-03-01,2020,report,official,,test\n"
        (folder / "manifest.csv").write_text(MANIFEST_HEADER + row, encoding="utf-8")
        try:
            corpus = load_corpus(folder / "manifest.csv")
        except AnalysisError:
            return
    paragraphs = corpus.paragraphs.set_index(["doc_id", "para_id"])
    lines = sed_lines(text.removeprefix("\ufeff"))
    for t in corpus.tokens.itertuples():
        p = paragraphs.loc[(t.doc_id, t.para_id)]
        assert p.line_start <= t.line <= p.line_end
        word = p.text[t.start:t.end]
        assert TOKEN_PATTERN.fullmatch(word)
        source = "".join(c for c in lines[t.line - 1] if unicodedata.category(c) != "Cc")   # controls removed
        assert word in source, (word, lines[t.line - 1])
