"""The structure the layers contract does not see: queries live in repositories, and a repository
is its own domain's (others call that domain's service)."""

from __future__ import annotations

import ast
from pathlib import Path

from service.config import project_home

SERVICE = project_home() / "service"
# What only a repository may do with the database.
QUERY_CALLS = {"select", "insert", "update", "delete", "text", "execute", "scalar", "scalars", "add", "add_all"}


def _domains() -> list[Path]:
    return sorted(p for p in SERVICE.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "kit")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_a_repository_is_imported_only_by_its_own_domain() -> None:
    strays = []
    for path in SERVICE.rglob("*.py"):
        here = path.relative_to(SERVICE).parts
        for module in _imports(path):
            parts = module.split(".")
            if (
                len(parts) == 3
                and parts[0] == "service"
                and parts[2] == "repository"
                and parts[1] not in {here[0], "kit"}
            ):
                strays.append(f"{path.relative_to(SERVICE)} imports {module}")
    assert strays == [], "call the other domain's service instead:\n" + "\n".join(strays)


def test_routes_run_no_queries() -> None:
    """Routes call services; they never build, read or write rows themselves."""
    offenders = []
    for domain in _domains():
        routes = domain / "routes.py"
        if not routes.exists():
            continue
        tree = ast.parse(routes.read_text(encoding="utf-8"))
        decorators = {
            id(d)
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for d in f.decorator_list
        }  # Litestar's @delete(...) is a route, not a query
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in decorators:
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in QUERY_CALLS:
                    offenders.append(f"{routes.relative_to(SERVICE)}:{node.lineno} {name}()")
        for module in _imports(routes):
            if module.startswith("sqlalchemy") and module not in {"sqlalchemy.ext.asyncio"}:
                offenders.append(f"{routes.relative_to(SERVICE)} imports {module}")
    assert offenders == [], "\n".join(offenders)


def test_every_domain_has_the_same_few_files() -> None:
    allowed = {"__init__.py", "routes.py", "service.py", "repository.py", "schemas.py", "models.py", "tasks.py",
               "hooks.py"}  # fmt: skip
    # Modules of their own, named for what they hold (found by their name, as the rest).
    extra = {
        "accounts": {"urls.py"},
        "identity": {"passwords.py", "sessions.py", "throttle.py"},
        "guidelines": {"presets.py"},
        "notifications": {"templates.py"},
        "posts": {"checks.py", "shorteners.py"},
    }
    odd = [
        f"{domain.name}/{path.name}"
        for domain in _domains()
        for path in domain.glob("*.py")
        if path.name not in allowed | extra.get(domain.name, set())
    ]
    assert odd == [], odd
