"""The offline explorer: its data (pure functions, oracles), the `explore` command's folder rules, and
the page itself driven in headless Chromium (Debian's package, through Playwright for Python).

Without Chromium the browser tests skip, saying how to install it; with the environment variable CI
set they fail instead (CI must run them).
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import discourse
from analysis.query import parse_pattern
from analysis.cli import QUICK_TOPICS, main
from analysis.config import Config
from analysis.explore import (MARKER, RELEVANCE_TERMS, build_data, classical_mds, collect_tables, relevance,
                              relevance_terms, site_files, topic_distances)
from analysis.explore.site import lemma_forms, top_by_relevance
from analysis.themes import analyse_themes
from analysis.tokens import lemmatize

from .conftest import write_corpus

CHROMIUM = os.environ.get("ANALYSIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWS = ("overview", "categories", "topics", "concordance", "keyness", "formulations")


# ----------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize("seed", range(5))
def test_classical_mds_recovers_planted_planar_distances(seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(7, 2))
    d = np.linalg.norm(points[:, None] - points[None], axis=2)
    xy = classical_mds(d)
    assert np.allclose(np.linalg.norm(xy[:, None] - xy[None], axis=2), d, atol=1e-9)
    assert np.allclose(xy.mean(axis=0), 0, atol=1e-9)       # centred, as classical scaling is


def test_topic_distances_are_jensen_shannon_base_2():
    phi = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    d = topic_distances(phi)
    # JS divergence of the first two: H(m) - mean H = 1.5 - 1 = 0.5 bits; the distance is its root
    assert d[0, 1] == pytest.approx(np.sqrt(0.5)) and d[0, 2] == pytest.approx(0)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)


@pytest.mark.parametrize("seed", range(3))
def test_top_by_relevance_is_the_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=(4, 50)).astype(float)      # many ties
    scores[0, :3] = -np.inf
    for n in (1, 7, 50, 60):
        assert top_by_relevance(scores, n).tolist() == np.argsort(-scores, axis=1, kind="stable")[:, :n].tolist()


@pytest.mark.parametrize("seed", range(3))
def test_relevance_candidates_hold_every_slider_ranking(seed):
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.full(400, 0.1), size=5)
    share = rng.dirichlet(np.full(400, 0.5))
    candidates = relevance_terms(phi, share, n=20, steps=100)
    for i in range(101):
        lam = i / 100
        full = top_by_relevance(relevance(phi, share, lam), 20)
        for t in range(5):
            sub = candidates[t]
            rel = relevance(phi[t:t + 1, sub], share[sub], lam)
            assert sub[top_by_relevance(rel, 20)[0]].tolist() == full[t].tolist()
    # the formula itself, by hand for one cell
    assert relevance(phi, share, 0.3)[1, 7] == pytest.approx(0.3 * np.log(phi[1, 7]) + 0.7 * np.log(phi[1, 7] / share[7]))


@pytest.mark.corpus
def test_lemma_forms_give_the_lemma_kwic_would_use(corpus):
    lemmas = sorted(set(corpus.tokens["lemma"].astype(str)))
    forms = lemma_forms(corpus, lemmas, lemmatize)
    known = set(lemmas)
    texts = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]
    sample = corpus.tokens.iloc[::7]
    words = {texts.loc[(d, p)][a:b].lower() for d, p, a, b in
             zip(sample["doc_id"].astype(str), sample["para_id"], sample["start"], sample["end"])}
    words |= {"supervisions", "prosecuted", "litigations", "strengthening", "organs", "crimes", "went", "children",
              "better", "was", "men", "taught", "brought"}
    for w in sorted(words):
        if lemmatize(w) in known:      # the page's lookup: the listed lemma, else the word itself
            assert forms.get(w, w) == lemmatize(w), w


# ----------------------------------------------------------------------------- the command's folder rules


def _user_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A small user corpus (3 documents, 15 paragraphs, one character outside the BMP: offsets differ
    between Python's code points and JavaScript's UTF-16 units) and a config with a tiny topic grid."""
    paragraphs = [
        "We cracked down on telecom fraud and gang crime to keep national security and social stability.",
        "Prosecutors punished terrorism, cybercrime and organised crime under the holistic approach to national security.",
        "We served high-quality development and protected private enterprises and their intellectual property.",
        "Market entities were protected, and the business environment under the rule of law was improved.",
        "We protected minors, food and drug safety and the legitimate rights of workers.",
        "Public interest litigation protected the environment, resources and the health of the people.",
        "Procuratorial suggestions supervised trials and the enforcement of judgments by the courts.",
        "Legal supervision of criminal investigation and of prisons was strengthened across the country.",
        "In the \U00020BB7 case (a name outside the Basic Multilingual Plane) prosecutors protected workers.",
    ]
    docs = {}
    for i, year in enumerate((2020, 2021, 2022)):
        body = "\n\n".join(paragraphs[(3 * i + j) % len(paragraphs)] for j in range(5))
        docs[f"report-{year}"] = (f"{year}-03-01", body + "\n")
    manifest = write_corpus(tmp_path / "user", docs)
    config = tmp_path / "explore.toml"
    config.write_text("[topics]\nk_values = [2, 3]\nn_seeds = 1\npasses = 2\niterations = 20\nmax_iter = 5\n"
                      "n_jobs = 1\nmin_doc_count = 1\nmodels = ['gensim', 'sklearn']\n",
                      encoding="utf-8")
    return manifest, config


