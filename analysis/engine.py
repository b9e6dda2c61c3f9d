"""Where the work runs: in this process (engine "local", the default) or on a Dask cluster ("dask").

With engine "dask", `dask_client` gives a `distributed.Client`: to the scheduler at an address
(``--scheduler tcp://host:8786``: the user's cluster, e.g. started by `dask_jobqueue`), or, without
one, to a `distributed.LocalCluster` sized to this machine (one single-threaded worker process per
core) that is closed when the run ends. `analysis.tokens.load_corpus` then builds the corpus in
blocks of documents on the workers, and `analysis.topics.run_topics` spreads its grid of fits over
them; every table equals the local engine's. The rest of the pipeline runs in the client process.
"""
from __future__ import annotations

import argparse
import os
from contextlib import contextmanager

import numpy as np

from analysis.errors import AnalysisError, ParameterError

ENGINES = ("local", "dask")
#: Distributions whose versions must agree between the client and every worker.
CHECKED_PACKAGES = ("spp-discourse", "numpy", "pandas", "pyarrow", "gensim", "simplemma", "scikit-learn",
                    "joblib", "dask", "distributed", "cloudpickle")


class EngineError(AnalysisError):
    """A Dask scheduler that does not answer, workers with other package versions, a lost worker."""


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine``, ``--scheduler``, ``--worker-memory`` and ``--partitions`` to a command."""
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="where the corpus build and the topic grid run (default: local, this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="with --engine dask: the Dask scheduler's address (default: a local cluster, "
                             "one worker per core)")
    parser.add_argument("--worker-memory", default="auto", metavar="SIZE",
                        help="with --engine dask and no --scheduler: memory limit per worker, e.g. 4GiB")
    parser.add_argument("--partitions", type=int, default=None, metavar="N",
                        help="with --engine dask: blocks of documents of the corpus build (default: 4 per worker)")
    parser.add_argument("--scheduler-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="with --scheduler: seconds to wait for the scheduler to answer (default 10)")


@contextmanager
def engine_session(args):
    """Yield the Dask client the command line asks for (None with ``--engine local``); set
    ``args.engine_record`` to its `engine_record` for the command's run.json."""
    if args.engine == "local":
        if args.scheduler is not None:
            raise ParameterError("engine", "scheduler", "needs --engine dask")
        args.engine_record = engine_record(None)
        yield None
        return
    with dask_client(args.scheduler, args.worker_memory, timeout=args.scheduler_timeout) as client:
        args.engine_record = engine_record(client, args.scheduler, args.partitions)
        yield client


def engine_record(client, scheduler: str | None = None, partitions: int | None = None) -> dict:
    """Return where a run's work ran, for its run.json: ``engine`` ("local" or "dask"),
    ``scheduler`` (the address given, "LocalCluster" for a cluster started for the run, None for
    the local engine), ``n_workers`` (Dask workers when the run started; 1 for the local engine)
    and ``partitions`` (document blocks the corpus build asks for, at most one per document;
    1 for the local engine, which builds the corpus in one piece)."""
    if client is None:
        return {"engine": "local", "scheduler": None, "n_workers": 1, "partitions": 1}
    return {"engine": "dask", "scheduler": scheduler if scheduler is not None else "LocalCluster",
            "n_workers": len(client.scheduler_info().get("workers", {})),
            "partitions": partitions if partitions is not None else default_partitions(client)}


@contextmanager
def dask_client(scheduler: str | None = None, worker_memory: str | int | None = "auto", timeout: float = 10.0,
                n_workers: int | None = None, processes: bool = True):
    """Yield a `distributed.Client` whose workers run the same package versions as this process.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler. None: start a `LocalCluster` of `n_workers` worker
        processes (default: the machine's cores), one thread each, closed on exit.
    worker_memory : str or int, default "auto"
        Memory limit per local worker ("4GiB", bytes, or "auto": the machine's memory shared out).
    timeout : float
        Seconds to wait for the scheduler at `scheduler` to answer.

    Raises
    ------
    EngineError
        One line: distributed is not installed, the scheduler does not answer within `timeout`,
        or a worker's package versions differ from the client's (`version_mismatches`).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("engine 'dask' needs the package distributed: pip install 'dask[distributed]'") from None
    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            reason = " ".join(str(exc).split())[:160]
            raise EngineError(f"--scheduler {scheduler}: no Dask scheduler answered within {timeout:g} s "
                              f"({reason})") from None
    else:
        _check_memory(worker_memory)
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                               memory_limit=worker_memory, processes=processes, dashboard_address=None)
        client = Client(cluster)
    try:
        problems = version_mismatches(_package_versions(), client.run(_package_versions))
        if problems:
            raise EngineError("the Dask workers run other package versions than this process: " + "; ".join(problems))
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _check_memory(worker_memory) -> None:
    if worker_memory in (None, "auto") or isinstance(worker_memory, int):
        return
    from dask.utils import parse_bytes

    try:
        parse_bytes(worker_memory)
    except ValueError:
        raise ParameterError("dask_client", "worker_memory", f"must be a size like 4GiB; got {worker_memory!r}") from None


def _package_versions() -> dict[str, str | None]:
    """Return the Python version and the version of each of `CHECKED_PACKAGES` (None: not installed)."""
    from analysis.io import package_versions

    return package_versions(CHECKED_PACKAGES)


def version_mismatches(mine: dict[str, str | None], workers: dict[str, dict[str, str | None]]) -> list[str]:
    """Return one phrase per package whose version differs between this process (`mine`) and any
    worker (`workers`: worker address -> package -> version), e.g. ``"pandas 2.2.3 here, 2.1.0 on
    tcp://10.0.0.5:4001"``; empty when every worker agrees."""
    problems = []
    for name, version in mine.items():
        other = {addr: v.get(name) for addr, v in sorted(workers.items()) if v.get(name) != version}
        if other:
            where = ", ".join(f"{v or 'missing'} on {addr}" for addr, v in list(other.items())[:2])
            more = f" and {len(other) - 2} more workers" if len(other) > 2 else ""
            problems.append(f"{name} {version or 'missing'} here, {where}{more}")
    return problems


def blocks(n_rows: int, n_blocks: int) -> list[tuple[int, int]]:
    """Return the [start, stop) row ranges of `n_blocks` contiguous blocks of `n_rows` rows (sizes
    differing by one at most, none empty, in row order)."""
    if n_blocks < 1:
        raise ParameterError("load_corpus", "partitions", f"must be >= 1; got {n_blocks}")
    edges = np.linspace(0, n_rows, min(n_blocks, max(n_rows, 1)) + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def default_partitions(client) -> int:
    """Return the default number of document blocks for `client`: four per worker."""
    return 4 * max(1, len(client.scheduler_info().get("workers", {})))


def gather(client, futures):
    """Return the results of `futures`; a worker lost beyond distributed's retries is one line."""
    from distributed import KilledWorker

    try:
        return client.gather(futures)
    except KilledWorker as exc:
        raise EngineError(f"a Dask worker died while running {exc.args[0] if exc.args else 'a task'} "
                          "(retried; nothing was written). Raise --worker-memory or use more partitions") from None
