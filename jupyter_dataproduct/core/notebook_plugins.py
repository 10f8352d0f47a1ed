"""Notebook plugins: a whole ``plugins/*.ipynb`` run as a plugin, papermill-style.

The notebook's name is the plugin's name. Its cell tagged ``parameters`` holds plain
assignments (``variable = "cd40"``, ``patients = None``): those are the plugin's parameters
and their defaults. Running the plugin executes a copy of the notebook in a fresh Jupyter
kernel, with a cell injected after the parameters cell that sets the values given (frames,
such as a cohort's rows, arrive as polars DataFrames). The plugin returns what the notebook
produces: every top-level polars or pandas DataFrame and Vega-Lite chart (a dict with a
vega-lite ``$schema``) it leaves behind, under its variable name, plus charts it displayed.

Running needs ``nbclient`` and a kernel (the ``notebook`` extra); listing does not.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from .errors import MissingDependencyError, PluginError
from .plugins import PluginSpec

PARAMETERS_TAG = "parameters"
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
DEFAULT_TIMEOUT_SECONDS = 600
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Runs last in the plugin's kernel: saves what the notebook produced for the engine.
_COLLECT = """
def __dataproduct_collect(folder, inputs):
    import json as _json, pathlib as _pathlib
    _folder = _pathlib.Path(folder)
    _found = {}
    for _name, _value in list(globals().items()):
        if _name.startswith("_") or _name in inputs:
            continue
        _kind = type(_value).__module__.split(".")[0] + "." + type(_value).__name__
        if _kind == "polars.DataFrame":
            _value.write_parquet(_folder / f"{_name}.parquet")
            _found[_name] = "frame"
        elif _kind == "polars.LazyFrame":
            _value.collect().write_parquet(_folder / f"{_name}.parquet")
            _found[_name] = "frame"
        elif _kind == "pandas.DataFrame":
            _value.reset_index(drop=True).to_parquet(_folder / f"{_name}.parquet")
            _found[_name] = "frame"
        elif isinstance(_value, dict) and "vega-lite" in str(_value.get("$schema", "")):
            (_folder / f"{_name}.json").write_text(_json.dumps(_value, default=str))
            _found[_name] = "chart"
    (_folder / "outputs.json").write_text(_json.dumps(_found))
__dataproduct_collect(FOLDER, INPUTS)
"""


def load_notebook_plugin(file: Path) -> list[PluginSpec]:
    """The plugin a notebook defines, read without starting a kernel."""
    notebook = _read(file)
    cells = notebook.get("cells", [])
    index = _parameters_index(cells)
    if index < 0:
        raise PluginError(
            f"Notebook plugin {file.name} has no cell tagged {PARAMETERS_TAG!r}; tag the cell that "
            "assigns the parameters' defaults (View > Cell Toolbar > Tags, or the property inspector).",
            details={"file": str(file)},
        )
    parameters = _parameters_of(_text(cells[index]), file)
    title, description = _title_of(cells)
    return [
        PluginSpec(
            name=file.stem,
            function=NotebookFunction(file, parameters),
            language="python",
            title=title,
            description=description,
            file=str(file),
            line=None,
            parameters=list(parameters),
        )
    ]


def _read(file: Path) -> dict[str, Any]:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PluginError(f"Notebook plugin {file.name} is not a readable notebook: {exc}", details={"file": str(file)}) from None


def _text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _parameters_of(source: str, file: Path) -> dict[str, Any]:
    """``name = literal`` assignments of the parameters cell (other lines are not allowed)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise PluginError(
            f"Notebook plugin {file.name}: the parameters cell is not valid Python (line {exc.lineno}): {exc.msg}",
            details={"file": str(file), "line": exc.lineno},
        ) from None
    parameters: dict[str, Any] = {}
    for statement in tree.body:
        if isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        else:
            target, value = None, None
        if not isinstance(target, ast.Name) or value is None:
            raise PluginError(
                f"Notebook plugin {file.name}: the parameters cell may only assign defaults "
                f"(name = value); line {statement.lineno} does something else.",
                details={"file": str(file), "line": statement.lineno},
            )
        try:
            parameters[target.id] = ast.literal_eval(value)
        except ValueError:
            raise PluginError(
                f"Notebook plugin {file.name}: the default of {target.id!r} (line {statement.lineno}) must be "
                "a literal (text, number, true/false, None, list).",
                details={"file": str(file), "line": statement.lineno},
            ) from None
    return parameters


def _title_of(cells: list[dict[str, Any]]) -> tuple[str, str]:
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            text = _text(cell).strip()
            first, _, rest = text.partition("\n")
            return first.lstrip("# ").strip(), rest.strip()
    return "", ""


class NotebookFunction:
    """Calls a notebook plugin: executes the notebook with the arguments injected."""

    def __init__(self, file: Path, defaults: dict[str, Any]) -> None:
        self.file = Path(file)
        self.__name__ = self.file.stem
        # A default of None marks a parameter the caller must give (papermill's convention
        # for inputs such as frames); other defaults are used when the caller is silent.
        self.__signature__ = inspect.Signature(
            [
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY,
                    default=inspect.Parameter.empty if value is None else value,
                )
                for name, value in defaults.items()
            ]
        )

    def __call__(self, **arguments: Any) -> dict[str, Any]:
        return run_notebook(self.file, arguments)