def test_explore_refuses_a_foreign_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["explore", "--out", str(out), "--quick"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not made by this command" in err and MARKER in err and "--force" in err and str(out) in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    assert main(["explore", "--out", str(target)]) == 2
    assert "expected a folder" in capsys.readouterr().err


@pytest.fixture(scope="module")
def user_site(tmp_path_factory):
    """`analysis explore` run on a small user corpus: (manifest, command arguments, output folder)."""
    tmp = tmp_path_factory.mktemp("user")
    manifest, config = _user_corpus(tmp)
    args = ["explore", "--manifest", str(manifest), "--config", str(config), "--out"]
    assert main([*args, str(tmp / "site")]) == 0
    return manifest, args, tmp / "site"


@pytest.mark.slow
def test_explore_on_a_user_corpus_rebuilds_its_own_folder_and_forces_a_foreign_one(user_site, tmp_path, capsys):
    manifest, args, out = user_site
    files = {p.name for p in out.iterdir()}
    assert {"index.html", "explorer.js", "explorer.css", "data.js", "run.json", MARKER} <= files
    first = (out / "data.js").read_bytes()
    assert main([*args, str(out)]) == 0, capsys.readouterr().err      # its own folder: no --force needed
    assert (out / "data.js").read_bytes() == first                      # same inputs and seeds, same bytes
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["command"] == "explore" and run["seeds"]["topics"] == 12345 and "git_commit" in run
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main([*args, str(foreign), "--force"]) == 0
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me" and (foreign / "index.html").is_file()
    assert not (foreign / MARKER).exists()     # forced into: still not a folder explore made
    for text in (out / "index.html", out / "explorer.js", out / "explorer.css"):
        assert "http://" not in text.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the page in Chromium


def _browser_or_skip():
    """Return the playwright module, or skip (fail on CI) when it or Chromium is missing."""
    how = ("headless Chromium is needed: `apt-get install -y --no-install-recommends chromium` "
           "(and `pip install playwright`; no `playwright install` needed)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    if sync_api is None or not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests; {how}")
        pytest.skip(how)
    return sync_api


@pytest.fixture(scope="module")
def seeds_site(corpus, tmp_path_factory):
    """The explorer of the seeds with the quick topic grid, two models: (folder, tables, data)."""
    config = Config()
    config = dataclasses.replace(config, topics=dataclasses.replace(config.topics, **QUICK_TOPICS,
                                                                    models=("sklearn", "seeded")))
    tables = collect_tables(corpus, config)
    data = build_data(tables, {"config": dataclasses.asdict(config), "git_commit": "0123456789abcdef",
                               "versions": {"spp-discourse": "0.0-test"},
                               "seeds": {"themes": config.themes.seed, "topics": config.topics.seed}})
    out = tmp_path_factory.mktemp("explore")
    for name, blob in site_files(data).items():
        (out / name).write_bytes(blob)
    return out, tables, data


@pytest.fixture(scope="module")
def browser():
    sync_api = _browser_or_skip()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, seeds_site):
    """A fresh page on the seeds explorer, recording console messages, errors and requests."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(5000)
    page.log = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda m: page.log["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: page.log["errors"].append(str(e)))
    page.on("request", lambda r: page.log["requests"].append(r.url))
    started = time.perf_counter()
    page.goto((seeds_site[0] / "index.html").as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    page.load_seconds = time.perf_counter() - started
    yield page
    page.close()


@pytest.mark.corpus
def test_site_is_small_and_offline(seeds_site):
    folder = seeds_site[0]
    assert sum(p.stat().st_size for p in folder.iterdir()) < 10e6
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert '<script src="data.js"></script>' in html and "//" not in html.replace("<!--", "").split("<body>")[0]


@pytest.mark.corpus
def test_page_loads_offline_without_errors_and_draws_every_view(page, tmp_path):
    for view in VIEWS:
        page.evaluate(f"location.hash = '#{view}'")
        page.wait_for_selector(f"#view-{view}.active")
        assert page.locator(f"#view-{view} .provenance").count() == 1
        text = page.inner_text(f"#view-{view} .provenance")
        assert "0123456789" in text and "seed" in text and "0.0-test" in text   # from the run record
        page.screenshot(path=str(tmp_path / f"{view}.png"))
        assert (tmp_path / f"{view}.png").stat().st_size > 10_000
    page.evaluate("location.hash = '#categories'")
    page.click("td.cell[data-level='doc']")
    page.evaluate("location.hash = '#topics'")
    page.click("circle.topic[data-topic='1']")
    page.evaluate("location.hash = '#concordance?q=legal%20supervision'")
    page.wait_for_selector("tr.kwic-row")
    page.evaluate("location.hash = '#formulations'")
    page.click("a.formulation >> nth=0")
    page.wait_for_selector("tr.kwic-row")
    errors = [m for m in page.log["console"] if m[0] in ("error", "warning")]
    assert errors == [] and page.log["errors"] == []
    assert page.log["requests"] and all(u.startswith("file://") for u in page.log["requests"])
    assert page.load_seconds < 3.0


@pytest.mark.corpus
@pytest.mark.parametrize("level", ["doc", "year"])
def test_clicking_a_category_cell_lists_the_paragraphs_of_the_table(page, seeds_site, level):
    tables = seeds_site[1]
    pt = tables.themes.paragraph_themes
    docs = seeds_site[2]["documents"]
    page.evaluate("location.hash = '#categories'")
    page.wait_for_selector("#view-categories td.cell")
    rates = tables.themes.document_themes if level == "doc" else tables.themes.year_themes
    year_docs = {int(y): [docs[i]["doc_id"] for i in ds] for y, ds in seeds_site[2]["themes"]["year_docs"].items()}
    for row in rates.itertuples(index=False):
        unit = row.doc_id if level == "doc" else str(row.year)
        members = [row.doc_id] if level == "doc" else year_docs[row.year]
        expected = int(((pt["doc_id"].astype(str).isin(members)) & (pt[f"count_{row.theme}"] > 0)).sum())
        page.click(f"td.cell[data-level='{level}'][data-unit='{unit}'][data-theme='{row.theme}']")
        assert page.locator("#theme-paragraphs .para-item").count() == expected, (unit, row.theme)
        # every match of the theme counted in the table is highlighted once
        assert page.locator("#theme-paragraphs mark.hit").count() == int(row.count), (unit, row.theme)
        assert f"{int(row.count)} matches in {expected} paragraphs" in page.inner_text("#theme-detail-title")
    first = page.locator("#theme-paragraphs .para-head").first.inner_text()
    assert "\u00b6" in first and ".txt line" in first


KWIC_PATTERNS = ["supervision", "supervisions", "Supervise", "supervis*", "legal supervision", "Fengqiao Experience",
                 "public interest *", "procuratorat?", "[pq]rocuratorate", "the people's", "law-based", "state-owned",
                 "re-examine", "crime", "Xi Jinping", "[!a-r]ecurity", "rule of law"]


def _kwic_rows(table: pd.DataFrame) -> list[list]:
    cols = ["doc_id", "para_id", "line_start", "left", "match", "right", "line_end", "token_start", "token_end"]
    return [[str(v) if isinstance(v, str) else int(v) for v in row] for row in table[cols].itertuples(index=False)]


@pytest.mark.corpus
def test_concordance_search_returns_the_rows_of_kwic(page, corpus):
    cols = ["doc_id", "para_id", "line_start", "left", "match", "right", "line_end", "token_start", "token_end"]
    for pattern in KWIC_PATTERNS:
        for window in (5, 2):
            expected = _kwic_rows(discourse.kwic(corpus.tokens, corpus.paragraphs, pattern, window))
            got = page.evaluate("([p, w, cols]) => window.EXPLORER.kwic(p, w).map(r => cols.map(c => r[c]))",
                                [pattern, window, cols])
            assert got == expected, pattern
    assert any(len(_kwic_rows(discourse.kwic(corpus.tokens, corpus.paragraphs, p, 5))) > 50 for p in KWIC_PATTERNS)
    page.evaluate("location.hash = '#concordance'")
    page.fill("#kwic-pattern", "legal supervision")
    page.click("#kwic-go")
    n = len(discourse.kwic(corpus.tokens, corpus.paragraphs, "legal supervision", 5))
    assert page.locator("tr.kwic-row").count() == n and f"{n} matches" in page.inner_text("#kwic-status")
    page.fill("#kwic-pattern", "123 ...")
    page.click("#kwic-go")
    assert "has no word to match" in page.inner_text("#kwic-status")


@pytest.mark.corpus
def test_pattern_words_are_cut_as_parse_pattern_cuts_them(page):
    patterns = KWIC_PATTERNS + ["  two\tspaces ", "people's 'quoted' words", "e-commerce's", "x1y2 _under_score",
                                "Ünïcode café", "SUPERVIS*", "a[b", "--", "state-owned-enterprise", "12 June"]
    got = page.evaluate("ps => ps.map(p => window.EXPLORER.patternWords(p))", patterns)
    assert got == [parse_pattern(p) for p in patterns]


@pytest.mark.corpus
def test_concordance_of_corpus_words_matches_kwic_counts(page, corpus):
    """Every 40th lemma of the corpus and an inflection of it: the browser finds kwic's matches."""
    lemmas = sorted(set(corpus.tokens["lemma"].astype(str)))[::40]
    patterns = lemmas + [w + "s" for w in lemmas] + [w + "ed" for w in lemmas]
    got = page.evaluate("ps => ps.map(p => window.EXPLORER.kwic(p, 5).map(r => r.doc_id + ':' + r.para_id + ':' + "
                        "r.token_start).join(' '))", patterns)
    for pattern, rows in zip(patterns, got):
        table = discourse.kwic(corpus.tokens, corpus.paragraphs, pattern, 5)
        assert rows == " ".join(f"{d}:{p}:{t}" for d, p, t in zip(table["doc_id"], table["para_id"],
                                                                  table["token_start"])), pattern


