"""Module state a second execution environment would not share (the checks' cold starts).

A redelivery may land on another execution environment, which imported the
handler's module afresh: its module-level and closure containers start as they
were at import.  :class:`EnvironmentState` keeps copies of them and puts them
back; :func:`referenced` finds what ``state``/``reset`` read, which stands in
for external storage and so is shared by every environment.
"""

from __future__ import annotations

import copy
import inspect
import sys
import types
from collections.abc import Iterator
from typing import Any

_CONTAINERS = (dict, list, set, bytearray)


def is_container(value: Any) -> bool:
    import collections

    return isinstance(value, (*_CONTAINERS, collections.deque)) and not isinstance(value, types.MappingProxyType)


def referenced(funcs: list[Any]) -> set[int]:
    """ids of the objects ``state``/``reset`` read (globals, closures; three calls deep).

    Those are the test's stand-in for external storage, shared by every
    environment, so a cold start must not reset them."""
    seen_code: set[int] = set()
    found: set[int] = set()
    todo = [(f, 0) for f in funcs if f is not None]
    while todo:
        func, depth = todo.pop()
        func = inspect.unwrap(func) if callable(func) else func
        code = getattr(func, "__code__", None)
        if code is None or id(code) in seen_code or depth > 3:
            continue
        seen_code.add(id(code))
        glb = getattr(func, "__globals__", {})
        values = [glb[n] for n in code_names(code) if n in glb]
        values += [c.cell_contents for c in (getattr(func, "__closure__", None) or ()) if has_contents(c)]
        for value in values:
            found.add(id(value))
            if callable(value):
                todo.append((value, depth + 1))
    return found


def code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:  # nested functions and lambdas
        if isinstance(const, types.CodeType):
            yield from code_names(const)


def has_contents(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


class EnvironmentState:
    """The handler's module-level and closure containers, as they were when the check began.

    :meth:`cold_start` puts fresh copies back, as a new execution environment
    (which imports the module again) would see them."""

    def __init__(self, handler: Any, exclude: set[int]) -> None:
        self.globals: list[tuple[dict[str, Any], str, Any]] = []
        self.cells: list[tuple[Any, str, Any]] = []
        target = inspect.unwrap(handler)
        module = sys.modules.get(getattr(target, "__module__", "") or "")
        if module is not None:
            namespace = vars(module)
            for name, value in list(namespace.items()):
                if name.startswith("__") or not is_container(value) or id(value) in exclude:
                    continue
                saved = self._copy(value)
                if saved is not None:
                    self.globals.append((namespace, name, saved))
        code = getattr(target, "__code__", None)
        for name, cell in zip(code.co_freevars if code else (), getattr(target, "__closure__", None) or ()):
            if has_contents(cell) and is_container(cell.cell_contents) and id(cell.cell_contents) not in exclude:
                saved = self._copy(cell.cell_contents)
                if saved is not None:
                    self.cells.append((cell, name, saved))

    @staticmethod
    def _copy(value: Any) -> Any:
        try:
            return copy.deepcopy(value)
        except Exception:  # clients, locks: not state a cold start would rebuild from scratch
            return None

    @property
    def names(self) -> list[str]:
        return [name for _, name, _ in self.globals] + [name for _, name, _ in self.cells]

    def changed(self) -> list[str]:
        """Names whose value differs from the cold-start one (what the run kept in module state)."""
        names = [name for namespace, name, saved in self.globals if namespace.get(name) != saved]
        return names + [name for cell, name, saved in self.cells
                        if not has_contents(cell) or cell.cell_contents != saved]

    def cold_start(self) -> None:
        for namespace, name, saved in self.globals:
            namespace[name] = copy.deepcopy(saved)
        for cell, _, saved in self.cells:
            cell.cell_contents = copy.deepcopy(saved)
