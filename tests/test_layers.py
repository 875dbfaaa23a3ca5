"""The package's layering rule (issue 11; docs/contributing.md), checked on its source.

Each module belongs to one layer and imports only from its own layer or below; no runtime
import circle; the pure service imports no pytest, Hypothesis, boto3, botocore or moto, not
even lazily; no module uses another module's ``_private`` names, nor an object's private attribute
(``X._name`` where X is not ``self``, ``cls`` or ``super()``) outside ``ALLOWED_PRIVATE_ATTRIBUTES``.
Absolute imports of the package itself are checked exactly like relative ones.  The checker is run on
the real package and on planted packages, so it is known to fail when the rule is broken.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_lambda_async"

# Lowest first.  A module's layer is that of the longest prefix naming it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vocabulary", ("errors", "_service.aws", "_service.records", "_service.links")),  # exceptions, AWS rules, structured data
    ("text", ("_text",)),  # every sentence people read, rendered from that data
    ("service", ("_service",)),  # the pure Lambda service
    ("adapters", ("_adapters",)),  # botocore routing, moto delivery and state, SDK faults
    ("invoker", ("_invoker",)),  # LambdaInvoker: the service wired to its adapters
    ("strategies", ("strategies",)),  # Hypothesis strategies for AWS events and histories
    ("checks", ("_checks",)),  # await and idempotency checks
    ("top", ("plugin", "")),  # the pytest plugin and the package's facade
)
# Imports a layer may never make, at any depth (a lazy import inside a function counts too).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "vocabulary": ("pytest", "_pytest", "hypothesis", "boto3", "botocore", "moto"),
    "text": ("pytest", "_pytest", "hypothesis", "boto3", "botocore", "moto"),
    "service": ("pytest", "_pytest", "hypothesis", "boto3", "botocore", "moto"),
    "adapters": ("pytest", "_pytest", "hypothesis"),
    "invoker": ("pytest", "_pytest", "hypothesis"),
    "strategies": ("pytest", "_pytest", "boto3", "botocore", "moto"),
    "checks": ("pytest", "_pytest"),
}


# ``X._name`` where X is not ``self``, ``cls`` or ``super()`` and not a module of the package
# (those have their own rule), allowed here one site at a time, each with its reason.  Keyed by
# module and the expression as ``ast.unparse`` writes it; every entry must still match a site.
NAMEDTUPLE_API = frozenset({"_replace", "_asdict", "_fields", "_make", "_field_defaults"})  # public, despite the _
ALLOWED_PRIVATE_ATTRIBUTES: dict[tuple[str, str], str] = {
    # The same module's own class, on instances other than self.
    ("_service.leaks", "window._parent"): "AwaitWindow walking its own chain of outer AwaitWindows",
    ("_service.leaks", "window._preexisting"): "AwaitWindow reading an outer AwaitWindow's own field",
    ("_service.leaks", "other._thread"): "AwaitWindow comparing itself with the other open AwaitWindows",
    ("_service.leaks", "other._overlapped"): "AwaitWindow marking the other open AwaitWindows as overlapped",
    ("_service.leaks", "owner._open"): "AwaitWindow asking whether the AwaitWindow that owns a thread is open",
    ("_service.threads", "runtime._thread"): "RuntimeThread.lease (a classmethod) checking a parked RuntimeThread",
    ("_service.threads", "runtime._context"): "RuntimeThread.lease and _reset giving a RuntimeThread a fresh context",
    # Outside libraries that offer no public way; each site degrades or is pinned by a test.
    ("_service.clock", "sys._getframe"): "CPython's documented frame access (freezegun's own look-up does the same)",
    ("_service.hooks", "sys._getframe"): "CPython's documented frame access: where work was started",
    ("_service.loop_watch", "sys._getframe"): "CPython's documented frame access: where work was started",
    ("_service.clock", "sys._current_frames"): "CPython's documented frames of every thread",
    ("_service.leaks", "sys._current_frames"): "CPython's documented frames of every thread",
    ("_service.clock", "fz._get_cached_module_attributes"): "freezegun's module scan, kept in step with its fakes",
    ("_service.clock", "fz._get_module_attributes"): "freezegun's module scan, kept in step with its fakes",
    ("_service.clock", "fz._real_time_object_ids"): "freezegun's set of the real time functions it keeps",
    ("_service.loop_watch", "task._log_destroy_pending"): "asyncio Task's flag, silenced on a task that cannot end",
    ("_checks.interleave", "yielded._asyncio_future_blocking"): "asyncio's duck-typed future protocol, as Task uses it",
    ("_checks.search", "search._hypothesis_internal_database_key"): "Hypothesis's key: no database key derived",
    ("_checks.search", "threadlocal._hypothesis_global_random"): "Hypothesis's per-thread Random, shared if present",
    ("_adapters.botocore", "default._session"): "boto3's default Session has no public accessor for its botocore session",
    ("_adapters.sources.sqs", "queue._messages"): "moto's SQS Queue keeps its messages only there",
    ("_adapters.state", "q._messages"): "moto's SQS Queue keeps its messages only there",
    ("_adapters.state", "queue._messages"): "moto's SQS Queue keeps its messages only there",
    # The same reach spelled getattr(x, "_name"), on the standard library, each with a default for when it is gone.
    ("_adapters.sources.hooks", "spec._initializing"): "importlib's flag on a module still being imported",
    ("_service.hooks", "warnings._filters_mutated"): "warnings' cache reset after a filter change (3.10-3.12)",
    ("_service.hooks", "warnings._filters_mutated_lock_held"): "warnings' cache reset after a filter change (3.13+)",
    ("_service.hooks", "warnings._lock"): "the lock warnings' own cache reset wants held (3.13+)",
    ("_service.logs", "logging._handlerList"): "logging's weak list of every live handler: no public one",
    ("_service.loop_watch", "task._cancelled_by"): "asyncio's record of who cancelled a task: asyncio.run's clean-up",
    ("_service.loop_watch", "handle._loop"): "the loop an asyncio Handle was scheduled on",
    ("_service.loop_watch", "handle._scheduled"): "asyncio TimerHandle's flag, cleared when the loop pops it",
    ("_service.loop_watch", "loop._ready"): "an asyncio loop's queue of callbacks ready to run",
    ("_service.runtime", "os.environ._data"): "os.environ's own store: a trace id written without putenv",
    ("_service.sites", "thread._target"): "the function a threading.Thread runs: no public accessor",
}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a module of the package ("" is the package itself), or an outside module
    line: int
    type_only: bool  # inside ``if TYPE_CHECKING:``
    internal: bool


@dataclass
class Scan:
    imports: list[Import]
    private_uses: list[str]  # another module's private name or private module
    reaches: list[tuple[str, str, int]]  # (module, "X._name", line): a private attribute of an object


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _layer(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".") or prefix == "") and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"module {module!r} is in no layer: add it to LAYERS"
    return best


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _inside(name: str, package: str) -> str | None:
    """The package's own module an absolute name names ("" for the package itself), else None."""
    if name == package:
        return ""
    return name[len(package) + 1:] if name.startswith(package + ".") else None


