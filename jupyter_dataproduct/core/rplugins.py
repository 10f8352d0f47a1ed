"""R plugins: functions in ``plugins/*.R`` called through rpy2.

Every top-level ``name <- function(...)`` in an R file is a plugin (names starting with a
dot are private helpers). Roxygen-style ``#'`` comments above a function give its title
and description::

    #' Cox proportional-hazards model
    #' Hazard ratios with 95% confidence intervals (survival::coxph).
    cox_model <- function(patients, covariates = "arms", time = "days", event = "cens") {
      ...
    }

Finding plugins reads the file as text, so listing a product never needs R. R (and rpy2)
is needed only when an R plugin runs; without it the run fails with a
:class:`MissingDependencyError` saying what to install.

Arguments travel polars -> pandas -> R ``data.frame`` (categories become factors) and
results come back the same way: a ``data.frame`` becomes a polars frame, a length-one
vector a scalar, a named list a dict of outputs, and a list with a ``$schema`` a Vega-Lite
chart. Each call sources the file into a fresh environment, so no state leaks between runs.
"""

from __future__ import annotations

import inspect
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Any

import polars as pl

from .errors import MissingDependencyError, PluginError
from .plugins import PluginSpec

_FUNCTION = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_.]*|`[^`]+`)\s*(?:<-|=)\s*function\s*\(", re.MULTILINE
)

# R is one interpreter per process and not thread-safe: one call at a time.
_R_LOCK = threading.RLock()


class RDefault:
    """An R default value that is not a plain literal; R evaluates it when the plugin runs."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def load_r_plugins(file: Path) -> list[PluginSpec]:
    """The plugins defined in one R file, found without starting R."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PluginError(f"Cannot read R plugin file {file}: {exc}", details={"file": str(file)}) from None
    specs = []
    for match in _FUNCTION.finditer(text):
        name = match.group("name").strip("`")
        if name.startswith("."):
            continue
        arguments_text = _balanced_arguments(text, match.end(), file, name)
        parameters = _parse_arguments(arguments_text)
        line = text.count("\n", 0, match.start()) + 1
        title, description = _roxygen_before(text, match.start())
        function = RFunction(file, name, parameters, line)
        specs.append(
            PluginSpec(
                name=name,
                function=function,
                language="r",
                title=title,
                description=description,
                file=str(file),
                line=line,
                parameters=[p for p in parameters if p != "..."],
                source=text,
            )
        )
    return specs


def r_plugin_from_source(name: str, source: str) -> PluginSpec:
    """A plugin from an R cell: the function called ``name`` (kept in a file R can source)."""
    import tempfile

    file = Path(tempfile.mkdtemp(prefix="dataproduct-r-")) / f"{name}.R"
    file.write_text(source)
    specs = {spec.name: spec for spec in load_r_plugins(file)}
    if name not in specs:
        raise PluginError(
            f"The R cell defines no function {name!r}; it defines: {', '.join(specs) or 'none'}.",
            details={"plugin": name},
        )
    return specs[name]


def _balanced_arguments(text: str, start: int, file: Path, name: str) -> str:
    """The text between ``function(`` and its matching ``)``, skipping strings."""
    depth, position, quote = 1, start, None
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[start:position]
        position += 1
    raise PluginError(
        f"{file.name}: the argument list of R function {name!r} is not closed.",
        details={"file": str(file), "plugin": name},
    )


def _parse_arguments(text: str) -> dict[str, Any]:
    """``a, b = 2, c = "x"`` -> ``{"a": empty, "b": 2, "c": "x"}`` (non-literals as RDefault)."""
    parameters: dict[str, Any] = {}
    for part in _split_top_level(text):
        part = part.strip()
        if not part:
            continue
        name, _, default = part.partition("=")
        name = name.strip().strip("`")
        parameters[name] = _literal(default.strip()) if default else inspect.Parameter.empty
    return parameters


def _split_top_level(text: str) -> list[str]:
    parts, depth, current, quote = [], 0, [], None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _literal(text: str) -> Any:
    if text in ("TRUE", "T"):
        return True
    if text in ("FALSE", "F"):
        return False
    if text == "NULL":
        return None
    if re.fullmatch(r'"[^"\\]*"|\'[^\'\\]*\'', text):
        return text[1:-1]
    if re.fullmatch(r"-?\d+L", text):
        return int(text[:-1])
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text):
        return float(text)
    return RDefault(text)


def _roxygen_before(text: str, position: int) -> tuple[str, str]:
    lines = text[:position].rstrip("\n").split("\n")
    doc: list[str] = []
    for line in reversed(lines):
        if not line.startswith("#'"):
            break
        doc.insert(0, line[2:].strip())
    doc = [line for line in doc if not line.startswith("@")]
    return (doc[0] if doc else "", "\n".join(doc))


