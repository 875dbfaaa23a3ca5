"""Patching moto at the points where its services hand work to Lambda, for as long as an invoker is routed.

A :class:`Hook` names one attribute of a moto module (a function, or a method of a class there) and how
to wrap it.  :func:`hooked` applies every hook when the first invoker's block opens and puts each
original back, exactly, when the last one closes.  A moto module not yet imported then (moto loads a
service's models when a request for it first arrives) is patched the moment it is imported inside the
block, through an import hook that steps aside when the block closes.  Outside every block moto runs
unpatched, as if this package were not installed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..imports import spec_running_after

__all__ = ["Hook", "hooked", "installed_hooks"]

_MISSING: Any = object()


@dataclass(frozen=True)
class Hook:
    """``module.owner.name`` (``owner`` None: a module-level function) replaced by ``wrap(original)``."""

    module: str
    owner: str | None
    name: str
    wrap: Callable[[Any], Any]


_LOCK = threading.RLock()
_HOOKS: list[Hook] = []  # every hook the source modules declared
_depth = 0  # open hooked() blocks
_applied: list[tuple[object, str, Any]] = []  # (owner object, attribute, original as found in its __dict__)
_finder: _PatchOnImport | None = None


def register(hooks: Sequence[Hook]) -> None:
    """Declare hooks (each source module does, once, at import)."""
    with _LOCK:
        _HOOKS.extend(h for h in hooks if h not in _HOOKS)


def installed_hooks() -> list[str]:
    """``module.owner.name`` of every hook applied now (for tests and the guard)."""
    with _LOCK:
        return [f"{getattr(owner, '__module__', '')}.{getattr(owner, '__qualname__', getattr(owner, '__name__', ''))}"
                f".{name}" if not isinstance(owner, ModuleType) else f"{owner.__name__}.{name}"
                for owner, name, _ in _applied]


@contextmanager
def hooked() -> Iterator[None]:
    """Apply the hooks for the block (nesting counts; the outermost block restores)."""
    global _depth, _finder
    with _LOCK:
        _depth += 1
        if _depth == 1:
            for hook in _HOOKS:
                module = sys.modules.get(hook.module)
                if module is not None and not _initialising(module):
                    _apply(hook, module)
            if any(h.module not in sys.modules for h in _HOOKS):
                _finder = _PatchOnImport()
                sys.meta_path.insert(0, _finder)
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0:
                if _finder is not None:
                    if _finder in sys.meta_path:
                        sys.meta_path.remove(_finder)
                    _finder = None
                for owner, name, original in reversed(_applied):
                    if original is _MISSING:
                        delattr(owner, name)
                    else:
                        setattr(owner, name, original)
                _applied.clear()


def _initialising(module: ModuleType) -> bool:
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _apply(hook: Hook, module: ModuleType) -> None:
    owner: Any = module if hook.owner is None else getattr(module, hook.owner)
    if any(o is owner and n == hook.name for o, n, _ in _applied):
        return
    original = owner.__dict__.get(hook.name, _MISSING)
    current = getattr(owner, hook.name)  # inherited, or a staticmethod/function unwrapped by getattr
    setattr(owner, hook.name, hook.wrap(current))
    _applied.append((owner, hook.name, original))


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches a hooked moto module right after it is first imported inside a block."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        hooks = [h for h in _HOOKS if h.module == fullname]
        if not hooks:
            return None

        def patch(module: ModuleType) -> None:
            with _LOCK:
                if _depth > 0:
                    for hook in hooks:
                        _apply(hook, module)

        return spec_running_after(fullname, path, target, finder=self, after=patch)