def _module_named(expr: ast.expr, bound: dict[str, str], modules: dict[str, Path]) -> str | None:
    """The package's module an expression names (``svc``, ``pkg._service.invoker``), else None."""
    if isinstance(expr, ast.Name):
        return bound.get(expr.id)
    if isinstance(expr, ast.Attribute):
        base = _module_named(expr.value, bound, modules)
        sub = (f"{base}.{expr.attr}" if base else expr.attr) if base is not None else None
        return sub if sub in modules else None
    return None


def _is_own(expr: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: an object's own private attributes are its business."""
    if isinstance(expr, ast.Name):
        return expr.id in ("self", "cls")
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super"


def _imports(root: Path, modules: dict[str, Path]) -> Scan:
    """Every import of every module, every use of another module's private name, and every reach
    into an object's private attribute.  Absolute imports of the package itself (``root.name``)
    are resolved exactly like relative ones."""
    scan = Scan([], [], [])
    imports, private_uses = scan.imports, scan.private_uses
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        typing_only = _type_checking_lines(tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        bound: dict[str, str] = {}  # local name -> internal module it names ("" is the package)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    inner = _inside(alias.name, root.name)
                    imports.append(Import(module, alias.name if inner is None else inner, node.lineno,
                                          node.lineno in typing_only, inner is not None))
                    if inner is None:
                        continue
                    if not _may_import_private(module, inner):
                        private_uses.append(f"{module}:{node.lineno} imports {inner}, private to its package")
                    bound[alias.asname or root.name] = inner if alias.asname else ""  # import a.b binds a
                continue
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level == 0:
                source = _inside(node.module or "", root.name)
                if source is None:
                    for alias in node.names:
                        imports.append(Import(module, node.module or "", node.lineno,
                                              node.lineno in typing_only, False))
                    continue
            else:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if source and not _may_import_private(module, source):
                private_uses.append(f"{module}:{node.lineno} imports {source}, private to its package")
            for alias in node.names:
                sub = f"{source}.{alias.name}" if source else alias.name
                if sub in modules:  # a module: the edge goes to it
                    target = sub
                    bound[alias.asname or alias.name] = sub
                    if alias.name.startswith("_") and not _may_import_private(module, sub):
                        private_uses.append(f"{module}:{node.lineno} imports {sub}, private to its package")
                else:
                    target = source
                    if _is_private(alias.name) and source != module:
                        private_uses.append(f"{module}:{node.lineno} imports {alias.name} from {source}")
                imports.append(Import(module, target, node.lineno, node.lineno in typing_only, True))
        for node in ast.walk(tree):  # importlib.import_module("x") / __import__("x") with a literal name
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")):
                name = node.args[0].value
                inner = _inside(name, root.name)
                imports.append(Import(module, name if inner is None else inner, node.lineno, False, inner is not None))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = _module_named(node.value, bound, modules)
            if owner is not None:  # an attribute of one of the package's modules
                sub = f"{owner}.{node.attr}" if owner else node.attr
                if sub in modules:
                    if not _may_import_private(module, sub):
                        private_uses.append(f"{module}:{node.lineno} uses {sub}, private to its package")
                elif _is_private(node.attr) and owner != module:
                    private_uses.append(f"{module}:{node.lineno} uses {sub}")
            elif _is_private(node.attr) and not _is_own(node.value) and node.attr not in NAMEDTUPLE_API:
                scan.reaches.append((module, ast.unparse(node), node.lineno))
        for node in ast.walk(tree):  # getattr(x, "_name") and friends: the same reach, spelled as a call
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ATTR_CALLS
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str) and _is_private(node.args[1].value)):
                continue
            name, target = node.args[1].value, node.args[0]
            owner = _module_named(target, bound, modules)
            if owner is not None:
                if owner != module:
                    private_uses.append(f"{module}:{node.lineno} uses {owner + '.' if owner else ''}{name}")
            elif not _is_own(target) and name not in NAMEDTUPLE_API:
                scan.reaches.append((module, f"{ast.unparse(target)}.{name}", node.lineno))
    return scan


