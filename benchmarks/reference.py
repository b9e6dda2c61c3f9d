"""The reference pipeline: what a researcher would assemble from gensim + nltk + numpy + scikit-learn.

It does the toolkit's stages on the same files (issue 23), with the libraries' own tools and
plain Python loops where no library has the step, and nothing from `analysis`:

    corpus        the manifest (csv module) and its text files; every non-blank line is a paragraph
                  (no cleaning, heading detection or de-duplication: the toolkit does more here)
    tokens        `WORD` regex tokens (the toolkit's token definition), simplemma lemmas
                  (``simplemma.lemmatize(word, lang="en")`` per token, with simplemma's own cache),
                  the same stop words (passed in), sentences cut by a regular expression, gensim
                  `Phrases` (npmi, same min_count and threshold, trained on the first
                  `phrases_max_words` terms, runs of non-stop terms within a sentence) applied with
                  its frozen model (no curated multi-word list: the toolkit does more here)
    themes        the lexicon's entries matched in a plain Python loop (longest entry first, exact
                  before glob, lexicon order; matched tokens consumed), scores per 100 tokens, labels
                  (min_score), and the same paragraph bootstrap of rates and shares per document and
                  per year (numpy: paragraphs resampled within each document, n_boot replicates)
    keyness       scikit-learn `CountVectorizer` on the paragraph terms, G2 / log ratio / p for one
                  target group (the first year) against the rest, min_freq filter, sorted by G2
    collocations  nltk `BigramCollocationFinder.from_documents` on the sentences' terms, freq filter
                  min_count, scored by G2, PMI, t-score and Dice (the toolkit's four measures)
    bag           gensim `Dictionary` + ``filter_extremes(no_below, no_above, keep_n=None)`` + doc2bow
    lda           gensim `LdaModel`, topic-word matrix and doc-topic inference; once with the
                  settings of the toolkit's gensim engine (batch variational EM: the whole corpus as
                  one chunk, ``decay=0``, E-step ``gamma_threshold`` 1e-5 and 200 iterations, float64,
                  a fixed number of passes: gensim has no stopping rule) and once with gensim's own
                  defaults (online, chunksize 2000, one pass, eval_every 10, float32)
    kwic          nltk `ConcordanceIndex` over the lower-cased word tokens (index), then one query

Every function returns its result; `benchmarks/compare.py` times them in a fresh process.
"""
from __future__ import annotations

import csv
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WORD = re.compile(r"(?<!['\w])[A-Za-z]+(?:-[A-Za-z]+)*")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
GLOB = re.compile(r"[*?\[]")
THEMES = ("security", "development", "livelihood", "supervision")


@dataclass(frozen=True)
class ReferenceSettings:
    """The toolkit's settings the reference copies (defaults: the toolkit's `Config()` defaults).

    phrases_min_count, phrases_threshold, phrases_max_words : gensim `Phrases` (count, npmi, terms)
    min_score : float         matches per 100 tokens below which a paragraph is "none"
    n_boot, ci_level, seed    bootstrap replicates, interval level, seed
    min_freq : int            keyness: terms with fewer occurrences are dropped
    min_count : int           collocations: bigrams with fewer occurrences are dropped
    no_below : int            bag: terms in fewer paragraphs are dropped
    no_above : float          bag: terms in more than this share of paragraphs are dropped
    k, passes, iterations     LDA: topics, passes over the corpus, most E-step iterations per document
    gamma_threshold : float   LDA: E-step convergence (the toolkit's ``topics.estep_tolerance``)
    lda_seed : int            LDA random_state
    """

    phrases_min_count: int = 5
    phrases_threshold: float = 0.5
    phrases_max_words: int = 1_000_000
    min_score: float = 2.0
    n_boot: int = 2000
    ci_level: float = 0.95
    seed: int = 12345
    min_freq: int = 5
    min_count: int = 3
    no_below: int = 2
    no_above: float = 0.5
    k: int = 10
    passes: int = 5
    iterations: int = 200
    gamma_threshold: float = 1e-5
    lda_seed: int = 1


@dataclass
class Paragraphs:
    """Parallel lists, one item per paragraph: doc_id, text, lemmas of every token, sentences of terms."""

    doc_id: list
    text: list
    lemmas: list | None = None
    sentences: list | None = None

    def terms(self) -> list[list[str]]:
        """Return each paragraph's terms (stop words dropped, phrases joined by "_"), in order."""
        return [[t for s in sents for t in s] for sents in self.sentences]


# --------------------------------------------------------------------------- corpus