@pytest.mark.corpus
def test_relevance_slider_reorders_terms_by_the_formula(page, seeds_site):
    tables = seeds_site[1]
    page.evaluate("location.hash = '#topics'")
    page.wait_for_selector("#term-bars text.term")
    page.click("circle.topic[data-topic='1']")
    model, k, seed = page.evaluate("[document.getElementById('topic-model').value, "
                                   "Number(document.getElementById('topic-k').value), "
                                   "Number(document.getElementById('topic-seed').value)]")
    fit = next(f for f in tables.fits if (f.model, f.k, f.seed) == (model, k, seed))
    counts = np.asarray(tables.bag.matrix.sum(axis=0)).ravel()
    share = counts / counts.sum()
    orders = {}
    for lam in ("0", "0.25", "0.6", "1"):
        page.fill("#lambda", lam)
        shown = page.locator("#term-bars text.term").evaluate_all("ts => ts.map(t => t.getAttribute('data-term'))")
        top = top_by_relevance(relevance(fit.topic_word, share, float(lam)), RELEVANCE_TERMS)[1]
        assert shown == [str(t) for t in tables.bag.vocab[top]], lam
        assert page.inner_text("#lambda-value") == f"{float(lam):.2f}"
        orders[lam] = shown
    assert orders["0"] != orders["1"]
    # hovering a term sizes the circles by p(topic | term), proportional to phi[topic, term] * p(topic)
    term = orders["1"][0]
    page.hover(f"#term-bars text.term[data-term='{term}']")
    radii = page.locator("circle.topic").evaluate_all(
        "cs => cs.map(c => [Number(c.getAttribute('data-topic')), Number(c.getAttribute('r'))])")
    lengths = np.asarray(tables.bag.matrix.sum(axis=1)).ravel()
    prevalence = lengths @ fit.doc_topic / lengths.sum()
    joint = fit.topic_word[:, list(tables.bag.vocab).index(term)] * prevalence
    area = {t: ((r - 6) / 55) ** 2 / prevalence.max() for t, r in radii}
    assert [area[t] for t in range(fit.k)] == pytest.approx(joint / joint.sum(), abs=2e-4)
    assert "p(topic | " + term in page.inner_text("#map-caption")
    page.mouse.move(0, 0)
    assert "prevalence" in page.inner_text("#map-caption")
    # lambda = 1 ranks by probability: the topic_terms table of the run
    terms = tables.topics.topic_terms.query("model == @model and k == @k and seed == @seed and topic == 1")
    assert orders["1"][:len(terms)] == terms.sort_values("rank")["term"].tolist()