class RFunction:
    """A callable running one R function of one file; Python sees a normal signature."""

    def __init__(self, file: Path, name: str, parameters: dict[str, Any], line: int) -> None:
        self.file = Path(file)
        self.name = name
        self.line = line
        self.__name__ = name
        self.__signature__ = inspect.Signature(
            [
                inspect.Parameter("dots", inspect.Parameter.VAR_KEYWORD)
                if p == "..."
                else inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, default=d)
                for p, d in parameters.items()
            ]
        )

    def __call__(self, **arguments: Any) -> Any:
        try:
            robjects = start_r()
        except MissingDependencyError as exc:
            debian = debian_packages(self.file)
            raise MissingDependencyError(
                f"{self.file.name} is written in R, which needs R and the rpy2 package: "
                f"apt-get install {' '.join(debian)} and pip install 'jupyter-dataproduct[r]' "
                f"({exc.details.get('cause', exc.message)}).",
                details={**exc.details, "plugin": self.name, "file": str(self.file), "debian": debian,
                         "pip": "jupyter-dataproduct[r]"},
            ) from None
        # rpy2 keeps its conversion rules in a ContextVar set in the thread that imported it;
        # set them for this call too, so plugins also run from worker threads (the server).
        with _R_LOCK, robjects.conversion.localconverter(robjects.default_converter):
            return _call_in_r(robjects, self, arguments)


BASE_R_PACKAGES = {"base", "stats", "utils", "methods", "graphics", "grDevices", "datasets", "tools", "parallel"}
_R_PACKAGE_USE = re.compile(r"(?:library|require|requireNamespace)\(\s*['\"]?([A-Za-z][\w.]*)|([A-Za-z][\w.]*):::?")


_MISSING_R_PACKAGE = re.compile(r"there is no package called [‘'\"]?([A-Za-z][\w.]*)")


def debian_packages(file: Path) -> list[str]:
    """Debian packages an R plugin file needs: R itself (with what rpy2 builds against) and
    ``r-cran-*`` for each package it loads with ``library()`` or uses as ``pkg::``."""
    used = {a or b for a, b in _R_PACKAGE_USE.findall(Path(file).read_text(encoding="utf-8"))} - BASE_R_PACKAGES
    return ["r-base-core", "r-base-dev", *(f"r-cran-{name.lower()}" for name in sorted(used))]


def start_r() -> Any:
    """Start the embedded R (once per process) and return ``rpy2.robjects``."""
    library_path = os.environ.get("LD_LIBRARY_PATH")
    try:
        with warnings.catch_warnings():
            # Started from a server's worker thread, R cannot take over Ctrl-C; plugins never
            # rely on interrupting R, so the warning would only alarm whoever reads the log.
            warnings.filterwarnings("ignore", message="R is not initialized by the main thread")
            import rpy2.robjects as robjects  # noqa: F401  (starts the embedded R)
    except ImportError as exc:
        raise MissingDependencyError(
            "This plugin is written in R, which needs R and the rpy2 package: "
            "install R (Debian: apt-get install r-base-core) and "
            "pip install 'jupyter-dataproduct[r]'. "
            f"({type(exc).__name__}: {exc})",
            details={"dependency": "rpy2", "cause": f"{type(exc).__name__}: {exc}"},
        ) from None
    except Exception as exc:  # rpy2 present but R itself missing or broken
        raise MissingDependencyError(
            f"R could not be started for this plugin ({type(exc).__name__}: {exc}); "
            "install R (Debian: apt-get install r-base-core).",
            details={"dependency": "R", "cause": f"{type(exc).__name__}: {exc}"},
        ) from None
    finally:
        _restore_library_path(library_path)
    return robjects


def _restore_library_path(value: str | None) -> None:
    """rpy2 prepends R's and the system's library folders to LD_LIBRARY_PATH when R starts.
    This process has already loaded its libraries; children (kernels, tools) must not inherit
    it, or a Python linked to libpython would pick up the system's libpython instead."""
    if value is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = value


# Runs the plugin with a calling handler that records the innermost plugin line of an error.
_R_CALLER = """
function(file, name, args) {
  env <- new.env(parent = globalenv())
  loaded <- tryCatch({ sys.source(file, envir = env, keep.source = TRUE); NULL },
                     error = function(e) e)
  if (!is.null(loaded)) {
    return(list(ok = FALSE, message = conditionMessage(loaded), line = NA_integer_, stage = "load"))
  }
  line <- NA_integer_
  value <- tryCatch(withCallingHandlers(do.call(get(name, envir = env), args, quote = TRUE),
    error = function(e) {
      for (call in rev(sys.calls())) {
        ref <- attr(call, "srcref")
        if (!is.null(ref) && identical(normalizePath(attr(ref, "srcfile")$filename, mustWork = FALSE),
                                       normalizePath(file, mustWork = FALSE))) {
          line <<- ref[[1]]
          break
        }
      }
    }), error = function(e) e)
  if (inherits(value, "error")) {
    return(list(ok = FALSE, message = conditionMessage(value), line = line, stage = "call"))
  }
  list(ok = TRUE, value = value)
}
"""