_ATTR_CALLS = ("getattr", "setattr", "hasattr", "delattr")


def _may_import_private(importer: str, target: str) -> bool:
    """A private module (``a._b``) is for its own package; the package's top-level private
    packages (``_service``, ``_adapters``, ...) are the layers themselves, open to every module."""
    parts = target.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_"):
            owner = ".".join(parts[:i])
            if not (importer == owner or importer.startswith(owner + ".")):
                return False
    return True


def _cycles(imports: list[Import]) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.internal and not imp.type_only and imp.target != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.target)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def problems(root: Path) -> list[str]:
    """Every break of the layering rule in the package at ``root``."""
    modules = _modules(root)
    scan = _imports(root, modules)
    found = [f"import circle: {' -> '.join(c)}" for c in _cycles(scan.imports)]
    for imp in scan.imports:
        layer = _layer(imp.importer)
        name = LAYERS[layer][0]
        if imp.internal:
            if imp.target in modules and _layer(imp.target) > layer:
                found.append(f"{imp.importer}:{imp.line} ({name}) imports {imp.target or root.name} "
                             f"({LAYERS[_layer(imp.target)][0]}), a layer above it")
        elif imp.target.partition(".")[0] in FORBIDDEN.get(name, ()):
            found.append(f"{imp.importer}:{imp.line} ({name}) imports {imp.target}, which its layer may not")
    reaches = [f"{module}:{line} reaches {text}, another object's private attribute"
               for module, text, line in sorted(scan.reaches, key=lambda r: (r[0], r[2], r[1])) if (module, text) not in ALLOWED_PRIVATE_ATTRIBUTES]
    return found + scan.private_uses + reaches