@pytest.mark.corpus
def test_keyness_sorts_and_links_terms_to_their_concordance(page, seeds_site, corpus):
    page.evaluate("location.hash = '#keyness'")
    page.wait_for_selector("table.keyness tbody tr")
    first = seeds_site[2]["keyness"][0]["rows"]
    best = max(range(len(first["g2"])), key=lambda i: (first["g2"][i], -i))
    assert page.locator("table.keyness tbody tr td a.term").first.inner_text() == first["term"][best]
    page.click("table.keyness th[data-key='log_ratio']")
    shown = page.locator("table.keyness tbody tr td:nth-child(9)").evaluate_all(
        "tds => tds.map(td => parseFloat(td.textContent))")
    assert shown == sorted(shown, reverse=True) and len(shown) == len(first["term"])
    term = page.locator("table.keyness tbody tr td a.term").first.inner_text()
    page.click("table.keyness tbody tr td a.term >> nth=0")
    page.wait_for_selector("#view-concordance.active")
    n = len(discourse.kwic(corpus.tokens, corpus.paragraphs, term.replace("_", " "), 5))
    assert page.locator("tr.kwic-row").count() == n


@pytest.mark.corpus
def test_formulation_cells_open_their_concordance(page, seeds_site):
    counts = seeds_site[1].formulation_counts
    row = counts[counts["count"] > 1].iloc[0]
    doc = [d["doc_id"] for d in seeds_site[2]["documents"]].index(row["doc_id"])
    page.evaluate(f"location.hash = '#concordance?f={row['formulation_id']}&doc={doc}'")
    page.wait_for_selector("tr.kwic-row")
    assert page.locator("tr.kwic-row").count() == int(row["count"])