def _call_in_r(robjects: Any, function: RFunction, arguments: dict[str, Any]) -> Any:
    from rpy2.rinterface_lib.embedded import RRuntimeError

    caller = robjects.r(_R_CALLER)
    try:
        r_arguments = robjects.vectors.ListVector(
            {name: _to_r(robjects, value, name) for name, value in arguments.items()}
        ) if arguments else robjects.r("list()")
        outcome = caller(str(function.file), function.name, r_arguments)
    except RRuntimeError as exc:
        raise PluginError(
            f"R plugin {function.name!r} ({function.file.name}) failed in R: {str(exc).strip()}",
            details={"plugin": function.name, "file": str(function.file)},
        ) from None
    fields = dict(zip(outcome.names, outcome))
    if not _python_scalar(fields["ok"][0]):
        line = _python_scalar(fields["line"][0])
        message = str(_python_scalar(fields["message"][0])).strip()
        stage = _python_scalar(fields["stage"][0])
        missing = _MISSING_R_PACKAGE.search(message)
        if missing:  # an optional piece, like R itself: say what to install
            package = missing.group(1)
            cran = sorted({d for d in debian_packages(function.file) if d.startswith("r-cran-")} | {f"r-cran-{package.lower()}"})
            raise MissingDependencyError(
                f"{function.file.name} needs the R package {package}, which is not installed: "
                f"apt-get install {' '.join(cran)} (or install.packages('{package}') in R).",
                details={"plugin": function.name, "file": str(function.file), "dependency": package, "debian": cran},
            )
        if stage == "load":
            text = f"R plugin file {function.file.name} failed to load: {message}"
        else:
            where = f"{function.file.name}, line {line}" if line is not None else function.file.name
            text = f"R plugin {function.name!r} raised ({where}): {message}"
        raise PluginError(text, details={"plugin": function.name, "file": str(function.file), "line": line})
    return _from_r(robjects, fields["value"])


def _to_r(robjects: Any, value: Any, name: str) -> Any:
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    if isinstance(value, pl.LazyFrame):
        value = value.collect()
    if isinstance(value, pl.DataFrame):
        frame = _unordered_categories(value.to_pandas())
        with localconverter(robjects.default_converter + pandas2ri.converter):
            return robjects.conversion.get_conversion().py2rpy(frame)
    if value is None:
        return robjects.NULL
    if isinstance(value, bool):
        return robjects.BoolVector([value])
    if isinstance(value, int):
        return robjects.IntVector([value])
    if isinstance(value, float):
        return robjects.FloatVector([value])
    if isinstance(value, str):
        return robjects.StrVector([value])
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return robjects.StrVector(list(value))
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return robjects.FloatVector([float(v) for v in value])
    raise PluginError(
        f"Argument {name!r} of type {type(value).__name__} cannot be passed to an R plugin; "
        "R plugins take data frames, numbers, text, true/false and lists of text or numbers.",
        details={"parameter": name},
    )


def _unordered_categories(frame: Any) -> Any:
    """Polars enums arrive as *ordered* pandas categoricals, which R models would expand into
    polynomial contrasts; model categories are nominal, so hand them over as plain factors."""
    for column in frame.columns:
        if str(frame[column].dtype) == "category" and frame[column].cat.ordered:
            frame[column] = frame[column].cat.as_unordered()
    return frame


def _from_r(robjects: Any, value: Any) -> Any:
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    r_class = list(robjects.r["class"](value))
    if "data.frame" in r_class:
        with localconverter(robjects.default_converter + pandas2ri.converter):
            frame = robjects.conversion.get_conversion().rpy2py(value)
        return pl.from_pandas(frame.reset_index(drop=True))
    if "list" in r_class:
        names = list(value.names) if value.names is not robjects.NULL else []
        if names and "$schema" in names:
            return _plain(robjects, value)
        if not names or any(not n for n in names):
            raise PluginError(
                "An R plugin returns a data.frame, a single value, a Vega-Lite chart (list with "
                "a $schema) or a *named* list of those; got an unnamed list."
            )
        return {name: _from_r(robjects, item) for name, item in zip(names, value)}
    if robjects.r["is.atomic"](value)[0] and len(value) == 1:
        if "factor" in r_class:
            return str(robjects.r["as.character"](value)[0])
        return _python_scalar(value[0])
    raise PluginError(
        f"An R plugin returned an R object of class {', '.join(r_class)}; return a data.frame, "
        "a single value, a Vega-Lite chart (list with a $schema) or a named list of those."
    )


def _python_scalar(value: Any) -> Any:
    """One element of an R vector as Python: NA and NaN as None."""
    if isinstance(value, float) and value != value:
        return None
    text = str(value)
    if text == "NA":
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return text


def _plain(robjects: Any, value: Any) -> Any:
    """A nested R list (a chart spec) as plain Python dicts and lists."""
    if "list" in list(robjects.r["class"](value)):
        names = list(value.names) if value.names is not robjects.NULL else []
        items = [_plain(robjects, item) for item in value]
        return dict(zip(names, items)) if names else items
    if "data.frame" in list(robjects.r["class"](value)):
        return _from_r(robjects, value).to_dicts()
    values = [_python_scalar(v) for v in value]
    return values[0] if len(values) == 1 else values
