"""The figure and effects commands of the `analysis` CLI (`analysis figures`, `analysis effects`).

Split from `analysis.cli` to keep each module readable; like it, this module only takes what the
command line gives, calls the package's functions and writes their results (atomically). It imports
nothing from `analysis.cli`: the CLI hands its shared helpers in (`shared`).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from analysis import io
from analysis.config import FIGURE_NAMES
from analysis.errors import AnalysisError, ConfigError


def _figure_files(result, record: dict) -> list[tuple[str, bytes]]:
    """Return the files (name, bytes) of one figure output: PNG, PDF, SVG, CSV and the JSON sidecar."""
    from analysis import figures, pipeline

    rendered = pipeline.render_figure(result.figure, result.name)
    figures.plt.close(result.figure)
    record = {**record, "caption": result.caption, "drawn": result.drawn,
              "print_size_in": [round(v, 3) for v in result.figure.get_size_inches()]}
    files = [(f"{result.name}.{ext}", data) for ext, data in rendered.items()]
    files += [(f"{result.name}.csv", result.table.to_csv(index=False, lineterminator="\n").encode()),
              (f"{result.name}.json", (json.dumps(record, indent=2, sort_keys=True, default=str) + "\n").encode())]
    return files


def _write_files(folder: Path, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        with io.atomic_write(folder / name, "wb") as fh:
            fh.write(data)


def cmd_figures(args, config, shared) -> int:
    """Run ``analysis figures``; `shared` holds `analysis.cli`'s (_inputs, _source, QUICK_TOPICS, _input_paths)."""
    from analysis import pipeline, themes
    from analysis.tokens import load_corpus

    _inputs, _source, _, _input_paths = shared
    started = time.perf_counter()
    unknown = [n for n in args.only or () if n == "keyness" or n not in FIGURE_NAMES and not n.startswith("keyness_")]
    if unknown:
        raise ConfigError(f"--only {', '.join(unknown)}: no such figure; choose from "
                          f"{', '.join(n if n != 'keyness' else 'keyness_<label>' for n in FIGURE_NAMES)}")
    if args.check is not None:
        return _check_figures(args, config, shared)
    if args.out is None:
        raise ConfigError("figures: give --out DIR (write the figures) or --check DIR (check written ones)")
    out = Path(args.out)
    interactive = sys.stderr.isatty()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    progress("corpus and tokens")
    corpus = load_corpus(args.manifest, config, progress=interactive, **_source(args))
    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    results = pipeline.make_figures(corpus, config, only=args.only, progress=progress, lexicon=lexicon,
                                    workers=args.workers, cache=_source(args)["cache"], client=args.client)
    inputs = _inputs(args, corpus)
    inputs[Path(lexicon.source).name] = io.sha256_file(lexicon.source)
    # Everything is rendered in memory before anything is written: a failure leaves earlier figures whole.
    progress(f"rendering and writing {len(results)} figures to {out}")
    files: list[tuple[str, bytes]] = []
    for result in results:
        record = io.run_record(config, inputs, figure=result.name, command="figures",
                               engine=args.engine_record,
                               seeds={"themes": config.themes.seed, "topics": config.topics.seed,
                                      "layout": config.figures.layout_seed}, **result.facts)
        files += _figure_files(result, record)
    # captions.md lists the figures of the folder: those kept from earlier runs and the new ones
    sidecars = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json"))} \
        if out.is_dir() else {}
    sidecars.update({name[:-5]: json.loads(data) for name, data in files if name.endswith(".json")})
    files.append(("captions.md", pipeline.captions_markdown(sidecars).encode()))
    with io.output_set(out, _input_paths(args, corpus)) as staged:
        _write_files(staged, files)
    seconds = time.perf_counter() - started
    print(f"{len(results)} figures -> {out} ({seconds:.1f} s)")
    return 0


