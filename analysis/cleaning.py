"""Per-line cleaning and paragraph words, for a whole document at once.

`normalise_line` is the per-line rule set (line_separator, control_character, unicode,
whitespace); `normalise_lines` gives the same results for every line of a document, applying it
only to the lines numpy finds that need it (most lines of an English text are printable ASCII
with single spaces, which it leaves as they are). `paragraph_words` gives each paragraph's
lower-cased words, as `signature_words` finds them one paragraph at a time, with one numpy pass
over the ASCII paragraphs. Pure functions of strings, used by `analysis.corpus`; the tests
compare each batch function with its per-item rule on generated text.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

LINE_SEPARATORS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_UNUSUAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")   # either of the two above
SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
WORD = re.compile(r"[A-Za-z]+(?:[-'][A-Za-z]+)*|\d+(?:[.,]\d+)*")
# the duplicate rules compare words of every script, so two different Russian paragraphs are not
# "the same" for holding no A-Z word
SIGNATURE_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+(?:[.,]\d+)*")


def normalise_line(raw: str) -> tuple[str, bool, list[str]]:
    """Return the cleaned line, whether it was indented, and which rules changed it."""
    rules = []
    if _UNUSUAL.search(raw):
        if LINE_SEPARATORS.search(raw):
            rules.append("line_separator")
            raw = LINE_SEPARATORS.sub(" ", raw)
        if CONTROLS.search(raw):
            rules.append("control_character")
            raw = CONTROLS.sub("", raw)
    text = unicodedata.normalize("NFC", raw)
    text2 = SPACES.sub(" ", text).translate(_QUOTES)
    if text2 != raw:
        rules.append("unicode")
    indented = text2[:1] == " "
    text3 = " ".join(text2.split())
    if text3 != text2.strip() or (text3 != text2 and text2.strip() != text2 and not indented):
        rules.append("whitespace")
    return text3, indented, rules


def _code_points(text: str) -> np.ndarray:
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)


def normalise_lines(lines: list[str]) -> list[tuple[str, bool, list[str]]]:
    """Return ``normalise_line(line)`` for each of `lines` (which hold no line break).

    A line of printable ASCII (space to "~") without a space at its start or end or after another
    space is clean already: ``(line, False, [])``. The other lines, found with one numpy pass over
    the document, go through `normalise_line`.
    """
    out = [(line, False, []) for line in lines]
    if not lines:
        return out
    c = _code_points("\n".join(lines))
    newline = c == 10
    space = c == 32
    flagged = ((c < 32) & ~newline) | (c > 126)
    odd_space = space.copy()     # a space at a line's start or end, or after another space
    odd_space[1:-1] &= newline[:-2] | newline[2:] | space[:-2]
    flagged |= odd_space
    # a flagged character's line is the number of line breaks before it
    for i in np.unique(np.searchsorted(np.flatnonzero(newline), np.flatnonzero(flagged))).tolist():
        out[i] = normalise_line(lines[i])
    return out


def signature_words(text: str) -> list[str]:
    """Return the lower-cased words of `text` the duplicate rules compare: A-Z words (with inner
    hyphens or apostrophes) and numbers on ASCII text, words of any script on other text."""
    return (WORD if text.isascii() else SIGNATURE_WORD).findall(text.lower())


def _joined(c: np.ndarray, cls: np.ndarray, seps: tuple[int, int]) -> np.ndarray:
    """Return `cls` with the separators (code points `seps`) that sit between two of its characters."""
    out = cls.copy()
    out[1:-1] |= ((c[1:-1] == seps[0]) | (c[1:-1] == seps[1])) & cls[:-2] & cls[2:]
    return out


def paragraph_words(texts: list[str]) -> list[list[str]]:
    """Return ``signature_words(text)`` for each of `texts` (which hold no line break).

    The ASCII texts are read in one numpy pass: each character is marked as part of a word of
    letters or of digits (a hyphen or apostrophe between two letters, a point or comma between two
    digits, as `WORD` reads them), every other character becomes a space, a space is put where a
    word of letters meets one of digits, and the text is split at spaces and line breaks.
    """
    out: list[list[str] | None] = [None] * len(texts)
    ascii_ids = []
    for i, text in enumerate(texts):
        if text.isascii():
            ascii_ids.append(i)
        else:
            out[i] = SIGNATURE_WORD.findall(text.lower())
    if ascii_ids:
        c = np.frombuffer("\n".join([texts[i] for i in ascii_ids]).lower().encode("ascii"), dtype=np.uint8)
        letters = _joined(c, (c >= 97) & (c <= 122), (45, 39))
        digits = _joined(c, (c >= 48) & (c <= 57), (46, 44))
        word = letters | digits
        kept = np.where(word | (c == 10), c, np.uint8(32))
        meets = np.flatnonzero(word[1:] & word[:-1] & (letters[1:] != letters[:-1])) + 1
        text = np.insert(kept, meets, np.uint8(32)).tobytes().decode("ascii")
        for i, part in zip(ascii_ids, text.split("\n")):
            out[i] = part.split()
    return out  # type: ignore[return-value]
