"""The built-in algorithms called as plugins: the same checks as inside a protocol, and the
notes a reader must see (rows left out, undefined tests, overlapping cohorts)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jupyter_dataproduct.core.builtins import MAX_GROUPS_ENV
from jupyter_dataproduct.core.errors import DataError, ParameterError
from jupyter_dataproduct.core.product import Product

MANIFEST = """\
name: trial
version: 0.1.0
sources:
  patients: {kind: csv, path: data/patients.csv}
model:
  entities:
    patients:
      source: patients
      key: id
      columns:
        id: {type: int}
        days: {type: float}
        died: {type: int}
        status: {type: int}
        arm: {type: category, labels: {0: placebo, 1: drug}}
        site: {type: string}
        age: {type: int}
"""


def patients_csv(n: int = 60) -> str:
    lines = ["id,days,died,status,arm,site,age"]
    for i in range(n):
        arm = i % 2
        lines.append(f"{i},{10 + (i * 7) % 50 + 5 * arm},{int(i % 3 != 0)},{1 + int(i % 3 != 0)},{arm},s{i},{30 + i}")
    lines.append(f"{n},12,1,2,,s{n},70")  # no arm
    return "\n".join(lines) + "\n"


@pytest.fixture
def trial(write_product) -> Product:
    product = Product.open(write_product(MANIFEST, {"data/patients.csv": patients_csv()}, name="trial"))
    product.build()
    return product


def test_survival_reports_rows_without_a_group(trial):
    result = trial.run_plugin("survival", {"entity": "patients", "time": "days", "event": "died", "group": "arm"})
    assert sorted(result.tables["median"]["group"].to_list()) == ["drug", "placebo"]
    assert "1 rows with a missing group were left out" in result.values["note"]
    assert result.values["p_value"] is not None


def test_survival_with_everyone_censored_returns_curves_and_says_the_test_is_undefined(trial):
    result = trial.run_plugin(
        "survival", {"entity": "patients", "time": "days", "event": "died", "group": "arm", "cohort": "died == 0"}
    )
    assert result.tables["curve"]["survival"].unique().to_list() == [1.0]
    assert result.values["chisq"] == 0.0 and result.values["p_value"] is None
    assert "log-rank test undefined" in result.values["note"]


def test_survival_refuses_r_event_coding_naming_the_column(trial):
    with pytest.raises(DataError, match="'status'.*1, 2.*derive"):
        trial.run_plugin("survival", {"entity": "patients", "time": "days", "event": "status", "group": "arm"})


def test_survival_as_a_plugin_refuses_grouping_by_an_identifier(trial):
    with pytest.raises(ParameterError, match=r"group: patients\.site .* 61 distinct values; at most 50 groups") as error:
        trial.run_plugin("survival", {"entity": "patients", "time": "days", "event": "died", "group": "site"})
    assert error.value.details | {"step": None} == {"parameter": "group", "column": "site", "distinct": 61, "limit": 50, "step": None}


def test_the_group_limit_is_configurable(trial, monkeypatch):
    monkeypatch.setenv(MAX_GROUPS_ENV, "100")
    result = trial.run_plugin("summary", {"entity": "patients", "by": "site"})
    assert result.tables["numeric"]["site"].n_unique() == 61
    monkeypatch.setenv(MAX_GROUPS_ENV, "10")
    with pytest.raises(ParameterError, match="by: patients.site .* at most 10 groups"):
        trial.run_plugin("summary", {"entity": "patients", "by": "site"})


def test_compare_cohorts_notes_overlapping_cohorts(trial):
    result = trial.run_plugin("compare_cohorts", {"entity": "patients", "cohort_a": "age < 50", "cohort_b": "age >= 40"})
    notes = result.tables["compare_cohorts"]["note"].to_list()
    assert all("cohorts overlap: 10 rows are in both A and B" in note for note in notes)
    separate = trial.run_plugin("compare_cohorts", {"entity": "patients", "cohort_a": "age < 50", "cohort_b": "age >= 50"})
    assert "overlap" not in separate.tables["compare_cohorts"]["note"][0]


def test_survival_of_two_overlapping_cohorts_says_so(trial):
    result = trial.run_plugin(
        "survival", {"entity": "patients", "time": "days", "event": "died", "cohort_a": "age < 50", "cohort_b": "age >= 45"}
    )
    assert "cohorts overlap: 5 rows" in result.values["note"]


FIRST_RUNS = """
import json, sys
from jupyter_dataproduct.core.product import Product
product = Product.open(sys.argv[1])
results = {name: product.run(name) for name in ("compare_arms", "survival", "baseline_summary")}
print(json.dumps({
    "p_values": results["compare_arms"].tables["comparison"].get_column("p_value").drop_nulls().len(),
    "log_rank_p": results["survival"].values["p_value"],
    "loaded": sorted(m for m in ("scipy.stats", "scipy.special", "altair", "pandas", "pyarrow") if m in sys.modules),
}))
"""


def test_a_first_run_of_the_example_protocols_does_not_import_scipy_stats(actg_product):
    """The tests finish with scipy.special: a fresh kernel's first run does not wait for scipy.stats."""
    actg_product.build()
    out = subprocess.run([sys.executable, "-c", FIRST_RUNS, str(actg_product.path)], check=True,
                         capture_output=True, text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["p_values"] >= 15 and report["log_rank_p"] < 0.001  # the statistics really ran
    assert report["loaded"] == ["scipy.special"]
