"""R plugins: found without R, run through rpy2, checked against R itself (Rscript)."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from jupyter_dataproduct.core.errors import MissingDependencyError, PluginError
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.rplugins import RDefault, debian_packages, load_r_plugins

RSCRIPT = shutil.which("Rscript")
try:
    from jupyter_dataproduct.core.rplugins import start_r

    start_r()
    HAVE_RPY2 = True
except Exception:  # rpy2 missing, or R missing under it
    HAVE_RPY2 = False
needs_r = pytest.mark.skipif(
    not (HAVE_RPY2 and RSCRIPT),
    reason="R plugins need R and rpy2: apt-get install r-base-core r-cran-survival; pip install '.[r]'",
)


def write_r_plugin(product_dir: Path, name: str, code: str) -> Path:
    file = product_dir / "plugins" / f"{name}.R"
    file.parent.mkdir(exist_ok=True)
    file.write_text(textwrap.dedent(code))
    return file


# -- finding plugins is textual: no R needed --------------------------------------------------


def test_functions_signatures_and_docs_are_read_from_the_file(tmp_path):
    file = tmp_path / "stats.R"
    file.write_text(textwrap.dedent("""\
        #' Mean of a column
        #' By group, for people in the cohort.
        #' @param people the cohort
        column_mean <- function(people, column = "age", digits = 2L, scale = 1.5, na_rm = TRUE,
                                levels = c("a", "b")) {
          round(mean(people[[column]], na.rm = na_rm) * scale, digits)
        }

        .helper <- function(x) x + 1
        `odd name` = function(...) NULL
        """))
    specs = {spec.name: spec for spec in load_r_plugins(file)}
    assert set(specs) == {"column_mean", "odd name"}
    mean = specs["column_mean"]
    assert (mean.language, mean.line, mean.title) == ("r", 4, "Mean of a column")
    assert mean.description == "Mean of a column\nBy group, for people in the cohort."
    assert mean.parameters == ["people", "column", "digits", "scale", "na_rm", "levels"]
    defaults = {n: p.default for n, p in inspect.signature(mean.function).parameters.items()}
    assert defaults["people"] is inspect.Parameter.empty
    assert (defaults["column"], defaults["digits"], defaults["scale"], defaults["na_rm"]) == ("age", 2, 1.5, True)
    assert isinstance(defaults["levels"], RDefault) and defaults["levels"].text == 'c("a", "b")'
    assert specs["odd name"].parameters == []


def test_an_unclosed_argument_list_is_reported_with_the_file(tmp_path):
    file = tmp_path / "broken.R"
    file.write_text("oops <- function(a, b = c(1, 2) {\n  a\n}\n")
    with pytest.raises(PluginError, match=r"broken.R: the argument list of R function 'oops' is not closed"):
        load_r_plugins(file)


def test_the_example_product_lists_its_r_plugin_without_starting_r(actg_product):
    code = (
        "import sys\n"
        "from jupyter_dataproduct.core.product import Product\n"
        f"spec = Product.open({str(actg_product.path)!r}).plugins()['cox_model']\n"
        "assert spec.language == 'r' and spec.parameters == ['patients', 'covariates', 'time', 'event']\n"
        "assert not any(m.startswith('rpy2') for m in sys.modules), 'listing plugins started R'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_rpy2_running_an_r_plugin_says_what_to_install(actg_product):
    actg_product.build()
    # Make `import rpy2` fail in a child interpreter, as on a machine without the R extra.
    code = (
        "import sys; sys.modules['rpy2'] = None\n"
        "from jupyter_dataproduct.core.product import Product\n"
        "from jupyter_dataproduct.core.errors import MissingDependencyError\n"
        f"product = Product.open({str(actg_product.path)!r})\n"
        "try:\n"
        "    product.run('cox_model')\n"
        "except MissingDependencyError as exc:\n"
        "    print(exc.message)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "needs R and the rpy2 package" in out and "jupyter-dataproduct[r]" in out


# -- running plugins in R -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def actg_built(tmp_path_factory) -> Product:
    from tests.conftest import EXAMPLE

    target = tmp_path_factory.mktemp("r") / "actg175"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dataproduct"))
    product = Product.open(target)
    product.build()
    return product


R_REFERENCE = """
library(survival)
d <- read.csv("{csv}")
d$arms <- factor(d$arms, levels = c(0, 1, 2, 3))
fit <- coxph(Surv(days, cens) ~ arms + cd40 + age, data = d, ties = "efron")
s <- summary(fit)
cat(jsonlite_free <- paste0("[", paste(sprintf("%.17g", c(s$coefficients[, "coef"], s$coefficients[, "se(coef)"],
    s$coefficients[, "Pr(>|z|)"], s$concordance[["C"]], s$logtest[["pvalue"]], fit$nevent)), collapse = ","), "]"))
