"""Readers: the text of a corpus file as lines, chosen by the file's extension.

The manifest's ``file`` decides the reader: ``.html`` and ``.htm`` files go through
`html_lines`, ``.pdf`` files through `pdf_lines`; any other file is UTF-8 plain text
(`analysis.corpus.read_seed`). The sha256 of the manifest is always that of the original file.

What a "line" is, in the ``line_start`` / ``line_end`` / ``line`` columns of every table:
    plain text : int    1-based line of the file, as ``sed -n 'Np'`` prints it
    HTML : int          1-based position of the text element in the page: the k-th element of
                        the page's main text (p, h1-h6, li, blockquote, pre, dt, dd, td, th,
                        caption, figcaption; a div, section, article, main or body counts with
                        the text that sits directly in it, outside such elements), in
                        document order, after script, style, nav, header, footer, aside, form and
                        similar elements are removed; each element is one line and one
                        paragraph (segmentation is always "line")
    PDF : int           1-based line of the extracted text, pages one after the other; the
                        cleaning log has one ``pdf_page`` row per page giving its line range, so
                        line 57 can be cited as page 3, line 12

`document_lines(path)` returns these lines, so any line number can be looked up.
"""
from __future__ import annotations

import io
import logging
import re
import unicodedata
from pathlib import Path

from analysis.errors import CorpusError

#: Extension -> reader name; files with another extension are read as UTF-8 plain text.
READERS = {".html": "html", ".htm": "html", ".pdf": "pdf"}
#: Elements whose text is one line of an HTML document.
HTML_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt", "dd", "td", "th",
               "caption", "figcaption", "div", "section", "article", "main", "body")
#: Elements left out of an HTML document's text (page furniture, code).
HTML_DROPPED = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
                "button", "select", "svg", "iframe", "head")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Return the lines of `text` as editors and ``sed -n 'Np'`` number them (line N is item N - 1).

    Lines break only at "\\n", "\\r\\n" and "\\r", not at the other characters `str.splitlines`
    breaks at (form feed, vertical tab, NEL, U+2028, U+2029, ...): those stay inside the line (and the
    cleaning rule "line_separator" makes them spaces). A final line break ends the last line; it does
    not start an empty one. This is the only place the package numbers the lines of a text.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def line_of_offset(text: str, offset: int) -> int:
    """Return the 1-based line (as `split_lines` numbers them) of the 0-based character `offset`."""
    return len(_LINE_BREAK.findall(text, 0, offset)) + 1


def script_share(text: str) -> tuple[float, int, str]:
    """Return the share of the letters of `text` outside A-Z (0 to 1), the number of letters, and
    the Unicode script most of those outside letters belong to ("CYRILLIC", "CJK", ...; "" if none)."""
    import numpy as np

    points = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    latin = int((((points >= 65) & (points <= 90)) | ((points >= 97) & (points <= 122))).sum())
    wide, counts = np.unique(points[points > 127], return_counts=True)   # each character tested once
    alpha = np.array([chr(int(c)).isalpha() for c in wide], dtype=bool)
    outside = int(counts[alpha].sum()) if len(wide) else 0
    if not latin + outside:
        return 0.0, 0, ""
    scripts: dict[str, int] = {}
    for c, n in zip(wide[alpha].tolist(), counts[alpha].tolist()):
        name = unicodedata.name(chr(c), "UNKNOWN").split()[0]
        scripts[name] = scripts.get(name, 0) + n
    top = max(sorted(scripts), key=scripts.get) if scripts else ""
    return outside / (latin + outside), latin + outside, top


def reader_for(path: Path) -> str:
    """Return the reader of a file: "html", "pdf" or "text" (from its extension, case-insensitive)."""
    return READERS.get(Path(path).suffix.lower(), "text")