@pytest.mark.slow
def test_user_corpus_site_opens_and_searches_in_the_browser(browser, user_site, tmp_path):
    import analysis

    manifest, _, out = user_site
    corpus = analysis.load_corpus(manifest)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(5000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: problems.append(r.url) if not r.url.startswith("file://") else None)
    page.goto((out / "index.html").as_uri())
    page.wait_for_selector("body[data-ready='1']")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    for view in VIEWS:
        page.evaluate(f"location.hash = '#{view}'")
        page.wait_for_selector(f"#view-{view}.active")
        shown = page.inner_text(f"#view-{view} .provenance")
        assert (run["git_commit"] or "unknown")[:10] in shown and "seed" in shown, view
        page.screenshot(path=str(tmp_path / f"user-{view}.png"))
    for pattern in ("protected", "national security", "crim*", "workers", "case", "prosecutor"):
        expected = _kwic_rows(discourse.kwic(corpus.tokens, corpus.paragraphs, pattern, 5))
        got = page.evaluate("p => window.EXPLORER.kwic(p, 5).map(r => [r.doc_id, r.para_id, r.line_start, r.left, "
                            "r.match, r.right, r.line_end, r.token_start, r.token_end])", pattern)
        assert got == expected and expected, pattern
    # highlighted theme matches cut the same text as Python's offsets, after the astral character too
    matches = analyse_themes(corpus).matches
    texts = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]
    expected = [texts.loc[(d, p)][a:b] for d, p, a, b in zip(matches["doc_id"], matches["para_id"], matches["start"],
                                                             matches["end"])]
    got = page.evaluate("() => { const M = DATA.themes.matches; "
                        "return M.para.map((p, i) => DATA.paragraphs.text[p].slice(M.start[i], M.end[i])); }")
    assert got == expected and any("\U00020BB7" in t for t in texts)
    assert problems == []
    page.close()


