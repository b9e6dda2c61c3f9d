"""The topic-model commands of the `analysis` CLI: `analysis topics` (with `--save`) and
`analysis topics-apply`."""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from analysis import io
from analysis.cli_common import _cache, _input_paths, _inputs, _source, _write_folder
from analysis.errors import AnalysisError

#: Small grid of `--quick` (tests and smoke runs): a few seconds on the seeds.
QUICK_TOPICS = {"k_values": (4, 6), "n_seeds": 2, "passes": 2, "iterations": 20, "max_iter": 5,
                "gibbs_iterations": 100, "n_jobs": 1}
TOPIC_TABLES = {"topic_terms": "topic_terms.csv", "topic_labels": "topic_labels.csv",
                "typical": "typical_paragraphs.csv", "doc_topics": "doc_topics.csv",
                "model_selection": "model_selection.csv", "preferred_k": "preferred_k.csv",
                "stability": "stability.csv", "topic_themes": "topic_themes.csv",
                "theme_shares": "theme_shares.csv", "paragraph_themes": "paragraph_themes.csv",
                "agreement": "agreement.csv", "placebo": "placebo.csv"}


def cmd_topics(args, config) -> int:
    from analysis.tokens import load_corpus
    from analysis.topics import derived_seeds, run_topics

    started = time.perf_counter()
    if args.save is not None:
        _models_target(args.save)
    overrides = dict(QUICK_TOPICS) if args.quick else {}
    for option, name in (("k", "k_values"), ("seeds", "seeds"), ("models", "models")):
        if getattr(args, option):
            overrides[name] = tuple(getattr(args, option))
    topics_config = dataclasses.replace(config.topics, **overrides)
    config = dataclasses.replace(config, topics=topics_config)
    if args.streamed:
        return _cmd_streamed(args, config, started)
    from analysis import themes
    from analysis.topics import theme_words

    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    labels = io.read_labels(args.labels, (*lexicon.categories, "none")) if args.labels is not None else None
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), **_source(args))
    if labels is not None:
        unknown = labels.index[~labels["doc_id"].isin(set(corpus.documents["doc_id"]))]
        if len(unknown):
            raise AnalysisError(f"{args.labels}:{unknown[0] + 2}: field 'doc_id' is "
                                f"{labels.loc[unknown[0], 'doc_id']!r}, which is not a document of the corpus")
    if labels is None:      # agreement against the dictionary model's paragraph labels
        labels = themes.score_paragraphs(corpus, lexicon, config.themes)[["doc_id", "para_id", "theme"]]
    result = run_topics(corpus, topics_config, theme_words(lexicon), labels, sys.stderr.isatty(), client=args.client,
                        workers=args.workers, cache=_cache(args))
    inputs = _inputs(args, corpus)
    inputs[str(Path(lexicon.source).name)] = io.sha256_file(lexicon.source)
    seconds = time.perf_counter() - started
    out = _write_folder(args, corpus, {name: getattr(result, attr) for attr, name in TOPIC_TABLES.items()},
                        io.run_record(config, inputs, command="topics", argv=sys.argv[1:],
                                      engine=args.engine_record,
                                      derived_seeds=derived_seeds(topics_config), facts=result.facts,
                                      outputs=sorted(TOPIC_TABLES.values()), seconds=round(seconds, 3)))
    if args.save is not None:
        _save_models(result, corpus, config, args.save)
    best = result.preferred_k
    summary = "; ".join(f"{m}: " + ", ".join(f"{r.criterion}={r.k}" for r in sub.itertuples())
                        for m, sub in best.groupby("model", sort=False))
    print(f"{result.facts['n_paragraphs']} paragraphs, {result.facts['n_terms']} terms, "
          f"{len(result.model_selection)} fits; preferred K: {summary} -> {out} ({seconds:.1f} s)")
    return 0


