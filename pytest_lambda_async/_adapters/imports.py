"""Running code right after a module is first imported: an import hook the adapters share."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

__all__ = ["spec_running_after"]


def spec_running_after(fullname: str, path: Sequence[str] | None, target: ModuleType | None, *,
                       finder: importlib.abc.MetaPathFinder,
                       after: Callable[[ModuleType], None]) -> importlib.machinery.ModuleSpec | None:
    """The spec the other finders give ``fullname``, its loader made to call ``after(module)`` once
    the module's own code has run (``finder`` is the hook asking, skipped)."""
    spec: importlib.machinery.ModuleSpec | None = None
    for other in sys.meta_path:  # whoever would have found it without the hook
        if other is finder:
            continue
        find = getattr(other, "find_spec", None)
        spec = find(fullname, path, target) if find is not None else None
        if spec is not None:
            break
    loader = spec.loader if spec is not None else None
    if loader is None or not hasattr(loader, "exec_module"):
        return spec
    run = loader.exec_module

    def exec_module(module: ModuleType) -> None:
        run(module)
        after(module)

    loader.exec_module = exec_module  # type: ignore[method-assign]
    return spec