def run_notebook(file: Path, arguments: dict[str, Any], timeout: int = DEFAULT_TIMEOUT_SECONDS) -> dict[str, Any]:
    try:
        import nbformat
        from nbclient import NotebookClient
        from jupyter_client.manager import KernelManager
        from nbclient.exceptions import CellExecutionError
    except ImportError as exc:
        raise MissingDependencyError(
            f"Notebook plugin {file.name} needs nbclient and a Jupyter kernel: "
            f"pip install 'jupyter-dataproduct[notebook]' ({exc}).",
            details={"dependency": "nbclient"},
        ) from None
    notebook = nbformat.read(file, as_version=4)
    with tempfile.TemporaryDirectory(prefix="dataproduct-notebook-") as scratch:
        folder = Path(scratch)
        injected = _injected_parameters(arguments, folder)
        position = _parameters_index(notebook.cells) + 1
        notebook.cells.insert(position, nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]}))
        notebook.cells.append(nbformat.v4.new_code_cell(
            _COLLECT.replace("FOLDER", repr(str(folder))).replace("INPUTS", repr(sorted(arguments)))
        ))
        kernel = notebook.metadata.get("kernelspec", {}).get("name", "python3")
        # IPC sockets in the scratch folder: the kernel is private to this run (no TCP ports).
        manager = KernelManager(kernel_name=kernel, transport="ipc", ip=str(folder / "kernel"))
        client = NotebookClient(
            notebook, km=manager, timeout=timeout, kernel_name=kernel,
            resources={"metadata": {"path": str(file.parent)}},
        )
        try:
            client.execute()
        except CellExecutionError as exc:
            raise _cell_failure(file, notebook, position, exc) from None
        except Exception as exc:  # no kernel, kernel died, timeout
            raise PluginError(
                f"Notebook plugin {file.name} could not run: {type(exc).__name__}: {exc}",
                details={"file": str(file)},
            ) from None
        finally:
            if manager.has_kernel:  # we passed the manager in, so shutting it down is ours to do
                manager.shutdown_kernel(now=True)
        return _collected(folder, notebook)


def _parameters_index(cells: list[Any]) -> int:
    """Where the cell tagged ``parameters`` is; -1 when there is none."""
    for index, cell in enumerate(cells):
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            return index
    return -1


def _injected_parameters(arguments: dict[str, Any], folder: Path) -> str:
    lines = ["# Parameters injected by jupyter-dataproduct"]
    for name, value in arguments.items():
        if isinstance(value, pl.LazyFrame):
            value = value.collect()
        if isinstance(value, pl.DataFrame):
            path = folder / f"input-{name}.parquet"
            value.write_parquet(path)
            lines.append("import polars as __dataproduct_polars")
            lines.append(f"{name} = __dataproduct_polars.read_parquet({str(path)!r})")
        elif value is None or isinstance(value, (bool, int, float, str, list, dict)):
            lines.append(f"{name} = {value!r}")
        else:
            raise PluginError(
                f"Argument {name!r} of type {type(value).__name__} cannot be passed to a notebook plugin; "
                "it takes frames, text, numbers, true/false and lists.",
                details={"parameter": name},
            )
    return "\n".join(lines)


def _cell_failure(file: Path, notebook: Any, injected_at: int, exc: Exception) -> PluginError:
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # The number the author sees: cells of their notebook, counted from 1.
                number = index + 1 - (1 if index > injected_at else 0)
                traceback = _ANSI.sub("", "\n".join(output.get("traceback", [])))
                lines = re.findall(r"line (\d+)", traceback)
                where = f"cell {number}" + (f", line {lines[0]}" if lines else "")
                return PluginError(
                    f"Notebook plugin {file.stem!r} raised ({file.name}, {where}): "
                    f"{output.get('ename')}: {output.get('evalue')}",
                    details={"file": str(file), "cell": number, "line": int(lines[0]) if lines else None,
                             "exception": output.get("ename")},
                )
    return PluginError(f"Notebook plugin {file.name} failed: {exc}", details={"file": str(file)})


def _collected(folder: Path, notebook: Any) -> dict[str, Any]:
    found = json.loads((folder / "outputs.json").read_text())
    outputs: dict[str, Any] = {}
    for name, kind in found.items():
        if kind == "frame":
            outputs[name] = pl.read_parquet(folder / f"{name}.parquet")
        else:
            outputs[name] = json.loads((folder / f"{name}.json").read_text())
    displayed = [
        output["data"][VEGALITE_MIME]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") in ("display_data", "execute_result") and VEGALITE_MIME in output.get("data", {})
    ]
    kept_charts = [value for value in outputs.values() if isinstance(value, dict)]
    for number, chart in enumerate(displayed, start=1):
        if chart not in kept_charts:
            outputs[f"chart_{number}"] = chart
    if not outputs:
        raise PluginError(
            "The notebook produced no frame or chart: leave its results in top-level variables "
            "(polars or pandas DataFrames, Vega-Lite dicts).",
        )
    return outputs
