"""Per-group random streams: one helper every stage uses to derive a seeded generator.

A stream is keyed by the run's seed and a text key naming the group ("doc:<doc_id>",
"kappa:seeded", ...), never by a position in a list, so a group's numbers do not move when
another group is added or removed.
"""
from __future__ import annotations

import zlib

import numpy as np


def group_seed(seed: int, key: str) -> np.random.SeedSequence:
    """Return the seed sequence of one group: ``SeedSequence([seed, crc32(key)])``.

    Examples
    --------
    >>> a = np.random.default_rng(group_seed(1, "doc:a")).integers(0, 10**6)
    >>> b = np.random.default_rng(group_seed(1, "doc:a")).integers(0, 10**6)
    >>> bool(a == b)
    True
    """
    return np.random.SeedSequence([int(seed), zlib.crc32(str(key).encode("utf-8"))])


def group_rng(seed: int, key: str) -> np.random.Generator:
    """Return a numpy Generator on the stream `group_seed(seed, key)`."""
    return np.random.default_rng(group_seed(seed, key))
