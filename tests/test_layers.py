"""The package's layering rule (issue 11; docs/contributing.md), checked on its source.

Each module belongs to one layer and imports only from its own layer or below; no runtime
import circle; the pure service imports no pytest, Hypothesis, boto3, botocore or moto, not
even lazily; no module uses another module's ``_private`` names.  The checker is run on the
real package and on planted packages, so it is known to fail when the rule is broken.
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


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a module of the package ("" is the package itself), or an outside module
    line: int
    type_only: bool  # inside ``if TYPE_CHECKING:``
    internal: bool


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


def _imports(root: Path, modules: dict[str, Path]) -> tuple[list[Import], list[str]]:
    """Every import of every module, and every use of another module's private name."""
    imports: list[Import] = []
    private_uses: list[str] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        typing_only = _type_checking_lines(tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        bound: dict[str, str] = {}  # local name -> internal module it names
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports.append(Import(module, alias.name, node.lineno, node.lineno in typing_only, False))
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    for alias in node.names:
                        imports.append(Import(module, node.module or "", node.lineno,
                                              node.lineno in typing_only, False))
                    continue
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join([*base, *(node.module.split(".") if node.module else [])])
                for alias in node.names:
                    sub = f"{source}.{alias.name}" if source else alias.name
                    if sub in modules:  # a module: the edge goes to it
                        target = sub
                        bound[alias.asname or alias.name] = sub
                        if alias.name.startswith("_") and not _may_import_private(module, sub):
                            private_uses.append(f"{module}:{node.lineno} imports {sub}, private to its package")
                    else:
                        target = source
                        if alias.name.startswith("_") and not alias.name.startswith("__") and source != module:
                            private_uses.append(f"{module}:{node.lineno} imports {alias.name} from {source}")
                    imports.append(Import(module, target, node.lineno, node.lineno in typing_only, True))
        for node in ast.walk(tree):  # importlib.import_module("x") / __import__("x") with a literal name
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")):
                imports.append(Import(module, node.args[0].value, node.lineno, False, False))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                private_uses.append(f"{module}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    return imports, private_uses


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
    imports, private_uses = _imports(root, modules)
    found = [f"import circle: {' -> '.join(c)}" for c in _cycles(imports)]
    for imp in imports:
        layer = _layer(imp.importer)
        name = LAYERS[layer][0]
        if imp.internal:
            if imp.target in modules and _layer(imp.target) > layer:
                found.append(f"{imp.importer}:{imp.line} ({name}) imports {imp.target} "
                             f"({LAYERS[_layer(imp.target)][0]}), a layer above it")
        elif imp.target.partition(".")[0] in FORBIDDEN.get(name, ()):
            found.append(f"{imp.importer}:{imp.line} ({name}) imports {imp.target}, which its layer may not")
    return found + private_uses


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