def html_lines(data: bytes, name: str) -> tuple[list[str], list[tuple[int, str]]]:
    """Return the text elements of an HTML page, one line each, and notes for the cleaning log.

    Parameters
    ----------
    data : bytes
        The file's bytes (the encoding is detected by BeautifulSoup).
    name : str
        The file, for messages.

    Returns
    -------
    lines : list of str
        Whitespace-collapsed text of each element (see the module docstring), in document order.
    notes : list of (int, str)
        ``(line, what)`` rows for the ``html_extract`` rule: the elements left out.

    Raises
    ------
    CorpusError
        If the page holds no text.
    """
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(data, "html.parser")
    dropped: dict[str, int] = {}
    for tag in soup.find_all(HTML_DROPPED):
        if tag.decomposed:
            continue
        if tag.get_text(strip=True):
            dropped[tag.name] = dropped.get(tag.name, 0) + 1
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")              # a line break inside an element is white space
    lines = []
    for tag in soup.find_all(HTML_BLOCKS):
        if tag.find(HTML_BLOCKS) is None:
            text = tag.get_text()           # a text element: all its text, inline markup joined
        else:                               # a container: only the text directly in it
            text = " ".join(str(s) for s in tag.find_all(string=True, recursive=False)
                            if type(s) is NavigableString)
        text = " ".join(text.split())
        if text:
            lines.append(text)
    if not lines and soup.get_text(strip=True):
        lines = [" ".join(soup.get_text(" ").split())]     # a fragment without any element
    if not lines:
        raise CorpusError(f"{name}: the HTML page has no text (no element of "
                          f"{', '.join(HTML_BLOCKS[:-5])} holds words)")
    notes = [(1, f"{len(lines)} text elements, one per line; left out: "
                 + (", ".join(f"{n} <{t}>" for t, n in sorted(dropped.items())) or "nothing"))]
    return lines, notes


def pdf_lines(data: bytes, name: str) -> tuple[list[str], list[tuple[int, str]]]:
    """Return the lines of a PDF's text layer (pages one after the other) and notes for the log.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    name : str
        The file, for messages.

    Returns
    -------
    lines : list of str
        The text of each page as pypdf extracts it, split at line breaks.
    notes : list of (int, str)
        One ``(first line, "page N: lines a-b")`` row per page for the ``pdf_page`` rule.

    Raises
    ------
    CorpusError
        If the file is not a readable PDF, is encrypted with a password, or has no text layer
        (scanned images: run OCR first).
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    # pypdf reports repairs through `logging`; they would print beside our one-line messages
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ImportError):
                ok = 0
            if not ok:
                raise CorpusError(f"{name}: the PDF is encrypted; save an unprotected copy and list that file")
        pages = [page.extract_text() or "" for page in reader.pages]
    except CorpusError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    lines: list[str] = []
    notes = []
    for number, text in enumerate(pages, start=1):
        page = re.sub(r"\r\n?", "\n", text).replace("\f", "\n").split("\n")
        while page and not page[-1].strip():
            page.pop()
        if page:
            notes.append((len(lines) + 1, f"page {number}: lines {len(lines) + 1}-{len(lines) + len(page)}"))
        else:
            notes.append((max(len(lines), 1), f"page {number}: no text"))
        lines += page
    if not any(line.strip() for line in lines):
        raise CorpusError(f"{name}: the PDF has no text layer ({len(pages)} page(s) of images?); "
                          "run OCR first and list the text file")
    return lines, notes


def document_lines(path: str | Path) -> list[str]:
    """Return the lines of a corpus file as the corpus numbers them (index 0 is line 1).

    Raises
    ------
    CorpusError
        As `html_lines`, `pdf_lines`, or for a text file that is not UTF-8.
    """
    path = Path(path)
    kind = reader_for(path)
    if kind == "html":
        return html_lines(path.read_bytes(), str(path))[0]
    if kind == "pdf":
        return pdf_lines(path.read_bytes(), str(path))[0]
    try:
        return path.read_bytes().decode("utf-8-sig").split("\n")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from None