"""


@needs_r
def test_cox_model_matches_coxph_run_by_rscript(actg_built, actg_csv, tmp_path):
    result = actg_built.run("cox_model", {"covariates": ["arms", "cd40", "age"]})
    table = result.tables["coefficients"]
    assert table["term"].to_list() == ["armsZDV+ddI", "armsZDV+Zal", "armsddI", "cd40", "age"]

    script = tmp_path / "reference.R"
    script.write_text(R_REFERENCE.replace("{csv}", str(actg_csv)))
    reference = json.loads(subprocess.run([RSCRIPT, str(script)], check=True, capture_output=True, text=True).stdout)
    coef, se, p = reference[0:5], reference[5:10], reference[10:15]
    assert table["coef"].to_list() == pytest.approx(coef, rel=1e-9, abs=1e-12)
    assert table["se"].to_list() == pytest.approx(se, rel=1e-9)
    assert table["p_value"].to_list() == pytest.approx(p, rel=1e-6, abs=1e-300)
    assert result.values["concordance"] == pytest.approx(reference[15], rel=1e-9)
    assert result.values["likelihood_ratio_p"] == pytest.approx(reference[16], rel=1e-6)
    assert result.values["events"] == reference[17] == 521
    assert result.values["patients"] == 2139


@needs_r
def test_a_cohort_reaches_r_as_a_data_frame_of_its_rows(actg_built):
    everyone = actg_built.run("cox_model", {"covariates": ["arms"]})
    women = actg_built.run("cox_model", {"covariates": ["arms"], "cohort": "gender == 'female'"})
    expected_women = actg_built.frame("patients", where="gender == 'female'").collect().height
    assert women.values["patients"] == expected_women < everyone.values["patients"]


@needs_r
def test_frames_and_values_convert_both_ways(tiny_product):
    write_r_plugin(tiny_product.path, "describe_people", """\
        describe_people <- function(people, label = "all", factor = 2) {
          out <- data.frame(name = people$name, double_age = people$age * factor,
                            group = as.character(people$group), smoker = people$smoker)
          list(table = out, label = label, n = nrow(people), smokers = sum(people$smoker),
               first_group = people$group[1], chart = list(`$schema` = "https://vega.github.io/schema/vega-lite/v5.json",
               mark = "bar", data = list(values = list(list(a = 1L), list(a = 2L)))))
        }
        """)
    tiny_product.build()
    result = tiny_product.run_plugin("describe_people", {"people": "age > 30", "label": "over 30"})
    table = result.tables["table"]
    assert table.columns == ["name", "double_age", "group", "smoker"]
    assert table.sort("name")["name"].to_list() == ["Ada", "Bo", "Di", "Ed"]
    assert table.sort("name")["double_age"].to_list() == [68.0, 102.0, 124.0, 90.0]
    assert set(table["group"].to_list()) == {"control", "treated"}
    assert table["smoker"].dtype == pl.Boolean
    assert result.values["label"] == "over 30"
    assert result.values["n"] == 4 and result.values["smokers"] == 2
    assert result.values["first_group"] in ("control", "treated")
    assert result.charts["chart"]["mark"] == "bar"
    assert result.charts["chart"]["data"]["values"] == [{"a": 1}, {"a": 2}]


@needs_r
def test_an_r_error_names_the_plugin_file_and_line_and_leaves_the_snapshot_intact(tiny_product):
    file = write_r_plugin(tiny_product.path, "fragile", """\
        fragile <- function(people) {
          total <- nrow(people)
          if (total > 0) {
            stop("no patients should be here")
          }
          total
        }
        """)
    tiny_product.build()
    with pytest.raises(PluginError) as caught:
        tiny_product.run_plugin("fragile")
    message = caught.value.message
    assert "R plugin 'fragile' raised (fragile.R, line 4): no patients should be here" in message
    assert caught.value.details["file"] == str(file)
    snapshot, problems = tiny_product.verify()
    assert problems == []
    # R is still usable after the failure.
    write_r_plugin(tiny_product.path, "count_people", "count_people <- function(people) nrow(people)\n")
    assert tiny_product.run_plugin("count_people").values["count_people"] == 5


@needs_r
def test_a_missing_r_package_says_which_debian_package_to_install(tiny_product):
    write_r_plugin(tiny_product.path, "needs_pkg", """\
        needs_pkg <- function(people) {
          library(notinstalledpkg42)
          survival::Surv(1, 1)
          nrow(people)
        }
        """)
    tiny_product.build()
    with pytest.raises(MissingDependencyError) as caught:
        tiny_product.run_plugin("needs_pkg")
    assert caught.value.message == (
        "needs_pkg.R needs the R package notinstalledpkg42, which is not installed: apt-get install "
        "r-cran-notinstalledpkg42 r-cran-survival (or install.packages('notinstalledpkg42') in R)."
    )


def test_debian_packages_of_an_r_plugin_come_from_its_library_and_pkg_uses(tmp_path):
    file = write_r_plugin(tmp_path, "models", "library(survival)\nf <- function(x) stats::median(MASS::rlm(x))\n")
    assert debian_packages(file) == ["r-base-core", "r-base-dev", "r-cran-mass", "r-cran-survival"]


@needs_r
def test_a_file_that_fails_to_parse_in_r_is_reported(tiny_product):
    write_r_plugin(tiny_product.path, "bad_syntax", "bad_syntax <- function(people) {\n  nrow(people) +* 2\n}\n")
    tiny_product.build()
    with pytest.raises(PluginError, match=r"R plugin file bad_syntax.R failed to load: .*unexpected"):
        tiny_product.run_plugin("bad_syntax")


@needs_r
@pytest.mark.parametrize(
    "body, complaint",
    [
        ("list(1, 2)", "unnamed list"),
        ("lm(age ~ 1, data = people)", "class lm"),
        ("c(1, 2, 3)", "class numeric"),
    ],
)
def test_wrong_return_shapes_are_refused_with_what_is_allowed(tiny_product, body, complaint):
    write_r_plugin(tiny_product.path, "odd", f"odd <- function(people) {{\n  {body}\n}}\n")
    tiny_product.build()
    with pytest.raises(PluginError, match=complaint) as caught:
        tiny_product.run_plugin("odd")
    assert "data.frame" in caught.value.message


@needs_r
def test_each_call_starts_from_a_fresh_environment(tiny_product):
    write_r_plugin(tiny_product.path, "counter", """\
        calls <- 0
        counter <- function(people) {
          calls <<- calls + 1
          calls
        }
        """)
    tiny_product.build()
    assert tiny_product.run_plugin("counter").values["counter"] == 1
    assert tiny_product.run_plugin("counter").values["counter"] == 1


@needs_r
def test_an_r_plugin_defined_in_a_cell_runs_and_exports(tiny_product):
    tiny_product.build()
    source = "mean_age <- function(people) data.frame(mean_age = mean(people$age))\n"
    spec = tiny_product.define_plugin("mean_age", source, language="r")
    assert spec.language == "r"
    result = tiny_product.run_plugin("mean_age", {"people": "group == 'treated'"})
    assert result.tables["mean_age"]["mean_age"].to_list() == [pytest.approx((51 + 62 + 45) / 3)]
    target = tiny_product.export_plugin("mean_age")
    assert target == tiny_product.path / "plugins" / "mean_age.R"
    assert target.read_text() == source
    assert tiny_product.plugins()["mean_age"].file == str(target)


@needs_r
def test_child_processes_started_after_r_still_find_their_python(actg_built):
    actg_built.run("cox_model")
    # rpy2 puts the system library folder first on LD_LIBRARY_PATH when R starts; a kernel
    # or tool started afterwards must still load its own libpython and packages.
    subprocess.run([sys.executable, "-c", "import polars"], check=True)