def read_stopwords(data: str | Path) -> frozenset[str]:
    """Return the toolkit's stop words built from its data files: gensim's English list, less
    ``stopwords_keep.csv``, plus ``stopwords_domain.csv`` (both with a ``word`` column) in `data`."""
    from gensim.parsing.preprocessing import STOPWORDS

    def words(name):
        with open(Path(data) / name, encoding="utf-8", newline="") as fh:
            return {row["word"] for row in csv.DictReader(fh)}
    return frozenset((set(STOPWORDS) - words("stopwords_keep.csv")) | words("stopwords_domain.csv"))


def read_corpus(manifest: str | Path) -> tuple[dict[str, dict], Paragraphs]:
    """Return ({doc_id: {"year": int, "version_of": str}}, the paragraphs) of a manifest's files."""
    manifest = Path(manifest)
    documents, doc_ids, texts = {}, [], []
    with open(manifest, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            documents[row["doc_id"]] = {"year": int(row["year"]), "version_of": row.get("version_of") or ""}
            with open(manifest.parent / row["file"], encoding="utf-8") as f:
                for line in f:
                    line = " ".join(line.split())
                    if line:
                        doc_ids.append(row["doc_id"])
                        texts.append(line)
    return documents, Paragraphs(doc_ids, texts)


# --------------------------------------------------------------------------- tokens


def tokenise(paragraphs: Paragraphs, stops: frozenset[str], settings: ReferenceSettings) -> Paragraphs:
    """Return the paragraphs with `lemmas` (every token) and `sentences` (terms after phrases) filled.

    A term is a lemma that is not a stop word and has two letters or more; runs of terms broken by
    a stop word or a sentence end are what `Phrases` learns from and joins within.
    """
    import simplemma
    from gensim.models.phrases import Phrases

    all_lemmas, all_runs = [], []
    for text in paragraphs.text:
        lemmas, runs = [], []
        for sentence in SENTENCE_END.split(text):
            sent_runs, run = [], []
            for word in WORD.findall(sentence):
                lemma = simplemma.lemmatize(word.lower(), lang="en").lower()
                lemmas.append(lemma)
                if lemma in stops or len(lemma) < 2:
                    if run:
                        sent_runs.append(run)
                        run = []
                else:
                    run.append(lemma)
            if run:
                sent_runs.append(run)
            runs.append(sent_runs)
        all_lemmas.append(lemmas)
        all_runs.append(runs)

    def training():
        seen = 0
        for runs in all_runs:
            for sent_runs in runs:
                for run in sent_runs:
                    if seen >= settings.phrases_max_words:
                        return
                    seen += len(run)
                    yield run

    phrases = Phrases(training(), min_count=settings.phrases_min_count, threshold=settings.phrases_threshold,
                      scoring="npmi", connector_words=frozenset(), delimiter="_").freeze()
    sentences = [[[t for run in sent_runs for t in phrases[run]] for sent_runs in runs] for runs in all_runs]
    return Paragraphs(paragraphs.doc_id, paragraphs.text, all_lemmas, sentences)


# --------------------------------------------------------------------------- themes


def read_lexicon(path: str | Path) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """Return the lexicon's entries as (theme or "exclude", pattern, lemma words, is_glob), in file order."""
    import simplemma
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    groups = [(theme, data["themes"][theme]) for theme in THEMES] + [("exclude", data.get("exclude") or [])]
    entries = []
    for theme, items in groups:
        for item in items:
            words = []
            for piece in item["pattern"].lower().split():
                if GLOB.search(piece):
                    words.append(piece)
                else:
                    words += [simplemma.lemmatize(w, lang="en").lower() for w in WORD.findall(piece)]
            entries.append((theme, item["pattern"], tuple(words), any(GLOB.search(w) for w in words)))
    return entries


def match_lexicon(paragraph_lemmas: list[list[str]], entries) -> list[list[tuple[int, str, str]]]:
    """Return per paragraph its matches (position, theme, pattern), longest entry first, left to right.

    At each token the first entry in (more words, exact before glob, file order) whose words accept
    the lemmas from there wins and consumes its tokens. A plain Python loop, with a dict of the
    entries a first lemma can start (filled as lemma types are met).
    """
    ranked = sorted(enumerate(entries), key=lambda e: (-len(e[1][2]), e[1][3], e[0]))
    ranked = [e for _, e in ranked]
    starting: dict[str, list] = {}
    accepts: dict[tuple[str, str], bool] = {}

    def accept(word: str, lemma: str) -> bool:
        if not GLOB.search(word):
            return word == lemma
        key = (word, lemma)
        if key not in accepts:
            accepts[key] = fnmatch.fnmatchcase(lemma, word)
        return accepts[key]

    out = []
    for lemmas in paragraph_lemmas:
        found, i, n = [], 0, len(lemmas)
        while i < n:
            first = lemmas[i]
            if first not in starting:
                starting[first] = [e for e in ranked if accept(e[2][0], first)]
            for theme, pattern, words, _ in starting[first]:
                size = len(words)
                if i + size <= n and all(accept(words[j], lemmas[i + j]) for j in range(1, size)):
                    found.append((i, theme, pattern))
                    i += size
                    break
            else:
                i += 1
        out.append(found)
    return out


def score_paragraphs(paragraph_lemmas: list[list[str]], matches, min_score: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return (counts: paragraphs x themes, tokens per paragraph, labels) from the matches."""
    counts = np.zeros((len(matches), len(THEMES)), dtype=np.int64)
    labels = []
    col = {t: i for i, t in enumerate(THEMES)}
    for p, found in enumerate(matches):
        first = {}
        for pos, theme, _ in found:
            if theme in col:
                counts[p, col[theme]] += 1
                first.setdefault(theme, pos)
        n = len(paragraph_lemmas[p])
        scores = 100.0 * counts[p] / n if n else np.zeros(len(THEMES))
        top = scores.max()
        if top <= 0 or top < min_score:
            labels.append("none")
        else:
            tied = [t for t in THEMES if scores[col[t]] == top]
            labels.append(min(tied, key=lambda t: first[t]))
    tokens = np.array([len(x) for x in paragraph_lemmas], dtype=np.int64)
    return counts, tokens, labels


def bootstrap_rates(strata: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator, n_boot: int,
                    ci_level: float, block: int = 250) -> list[dict]:
    """Return per theme the count, rate per 1,000 tokens and share with percentile intervals.

    `strata` holds (paragraphs x themes counts, tokens per paragraph) of each document of the group;
    each replicate resamples every document's paragraphs with replacement (fancy indexing).
    """
    boot_counts = np.zeros((n_boot, len(THEMES)))
    boot_tokens = np.zeros(n_boot)
    for counts, tokens in strata:
        for b0 in range(0, n_boot, block):
            idx = rng.integers(0, len(tokens), size=(min(block, n_boot - b0), len(tokens)))
            boot_counts[b0:b0 + len(idx)] += counts[idx].sum(axis=1)
            boot_tokens[b0:b0 + len(idx)] += tokens[idx].sum(axis=1)
    total = sum(c.sum(axis=0) for c, _ in strata)
    n_tokens = sum(t.sum() for _, t in strata)
    alpha = (1 - ci_level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = 1000.0 * boot_counts / boot_tokens[:, None]
        share = boot_counts / boot_counts.sum(axis=1, keepdims=True)
    rows = []
    for k, theme in enumerate(THEMES):
        rows.append({"theme": theme, "count": int(total[k]), "rate_per_1k": 1000.0 * total[k] / max(n_tokens, 1),
                     "rate_ci": tuple(np.nanquantile(rate[:, k], [alpha, 1 - alpha])),
                     "share": total[k] / max(total.sum(), 1),
                     "share_ci": tuple(np.nanquantile(share[:, k], [alpha, 1 - alpha]))})
    return rows


def themes(paragraphs: Paragraphs, documents: dict[str, dict], entries, settings: ReferenceSettings) -> dict:
    """Return {"matches", "counts", "labels", "documents", "years"}: the dictionary model with its bootstrap."""
    matches = match_lexicon(paragraphs.lemmas, entries)
    counts, tokens, labels = score_paragraphs(paragraphs.lemmas, matches, settings.min_score)
    doc_arr = np.array(paragraphs.doc_id, dtype=object)
    per_doc = {d: (counts[doc_arr == d], tokens[doc_arr == d]) for d in sorted(set(paragraphs.doc_id))}
    rng = np.random.default_rng(settings.seed)
    by_doc = {d: bootstrap_rates([s], rng, settings.n_boot, settings.ci_level) for d, s in per_doc.items()}
    years: dict[int, list] = {}
    for d, s in per_doc.items():
        if documents[d]["version_of"] not in documents:
            years.setdefault(documents[d]["year"], []).append(s)
    by_year = {y: bootstrap_rates(strata, rng, settings.n_boot, settings.ci_level) for y, strata in sorted(years.items())}
    return {"matches": matches, "counts": counts, "labels": labels, "documents": by_doc, "years": by_year}


# --------------------------------------------------------------------------- keyness


def keyness(paragraphs: Paragraphs, terms: list[list[str]], documents: dict[str, dict], min_freq: int) -> list[tuple]:
    """Return (term, freq_target, freq_reference, g2, p, log_ratio) of the first year's paragraphs
    against the rest, terms with at least `min_freq` occurrences, by G2 descending."""
    from scipy import stats
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=lambda x: x)
    matrix = vectorizer.fit_transform(terms)
    first_year = min(d["year"] for d in documents.values())
    in_target = np.array([documents[d]["year"] == first_year for d in paragraphs.doc_id])
    a = np.asarray(matrix[in_target].sum(axis=0)).ravel().astype(float)
    b = np.asarray(matrix[~in_target].sum(axis=0)).ravel().astype(float)
    n_tok = np.array([len(x) for x in paragraphs.lemmas])
    n1, n2 = float(n_tok[in_target].sum()), float(n_tok[~in_target].sum())
    keep = a + b >= min_freq
    a, b = a[keep], b[keep]
    e1, e2 = n1 * (a + b) / (n1 + n2), n2 * (a + b) / (n1 + n2)
    e3, e4 = n1 - e1, n2 - e2
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = [(a, e1), (b, e2), (n1 - a, e3), (n2 - b, e4)]
        g2 = 2 * sum(np.where(o > 0, o * np.log(o / e), 0.0) for o, e in cells)
        log_ratio = np.log2((np.where(a > 0, a, 0.5) / n1) / (np.where(b > 0, b, 0.5) / n2))
    p = stats.chi2.sf(g2, 1)
    names = vectorizer.get_feature_names_out()[keep]
    order = np.lexsort((names, -g2))
    return [(names[i], int(a[i]), int(b[i]), float(g2[i]), float(p[i]), float(log_ratio[i])) for i in order]


# --------------------------------------------------------------------------- collocations


def collocations(paragraphs: Paragraphs, min_count: int) -> dict[str, list]:
    """Return nltk's scored bigrams of the sentences' terms: {measure: [((w1, w2), score), ...]}."""
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

    finder = BigramCollocationFinder.from_documents(s for sents in paragraphs.sentences for s in sents)
    finder.apply_freq_filter(min_count)
    m = BigramAssocMeasures
    return {name: finder.score_ngrams(fn) for name, fn in
            (("g2", m.likelihood_ratio), ("pmi", m.pmi), ("t_score", m.student_t), ("dice", m.dice))}


# --------------------------------------------------------------------------- topics


def bag_of_words(terms: list[list[str]], settings: ReferenceSettings):
    """Return (gensim Dictionary, bag of words) of the paragraphs that have a term."""
    from gensim.corpora import Dictionary

    texts = [t for t in terms if t]
    dictionary = Dictionary(texts)
    dictionary.filter_extremes(no_below=settings.no_below, no_above=settings.no_above, keep_n=None)
    return dictionary, [dictionary.doc2bow(t) for t in texts]


def lda(dictionary, bow, settings: ReferenceSettings, gensim_defaults: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return (topic-word, doc-topic) of gensim `LdaModel`: the toolkit's settings, or gensim's defaults
    (only num_topics, id2word and random_state given)."""
    from gensim.models import LdaModel

    if gensim_defaults:
        model = LdaModel(bow, num_topics=settings.k, id2word=dictionary, random_state=settings.lda_seed)
    else:       # the toolkit's gensim engine: batch EM, each pass replaces the topics (decay 0)
        model = LdaModel(bow, num_topics=settings.k, id2word=dictionary, chunksize=len(bow), decay=0.0,
                         passes=settings.passes, iterations=settings.iterations,
                         gamma_threshold=settings.gamma_threshold, alpha="symmetric",
                         eval_every=None, random_state=settings.lda_seed, dtype=np.float64)
    return model.get_topics(), model.inference(bow)[0]


# --------------------------------------------------------------------------- kwic


def kwic_index(paragraphs: Paragraphs):
    """Return nltk's `ConcordanceIndex` over every word token, lower-cased."""
    from nltk.text import ConcordanceIndex

    words = [w for text in paragraphs.text for w in WORD.findall(text)]
    return ConcordanceIndex(words, key=lambda s: s.lower())


def kwic_query(index, word: str) -> list:
    """Return nltk's concordance lines of `word` (80 characters wide, every hit)."""
    return index.find_concordance(word, width=80)
