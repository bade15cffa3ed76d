"""A static guard over the source tree (``ast``, no imports): the bounds and safety rules that
review alone keeps missing.

* every HTTP call (httpx, requests, urllib) and every subprocess call passes ``timeout=``;
* nothing runs with ``shell=True``;
* the database driver is imported only by the warehouse backends, whose every statement runs
  under the query watchdog; the lake's file system is called only through ``FsspecLake._fs_call``
  (deadline and retries);
* SQL text is never built from non-constant pieces (f-string, ``%``, ``+``, ``.format``) outside
  the allow-listed helpers, which splice only identifiers from allow-lists of known tables;
* a broad ``except`` (bare, ``Exception``, ``BaseException``) re-raises, or records what it caught
  (uses the exception, or logs/alerts it).

Each rule is tested on small planted snippets (it must fire, and must stay quiet on the safe
spelling) and then on the whole tree (``src/`` and ``bench/``), which must be clean.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = [ROOT / "src" / "nbaprops", ROOT / "bench"]

HTTP_MODULES = {"httpx", "requests"}
HTTP_CALLS = {
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "request",
    "stream",
    "Client",
    "AsyncClient",
}
SUBPROCESS_CALLS = {"run", "call", "check_call", "check_output"}
DRIVERS = {"duckdb", "google.cloud.bigquery"}
DRIVER_MODULES = {"src/nbaprops/warehouse/duckdb.py", "src/nbaprops/warehouse/bigquery.py"}
"""The warehouse backends: every statement they run is under the ``query_timeout_s`` watchdog."""
FS_CALL_OWNER = "_fs_call"
"""The one function allowed to call the lake's file system (``self._fs``) directly."""
_W = "src/nbaprops/warehouse"
SQL_BUILDERS = {
    f"{_W}/duckdb.py::insert_arrow": "table from the schema's allow-list, columns from its spec",
    f"{_W}/duckdb.py::merge_arrow": "table, key and columns from the table's spec; values bound",
    f"{_W}/duckdb.py::row_count": "table name checked against the schema",
    f"{_W}/duckdb.py::flush_query_log": "the query_log table and its fixed columns",
    f"{_W}/bigquery.py::row_count": "table name checked against the schema",
    f"{_W}/bigquery.py::insert_arrow": "table and columns from its spec, staging name generated",
    f"{_W}/bigquery.py::merge_sql": "table, key and columns from the table's spec; values bound",
    f"{_W}/spec.py::ddl": "CREATE TABLE from a declared TableSpec",
    f"{_W}/spec.py::add_column_ddl": "ALTER TABLE ADD COLUMN of a column the TableSpec declares",
    f"{_W}/sqlmodel.py::materialize": "target table and date column from the model's declaration",
    "src/nbaprops/features/models.py::replace_range": "table and WHERE from the feature model's spec",
    "src/nbaprops/features/show.py::feature_rows": "columns from the versioned feature contract",
    "src/nbaprops/grade/grader.py::_drop_stale": "join condition over fixed key columns",
    "src/nbaprops/pipeline/gaps.py::_rows_on": "table name checked against the schema (table_spec)",
    "src/nbaprops/predict/coordinator.py::<module>": "constant key expressions and kind lists",
    "src/nbaprops/predict/coordinator.py::_candidates_sql": "constant fragments chosen by a flag",
    "src/nbaprops/predict/coordinator.py::_lines_sql": "constant fragments chosen by a flag",
    "src/nbaprops/predict/training_data.py::<module>": "feature columns from the contract",
    "src/nbaprops/raw/loaders.py::_rows_per_path": "raw table from KIND_TABLES",
    "src/nbaprops/raw/loaders.py::_append_new": "raw table and columns from its spec",
    "src/nbaprops/raw/resolve.py::_distinct_names_sql": "raw table and key from the resolver's specs",
    "src/nbaprops/raw/resolve.py::_match_games": "raw table and team columns from a fixed list",
    "src/nbaprops/raw/resolve.py::_null_counts": "table, column and filter from a fixed list",
    "src/nbaprops/services/read_source.py::<module>": "constant SELECT fragments joined at import",
    "src/nbaprops/services/read_source.py::_for_layout": "one constant column swapped for NULL",
    "src/nbaprops/ops/backup.py::_select_sql": "table and columns from the schema's TableSpec",
    "src/nbaprops/ops/quality.py::_unique_key_rule": "table and key columns from the schema's TableSpec",
    "src/nbaprops/ops/quality.py::_batch_sql": "the declared rules' own text and their index, joined",
    "bench/bench_phase5.py::<module>": "feature columns from the contract",
    "bench/bench_real_history.py::main": "player tables from the schema's PLAYER_TABLES",
    "bench/bench_bigquery.py::main": "every table name from the schema's TABLES",
}
"""``path::function`` allowed to splice text into SQL, and why that is safe: each splices only
identifiers or constant fragments from allow-lists, never a value (values are bound ``?``)."""
RECORDING_CALLS = {
    "exception",
    "error",
    "critical",
    "warning",
    "raise_alert",
    "quarantine",
    "fail",
    "degrade",
}
BROAD = {"Exception", "BaseException"}
_SQL = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|MERGE\s+INTO|"
    r"CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW)|DROP\s+(TABLE|VIEW)|ALTER\s+TABLE)\b",
    re.DOTALL,
)


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place."""

    rule: str
    where: str
    line: int

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.rule}"


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of names and attributes, else ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _constant_text(node: ast.AST) -> str:
    """The literal text inside an expression built from strings (for the SQL look-up)."""
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _is_built_string(node: ast.AST) -> bool:
    """An f-string with a placeholder, ``"…" % x``, ``"…" + x`` or ``"…".format(x)``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return bool(_constant_text(node)) and not all(
            isinstance(n, ast.Constant) for n in (node.left, node.right)
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    )