def test_the_package_keeps_its_layers() -> None:
    assert problems(PACKAGE) == []


def test_every_module_is_in_a_layer() -> None:
    for module in _modules(PACKAGE):
        _layer(module)  # raises for a module no layer names


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", "_service/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_planted_circle_is_found(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"_service/a.py": "from . import b\n", "_service/b.py": "from .a import thing\n"})
    assert any(p.startswith("import circle: _service.a -> _service.b -> _service.a") for p in problems(root))


def test_a_circle_through_type_checking_only_is_not_a_circle(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "_service/a.py": "from . import b\n",
        "_service/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import Thing\n",
    })
    assert problems(root) == []


def test_an_upward_import_is_found_even_when_lazy(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"_adapters/__init__.py": "", "_adapters/moto.py": "X = 1\n",
                             "_service/q.py": "def f():\n    from .._adapters.moto import X\n    return X\n"})
    assert problems(root) == ["_service.q:2 (service) imports _adapters.moto (adapters), a layer above it"]


@pytest.mark.parametrize("library", ["pytest", "hypothesis", "boto3", "botocore.session", "moto"])
@pytest.mark.parametrize("how", ["import {}", "importlib.import_module('{}')", "__import__('{}')"])
def test_the_service_may_not_import_test_or_aws_libraries(tmp_path: Path, library: str, how: str) -> None:
    root = _plant(tmp_path, {"_service/q.py": f"import importlib\ndef f():\n    {how.format(library)}\n"})
    assert problems(root) == [f"_service.q:3 (service) imports {library}, which its layer may not"]


def test_private_names_of_other_modules_are_found(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "_service/a.py": "_hidden = 1\ndef _helper(): pass\n",
        "_adapters/__init__.py": "",
        "_adapters/b.py": "from .._service.a import _helper\nfrom .._service import a\nx = a._hidden\n",
    })
    assert problems(root) == ["_adapters.b:1 imports _helper from _service.a", "_adapters.b:3 uses _service.a._hidden"]


@pytest.mark.parametrize("how", [
    "from pkg._adapters.moto import X",
    "from pkg._adapters import moto",
    "import pkg._adapters.moto",
    "import pkg._adapters.moto as moto",
    "import importlib; importlib.import_module('pkg._adapters.moto')",
])
def test_an_absolute_self_import_is_checked_like_a_relative_one(tmp_path: Path, how: str) -> None:
    root = _plant(tmp_path, {"_adapters/__init__.py": "", "_adapters/moto.py": "X = 1\n",
                             "_service/q.py": f"def f():\n    {how}\n"})
    assert problems(root) == ["_service.q:2 (service) imports _adapters.moto (adapters), a layer above it"]


def test_an_absolute_import_of_the_facade_is_upward(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"_service/q.py": "def f():\n    from pkg import Thing\n    import pkg\n"})
    assert problems(root) == ["_service.q:2 (service) imports pkg (top), a layer above it",
                              "_service.q:3 (service) imports pkg (top), a layer above it"]