def _check_figures(args, config, shared) -> int:
    """``analysis figures --check DIR``: drawn numbers against the CSVs, CSVs against a recomputation."""
    import dataclasses
    from io import StringIO

    import pandas as pd

    from analysis import pipeline, themes
    from analysis.tokens import load_corpus

    _, _source, _, _ = shared
    folder = Path(args.check)
    if not folder.is_dir():
        raise AnalysisError(f"{folder}: no such folder of figures")
    sidecars = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
    sidecars = {name: data for name, data in sidecars.items() if isinstance(data, dict) and data.get("figure") == name}
    names = [n for n in sidecars if not args.only or n in args.only]
    if not names:
        raise AnalysisError(f"{folder}: no figure sidecar (NAME.json) to check")
    problems, checked = [], 0
    tables = {}
    for name in names:
        csv = folder / f"{name}.csv"
        if not csv.is_file():
            problems.append(f"{name}: {csv.name} is missing")
            continue
        tables[name] = pd.read_csv(csv, keep_default_na=True)
        drawn = sidecars[name].get("drawn")
        if drawn is None:
            problems.append(f"{name}: the sidecar records no drawn values (made by an older version)")
            continue
        problems += pipeline.check_drawn(name, drawn, tables[name])
        checked += sum(len(v) for v in drawn.values())
        if sidecars[name].get("config") != json.loads(json.dumps(dataclasses.asdict(config), default=str)):
            problems.append(f"{name}: made with another configuration than --config gives; pass the same --config")
    corpus = load_corpus(args.manifest, config, **_source(args))
    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    for result in pipeline.make_figures(corpus, config, only=list(tables), lexicon=lexicon, workers=args.workers,
                                        cache=_source(args)["cache"]):
        fresh = pd.read_csv(StringIO(result.table.to_csv(index=False, lineterminator="\n")))
        problems += pipeline.compare_tables(result.name, tables[result.name], fresh)
        if result.drawn != sidecars[result.name].get("drawn"):
            problems.append(f"{result.name}: the recomputed figure draws other numbers than the sidecar records")
        pipeline.plt.close(result.figure)
    for line in problems:
        print(f"mismatch: {line}")
    print(f"checked {len(names)} figures, {checked} drawn numbers, {len(tables)} CSVs recomputed: "
          f"{len(problems)} mismatch(es)")
    return 1 if problems else 0


def cmd_effects(args, config, shared) -> int:
    """Run ``analysis effects``; `shared` as in `cmd_figures`."""
    import dataclasses

    from analysis import effects, figures, pipeline, themes
    from analysis.tokens import load_corpus

    _inputs, _source, QUICK_TOPICS, _input_paths = shared
    started = time.perf_counter()
    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), **_source(args))
    result = themes.analyse_themes(corpus, lexicon, config.themes, client=args.client, partitions=args.partitions)
    table, means = effects.category_effects(result.paragraph_themes, corpus.documents, args.formula,
                                            method=args.method, seed=config.themes.seed)
    outputs = {"effects.csv": table, "marginal_means.csv": means}
    facts = {}
    if args.topics:
        from analysis.topics import run_topics, theme_words

        topics_config = dataclasses.replace(config.topics, **QUICK_TOPICS) if args.quick else config.topics
        if args.topic_model is not None and args.topic_model not in topics_config.models:
            topics_config = dataclasses.replace(topics_config, models=(*topics_config.models, args.topic_model))
        fit = run_topics(corpus, topics_config, theme_words(lexicon), progress=sys.stderr.isatty(), client=args.client)
        fitted = list(dict.fromkeys(fit.doc_topics["model"]))
        model = args.topic_model or ("seeded" if "seeded" in fitted else fitted[0])
        k = int(fit.facts["analysis_k"][model])
        dt = fit.doc_topics.query("model == @model and k == @k")
        tt = fit.topic_themes.query("model == @model and k == @k")
        fixed = sorted(set(tt.loc[tt["seeded"].astype(bool), "topic"])) if len(tt) else []
        t_table, t_means = effects.topic_effects(dt, corpus.documents, args.formula, fixed_topics=fixed,
                                                 seed=topics_config.seed)
        outputs.update({"topic_effects.csv": t_table, "topic_marginal_means.csv": t_means})
        facts["topics"] = {"model": model, "k": k, "seeds": sorted(int(s) for s in dt["seed"].unique())}
    with figures.style():
        fig = figures.plot_effects(means, table, width=config.figures.width)
    rendered = pipeline.render_figure(fig, "effects")
    figures.plt.close(fig)
    warnings = sorted(set(table["warning"]) - {""})
    seconds = time.perf_counter() - started
    record = io.run_record(config, _inputs(args, corpus), command="effects", argv=sys.argv[1:],
                           engine=args.engine_record, formula=args.formula, method=args.method, warnings=warnings,
                           seconds=round(seconds, 3), **facts)
    with io.output_set(args.out, _input_paths(args, corpus)) as staged:
        for name, frame in outputs.items():
            io.write_csv(frame, staged / name)
        _write_files(staged, [(f"effects.{ext}", data) for ext, data in rendered.items()])
        io.write_json(record, staged / "run.json")
    shown = table.dropna(subset=["estimate"])
    print(f"{len(table)} effects ({len(shown)} estimated) over {table['n_clusters'].max() if len(table) else 0} "
          f"documents -> {args.out} ({seconds:.1f} s)")
    for w in warnings:
        print(f"warning: {w}")
    return 0