CATEGORIES = """themes:
  crime:
  - pattern: crime
    rationale: planted
  - pattern: fraud
    rationale: planted
  protection:
  - pattern: protect
    rationale: planted
  courts and trials:
  - pattern: court
    rationale: planted
  - pattern: trial
    rationale: planted
"""


@pytest.mark.slow
def test_any_lexicon_categories_are_shown_and_listed(browser, tmp_path):
    import analysis
    from analysis.config import load_config
    from analysis.themes import load_lexicon

    manifest, config = _user_corpus(tmp_path)
    (tmp_path / "cats.yaml").write_text(CATEGORIES, encoding="utf-8")
    lexicon = load_lexicon(tmp_path / "cats.yaml")
    corpus = analysis.load_corpus(manifest)
    tables = collect_tables(corpus, load_config(config), lexicon)
    data = build_data(tables, {"git_commit": None})
    assert data["themes"]["names"] == ["crime", "protection", "courts and trials"]
    out = tmp_path / "site"
    out.mkdir()
    for name, blob in site_files(data).items():
        (out / name).write_bytes(blob)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(5000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "index.html").as_uri() + "#categories")
    page.wait_for_selector("#view-categories td.cell")
    pt = tables.themes.paragraph_themes
    for row in tables.themes.document_themes.itertuples(index=False):
        page.click(f"td.cell[data-level='doc'][data-unit='{row.doc_id}'][data-theme='{row.theme}']")
        expected = int(((pt["doc_id"].astype(str) == row.doc_id) & (pt[f"count_{row.theme}"] > 0)).sum())
        assert page.locator("#theme-paragraphs .para-item").count() == expected
        assert page.locator("#theme-paragraphs mark.hit").count() == int(row.count)
    assert int(tables.themes.document_themes["count"].sum()) > 0 and errors == []
    page.screenshot(path=str(tmp_path / "categories.png"))
    page.close()