def test_an_absolute_self_import_closes_a_circle(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"_service/a.py": "import pkg._service.b\n", "_service/b.py": "from pkg._service.a import x\n"})
    assert problems(root) == ["import circle: _service.a -> _service.b -> _service.a"]


def test_private_names_reached_through_absolute_imports_are_found(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "_service/invoker.py": "_P = 1\n",
        "_service/_impl.py": "y = 1\n",
        "_adapters/__init__.py": "",
        "_adapters/b.py": textwrap.dedent("""\
            import pkg._service.invoker as svc
            import pkg._service.invoker
            from pkg._service.invoker import _P
            from pkg._service._impl import y
            a = svc._P
            b = pkg._service.invoker._P
            c = svc.__name__
        """),
    })
    assert problems(root) == [
        "_adapters.b:3 imports _P from _service.invoker",
        "_adapters.b:4 imports _service._impl, private to its package",
        "_adapters.b:5 uses _service.invoker._P",
        "_adapters.b:6 uses _service.invoker._P",
    ]


def test_private_attributes_of_other_objects_are_found(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "_service/invoker.py": "class LambdaService:\n    def __init__(self):\n        self._timeline = []\n",
        "_adapters/__init__.py": "",
        "_adapters/b.py": textwrap.dedent("""\
            from collections import namedtuple
            def feed(inv, point):
                inv._timeline.append(1)
                inv.state._cache = None
                return point._replace(x=1), point._asdict(), type(point)._fields, inv.__class__
            class Sub(Base):
                def __init__(self):
                    super()._setup()
                    self._own = 1
                @classmethod
                def make(cls):
                    return cls._registry
        """),
    })
    assert problems(root) == [
        "_adapters.b:3 reaches inv._timeline, another object's private attribute",
        "_adapters.b:4 reaches inv.state._cache, another object's private attribute",
    ]


def test_every_allowed_private_attribute_is_still_reached() -> None:
    reached = {(module, text) for module, text, _ in _imports(PACKAGE, _modules(PACKAGE)).reaches}
    assert set(ALLOWED_PRIVATE_ATTRIBUTES) - reached == set()  # a stale entry: drop it


def test_a_private_attribute_reached_by_getattr_is_found(tmp_path: Path) -> None:
    """``getattr(inv, "_timeline")`` is ``inv._timeline`` spelled as a call; likewise setattr, hasattr, delattr,
    and a module's private name so reached."""
    root = _plant(tmp_path, {
        "_service/__init__.py": "",
        "_service/invoker.py": "_CACHE = {}\nclass LambdaService:\n    def __init__(self):\n        self._timeline = []\n",
        "_adapters/__init__.py": "",
        "_adapters/b.py": textwrap.dedent("""\
            from .._service import invoker
            def feed(inv, name):
                getattr(inv, "_timeline").append(1)
                setattr(inv, "_timeline", [])
                hasattr(inv.state, "_cache"), delattr(inv, "_x")
                getattr(invoker, "_CACHE")
                getattr(inv, name), getattr(inv, "timeline"), getattr(inv, "__class__"), getattr(self_, "_asdict")
            class Sub:
                def __init__(self):
                    getattr(self, "_own")
        """),
    })
    assert problems(root) == [
        "_adapters.b:6 uses _service.invoker._CACHE",
        "_adapters.b:3 reaches inv._timeline, another object's private attribute",
        "_adapters.b:4 reaches inv._timeline, another object's private attribute",
        "_adapters.b:5 reaches inv._x, another object's private attribute",
        "_adapters.b:5 reaches inv.state._cache, another object's private attribute",
    ]


def test_a_name_from_another_packages_private_module_is_found(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"_service/_impl.py": "y = 1\n", "_adapters/__init__.py": "",
                             "_adapters/b.py": "from .._service._impl import y\n"})
    assert problems(root) == ["_adapters.b:1 imports _service._impl, private to its package"]