def _models_target(target: Path) -> Path:
    """Return `target` if a models folder may be written there (new, empty, or an earlier one)."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / "models.json").is_file())):
        raise AnalysisError(f"--save {target}: exists and is not a models folder written by this command; "
                            "choose a new folder")
    return target


def _save_models(result, corpus, config, target: Path) -> None:
    """Write the fits at the analysis K to `target`, replacing an earlier models folder whole."""
    import shutil
    import tempfile

    from analysis.topics import save_models

    target = _models_target(target)
    io.ensure_dir(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=".models-", dir=target.parent))
    try:
        save_models(list(result.fits), result.bag, tmp, dataclasses.asdict(config), corpus.documents)
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(result.fits)} models -> {target}")


def cmd_topics_apply(args, config) -> int:
    from analysis.config import Config, config_from_dict
    from analysis.tokens import load_corpus
    from analysis.topics import load_models, transform

    saved = load_models(args.models)
    trained = config_from_dict(saved.record.get("settings", {}), where=f"{args.models}/models.json settings")
    config = Config(corpus=trained.corpus, tokens=trained.tokens)
    corpus = load_corpus(args.manifest, config, **_source(args))
    shares = transform(saved, corpus.tokens)
    keys = ["model", "k", "seed", "doc_id", "topic"]
    weights = shares.assign(weighted=shares["share"] * shares["n_terms"])
    documents = weights.groupby(keys, sort=True).agg(weighted=("weighted", "sum"), n_terms=("n_terms", "sum"))
    documents = documents.assign(share=documents["weighted"] / documents["n_terms"].where(documents["n_terms"] > 0))
    inputs = _inputs(args, corpus)
    inputs["models.json"] = io.sha256_file(Path(args.models) / "models.json")
    tables = {"paragraph_topics.csv": shares,
              "document_topics.csv": documents.reset_index()[[*keys, "share", "n_terms"]]}
    out = _write_folder(args, corpus, tables, io.run_record(config, inputs, command="topics-apply",
                                                            engine=args.engine_record,
                                                            argv=sys.argv[1:], models=str(args.models)))
    print(f"{len(saved.fits)} models x {shares[['doc_id', 'para_id']].drop_duplicates().shape[0]} paragraphs -> {out}")
    return 0


#: Tables of ``topics --streamed``.
STREAMED_TABLES = {"topic_terms": "topic_terms.csv", "doc_topics": "doc_topics.csv", "fits": "streamed_fits.csv"}


def _cmd_streamed(args, config, started: float) -> int:
    """``topics --streamed``: the bag of words built per partition into ``<out>/bag`` (from the corpus
    cache entry's parts when the cache is on, else from blocks of the loaded corpus), and the gensim
    model fitted from it in chunks for every K and seed (`analysis.topics.stream`)."""
    from analysis.corpus_cache import corpus_key
    from analysis.tokens import load_corpus
    from analysis.topics.stream import stream_bag, streamed_grid

    if args.save is not None or args.labels is not None:
        raise AnalysisError("topics --streamed: --save and --labels need the full grid (leave out --streamed)")
    if set(config.topics.models) != {"gensim"} and args.models:
        raise AnalysisError(f"topics --streamed fits the gensim model only; got --models {' '.join(args.models)}")
    source = _source(args)
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), columns={"paragraphs": ["doc_id"]},
                         **source)
    entry = None if source["cache"] is None else Path(source["cache"]) / corpus_key(corpus.manifest, config)
    from_entry = entry is not None and (entry / "entry.json").is_file()
    out = io.ensure_dir(io.check_output(args.out, "folder", _input_paths(args, corpus), "--out"))
    bag = stream_bag(entry if from_entry else corpus, out / "bag", config.topics, client=args.client,
                     partitions=args.partitions)
    _, tables = streamed_grid(bag, config.topics, client=args.client)
    seconds = time.perf_counter() - started
    _write_folder(args, corpus, {name: tables[key] for key, name in STREAMED_TABLES.items()},
                  io.run_record(config, _inputs(args, corpus), command="topics", argv=sys.argv[1:],
                                engine=args.engine_record, streamed={"bag": "bag", "from_cache_entry": from_entry,
                                                                     **{k: v for k, v in bag.record.items()
                                                                        if k != "sha256"}},
                                outputs=sorted(STREAMED_TABLES.values()), seconds=round(seconds, 3)))
    print(f"{bag.record['n_paragraphs']} paragraphs, {bag.record['n_terms']} terms, {len(tables['fits'])} streamed "
          f"gensim fits -> {out} ({seconds:.1f} s)")
    return 0