class _Checker(ast.NodeVisitor):
    def __init__(self, where: str) -> None:
        self.where = where
        self.found: list[Violation] = []
        self.functions: list[str] = []

    def _flag(self, rule: str, node: ast.AST) -> None:
        self.found.append(Violation(rule, self.where, getattr(node, "lineno", 0)))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor's naming

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._driver(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            self._driver(f"{module}.{alias.name}", node)
        self._driver(module, node)

    def _driver(self, name: str, node: ast.AST) -> None:
        if any(name == d or name.startswith(f"{d}.") for d in DRIVERS) and self.where not in DRIVER_MODULES:
            self._flag(f"database driver {name} imported outside the watchdog backends", node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        keywords = _keywords(node)
        head, _, tail = name.rpartition(".")
        http = (head in HTTP_MODULES and tail in HTTP_CALLS) or name in {"urllib.request.urlopen", "urlopen"}
        if http and "timeout" not in keywords:
            self._flag(f"HTTP call {name}() without timeout=", node)
        if head == "subprocess" and tail in SUBPROCESS_CALLS and "timeout" not in keywords:
            self._flag(f"subprocess call {name}() without timeout=", node)
        if name == "subprocess.Popen":
            self._flag("subprocess.Popen() has no timeout; use subprocess.run(timeout=...)", node)
        shell = keywords.get("shell")
        if isinstance(shell, ast.Constant) and shell.value is True:
            self._flag(f"{name or 'call'}(shell=True)", node)
        self._sql(node)
        if head.endswith("._fs") and FS_CALL_OWNER not in self.functions:
            self._flag(f"lake file system called directly ({name}); go through {FS_CALL_OWNER}", node)
        self.generic_visit(node)

    def _sql(self, node: ast.AST) -> None:
        if _is_built_string(node) and _SQL.search(_constant_text(node)):
            owner = f"{self.where}::{self.functions[-1] if self.functions else '<module>'}"
            if owner not in SQL_BUILDERS:
                self._flag(f"SQL text built from non-constant strings in {owner}", node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._sql(node)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._sql(node)
        # One flag per expression: the operands of a flagged concatenation are not re-checked.
        if not (_is_built_string(node) and _SQL.search(_constant_text(node))):
            self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if _is_broad(node.type) and not _reraises_or_records(node):
            self._flag("broad except neither re-raises nor records the exception", node)
        self.generic_visit(node)


def _is_broad(kind: ast.expr | None) -> bool:
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(_dotted(n) in BROAD for n in names)


def _reraises_or_records(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Name) and handler.name and node.id == handler.name:
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RECORDING_CALLS
        ):
            return True
    return False


def check_source(text: str, where: str = "snippet.py") -> list[Violation]:
    """Every violation in one module's source text."""
    checker = _Checker(where)
    checker.visit(ast.parse(text))
    return checker.found


def check_tree() -> list[Violation]:
    """Every violation under ``SCANNED``."""
    found: list[Violation] = []
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            found += check_source(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    return found


# --- the checker on planted snippets ---------------------------------------------------------

PLANTED = [
    ("import httpx\nhttpx.get(url)", "HTTP call httpx.get() without timeout="),
    ("import httpx\nc = httpx.Client()", "HTTP call httpx.Client() without timeout="),
    ("import requests\nrequests.post(url, data=b'')", "HTTP call requests.post() without timeout="),
    ("from urllib.request import urlopen\nurlopen(url)", "HTTP call urlopen() without timeout="),
    ("import subprocess\nsubprocess.run(['ls'])", "subprocess call subprocess.run() without timeout="),
    ("import subprocess\nsubprocess.Popen(['ls'])", "subprocess.Popen() has no timeout"),
    ("import subprocess\nsubprocess.run('ls', shell=True, timeout=5)", "subprocess.run(shell=True)"),
    (
        "import duckdb\ncon = duckdb.connect()",
        "database driver duckdb imported outside the watchdog backends",
    ),
    (
        "class L:\n    def get(self, p):\n        return self._fs.cat_file(p)",
        "lake file system called directly",
    ),
    (
        "def q(w, day):\n    w.execute(f\"SELECT * FROM t WHERE d = '{day}'\")",
        "SQL text built from non-constant",
    ),
    ("def q(w, t):\n    w.execute('DELETE FROM ' + t)", "SQL text built from non-constant"),
    ("def q(w, v):\n    w.execute('UPDATE t SET a = %s' % v)", "SQL text built from non-constant"),
    (
        "def q(w, v):\n    w.execute('INSERT INTO t VALUES ({})'.format(v))",
        "SQL text built from non-constant",
    ),
    ("try:\n    f()\nexcept Exception:\n    pass", "broad except neither re-raises nor records"),
    ("try:\n    f()\nexcept:\n    return_value = []", "broad except neither re-raises nor records"),
    ("try:\n    f()\nexcept (ValueError, BaseException) as e:\n    x = 1", "broad except neither re-raises"),
]

SAFE = [
    "import httpx\nhttpx.get(url, timeout=5)",
    "import httpx\nc = httpx.Client(timeout=httpx.Timeout(5))",
    "import subprocess\nsubprocess.run(['ls'], timeout=5, check=False)",
    "class L:\n    def _fs_call(self, op, p):\n        return getattr(self._fs, op)(p)",
    "def q(w, day):\n    w.execute('SELECT * FROM t WHERE d = ?', [day])",
    "def m(n):\n    raise ValueError(f'select {n} from the list')",  # prose, not SQL
    "try:\n    f()\nexcept Exception:\n    log.exception('f.failed')",
    "try:\n    f()\nexcept Exception as exc:\n    box['error'] = exc",
    "try:\n    f()\nexcept Exception:\n    cleanup()\n    raise",
    "try:\n    f()\nexcept ValueError:\n    pass",  # narrow: not this guard's business
]


@pytest.mark.parametrize(("snippet", "rule"), PLANTED)
def test_a_planted_violation_is_caught(snippet: str, rule: str) -> None:
    found = check_source(snippet)
    assert len(found) == 1, found
    assert rule in found[0].rule


@pytest.mark.parametrize("snippet", SAFE)
def test_the_safe_spelling_passes(snippet: str) -> None:
    assert check_source(snippet) == []


def test_the_tree_is_clean() -> None:
    found = check_tree()
    assert found == [], "\n".join(str(v) for v in found)


def test_the_scan_really_reads_the_tree() -> None:
    """A guard that scans nothing passes everything: the tree must hold the code it guards."""
    scanned = [p for folder in SCANNED for p in folder.rglob("*.py")]
    assert len(scanned) > 100
    assert any(p.name == "http.py" for p in scanned)
