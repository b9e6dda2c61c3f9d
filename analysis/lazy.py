"""Names a package re-exports from its modules, loaded on first use (PEP 562)."""
from __future__ import annotations

import importlib
import sys
from typing import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """Return the `__getattr__` and `__dir__` of `package` for `exports` (name -> module path).

    The module defining a name is imported when the name is first read; the value is then kept in
    the package's namespace, so later reads cost nothing.
    """
    def __getattr__(name: str):
        if name in exports:
            module = importlib.import_module(exports[name])
            value = module if exports[name].endswith(f".{name}") and not hasattr(module, name) \
                else getattr(module, name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
