"""Differential tests: the built-in statistics against the reference implementations on
generated data sets (hypothesis, derandomized so every run checks the same examples).

- ``survival`` against R's ``survival::survfit`` / ``survdiff`` (through rpy2, one R per test
  session): curves, standard errors, log CIs, medians with their limits, chi-square and p,
  to 1e-6.
- ``compare_cohorts`` against scipy (``ttest_ind(equal_var=False)``, ``mannwhitneyu`` with its
  default method, ``chi2_contingency``, ``fisher_exact``) to 1e-9, and at huge offsets against
  exact rational arithmetic (where scipy itself loses digits).
- Benjamini-Hochberg against R's ``p.adjust(method = "BH")`` to 1e-9.

The data: ties within and across groups, everyone censored, single subjects, constant
columns, nulls, NaN, huge offsets, 1 to 6 groups, 2x2 tables with small expected counts.
A failure hypothesis shrinks becomes a named regression test at the end of this file.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context, note
from scipy import stats

from jupyter_dataproduct.core.algorithms.compare import benjamini_hochberg, compare_cohorts
from jupyter_dataproduct.core.algorithms.survival import (
    event_table, kaplan_meier_from_events, log_rank_from_events, median_survival,
)
from jupyter_dataproduct.core.errors import MissingDependencyError, ParameterError
from jupyter_dataproduct.core.rplugins import start_r

SURVIVAL_TOL = dict(rtol=1e-6, atol=1e-9)
SCIPY_TOL = dict(rel=1e-9, abs=1e-12)


def differential(examples: int) -> settings:
    """Fixed examples (derandomized, no example database), bounded for CI."""
    return settings(derandomize=True, deadline=None, database=None, max_examples=examples,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

R_FUNCTIONS = """
suppressMessages(library(survival))
km_reference <- function(time, event, group) {
  d <- data.frame(time = time, event = event, group = group)
  f <- survfit(Surv(time, event) ~ group, data = d)
  s <- summary(f, censored = TRUE)
  m <- summary(f)$table
  if (is.null(dim(m))) m <- t(as.matrix(m))
  test <- tryCatch({
    t <- survdiff(Surv(time, event) ~ group, data = d)
    c(t$chisq, t$pvalue, sum(t$exp > 0) - 1)
  }, error = function(e) c(NA_real_, NA_real_, NA_real_))
  only <- as.character(d$group[complete.cases(d)])[1]  # the stratum's name when there is one
  list(
    strata = if (is.null(s$strata)) rep(only, length(s$time)) else sub("^group=", "", as.character(s$strata)),
    time = s$time, n_risk = s$n.risk, n_event = s$n.event, surv = s$surv, std_err = s$std.err,
    lower = s$lower, upper = s$upper,
    median_group = if (is.null(f$strata)) only else sub("^group=", "", names(f$strata)),
    median = as.numeric(m[, "median"]), lcl = as.numeric(m[, "0.95LCL"]), ucl = as.numeric(m[, "0.95UCL"]),
    test = test
  )
}
"""


@pytest.fixture(scope="session")
def r():
    """One embedded R for the session, with the reference functions defined."""
    # Through the package's start_r: importing rpy2 directly leaves R's LD_LIBRARY_PATH in
    # os.environ, and a later test's child Python would then load the system's libpython.
    try:
        robjects = start_r()
    except MissingDependencyError as exc:
        pytest.skip(f"rpy2 (the r extra) runs the R references: {exc}")
    try:
        robjects.r(R_FUNCTIONS)
    except Exception as exc:  # rpy2 raises RRuntimeError
        pytest.skip(f"R's survival package is not available: {exc}")
    return robjects


def r_vector(r, values: list, kind: str):
    """An R vector with None as NA (NaN stays NaN, which R's na.omit also drops)."""
    if kind == "float":
        return r.FloatVector([r.NA_Real if v is None else v for v in values])
    if kind == "int":
        return r.IntVector([r.NA_Integer if v is None else v for v in values])
    return r.StrVector([r.NA_Character if v is None else v for v in values])


def as_floats(vector) -> np.ndarray:
    """R numbers as floats, NA and NaN as nan."""
    return np.array([float("nan") if v is None else v for v in list(vector)], dtype=float)


def describe(text: str) -> None:
    """Print the data of a falsifying example, to turn it into a regression test."""
    if currently_in_test_context():
        note(text)


def nullable(values) -> np.ndarray:
    return np.array([float("nan") if v is None else v for v in values], dtype=float)


# -- survival against R -------------------------------------------------------------------------


@st.composite
def survival_data(draw) -> pl.DataFrame:
    n_groups = draw(st.integers(1, 6))
    n = draw(st.integers(1, 60))
    times = draw(st.sampled_from(["ties", "continuous", "huge"]))
    censoring = draw(st.sampled_from(["none", "some", "most", "all"]))
    time_values = {
        "ties": st.integers(0, 6).map(float),
        "continuous": st.floats(0.01, 1000, allow_nan=False).map(lambda v: round(v, 3)),
        "huge": st.integers(0, 12).map(lambda k: 1.5e9 + k),
    }[times]
    event_values = {"none": st.just(1), "some": st.sampled_from([0, 1, 1, 1]), "most": st.sampled_from([0, 0, 0, 1]),
                    "all": st.just(0)}[censoring]
    missing = st.sampled_from([None] * 20 + ["null group", "null time", "nan time", "null event"])
    rows = draw(st.lists(st.tuples(st.integers(0, n_groups - 1), time_values, event_values, missing), min_size=n, max_size=n))
    frame = pl.DataFrame(
        {
            "group": [None if m == "null group" else f"g{g}" for g, _, _, m in rows],
            "time": [None if m == "null time" else math.nan if m == "nan time" else t for _, t, _, m in rows],
            "event": [None if m == "null event" else e for _, _, e, m in rows],
        },
        schema={"group": pl.String, "time": pl.Float64, "event": pl.Int64},
    )
    return frame


def check_survival_against_r(r, frame: pl.DataFrame) -> None:
    describe(f"frame = pl.DataFrame({frame.to_dict(as_series=False)})")
    complete = frame.filter(pl.col("group").is_not_null() & pl.col("time").is_not_nan() & pl.col("event").is_not_null())
    if complete.height == 0:
        with pytest.raises(ParameterError, match="nothing to analyse"):
            event_table(frame.lazy(), "time", "event", "group")
        return
    events = event_table(frame.lazy(), "time", "event", "group")
    assert events.missing_rows + events.null_group_rows == frame.height - complete.height
    curve = kaplan_meier_from_events(events.table).sort("group", "time")
    expected = r.r["km_reference"](
        r_vector(r, frame["time"].to_list(), "float"), r_vector(r, frame["event"].to_list(), "int"),
        r_vector(r, frame["group"].to_list(), "str"),
    )
    ref = {name: expected.rx2(name) for name in expected.names}
    reference = pl.DataFrame({"group": list(ref["strata"]), "time": as_floats(ref["time"])}).with_row_index()
    order = reference.sort("group", "time")["index"].to_numpy()  # R orders strata as its factor levels
    assert curve["group"].to_list() == [list(ref["strata"])[i] for i in order]
    np.testing.assert_array_equal(curve["time"].to_numpy(), as_floats(ref["time"])[order])
    np.testing.assert_array_equal(curve["n_risk"].to_numpy(), as_floats(ref["n_risk"])[order])
    np.testing.assert_array_equal(curve["n_event"].to_numpy(), as_floats(ref["n_event"])[order])
    for ours, theirs in (("survival", "surv"), ("std_err", "std_err"), ("lower", "lower"), ("upper", "upper")):
        np.testing.assert_allclose(nullable(curve[ours].to_list()), as_floats(ref[theirs])[order], **SURVIVAL_TOL,
                                   err_msg=ours)
    medians = median_survival(curve).sort("group")
    median_order = np.argsort(list(ref["median_group"]), kind="stable")
    assert medians["group"].to_list() == [list(ref["median_group"])[i] for i in median_order]
    for ours, theirs in (("median", "median"), ("lower", "lcl"), ("upper", "ucl")):
        np.testing.assert_allclose(nullable(medians[ours].to_list()), as_floats(ref[theirs])[median_order],
                                   **SURVIVAL_TOL, err_msg=ours)
    if events.table["group"].n_unique() < 2:
        return
    test = log_rank_from_events(events.table)
    r_chisq, r_p, r_df = as_floats(ref["test"])
    if math.isnan(r_chisq):  # R's solve() refused a singular variance
        assert test["chisq"] is None and test["p_value"] is None and "singular" in test["note"]
        return
    assert test["chisq"] == pytest.approx(r_chisq, rel=1e-6, abs=1e-9)
    assert test["df"] == max(int(r_df), 0)
    if r_df < 1:  # R: p NaN (no group with expected events) or 1 (on zero degrees of freedom)
        assert test["p_value"] is None and "undefined" in test["note"]
    else:
        assert test["p_value"] == pytest.approx(r_p, rel=1e-6, abs=1e-12)


@differential(200)
@given(frame=survival_data())
def test_survival_equals_r_on_generated_data(r, frame):
    check_survival_against_r(r, frame)


# -- compare_cohorts against scipy --------------------------------------------------------------


@st.composite
def cohort_pair(draw) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str], dict[str, str]]:
    sizes = (draw(st.integers(1, 30)), draw(st.integers(1, 30)))
    n_variables = draw(st.integers(1, 4))
    kinds, modes, columns = {}, {}, ({}, {})
    for i in range(n_variables):
        name = f"v{i}"
        mode = draw(st.sampled_from(["ties", "continuous", "constant", "huge", "categories", "two_by_two"]))
        kinds[name] = "categorical" if mode in ("categories", "two_by_two") else "numeric"
        modes[name] = mode
        values = {
            "ties": st.integers(0, 5).map(float),
            "continuous": st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: round(v, 4)),
            "constant": st.just(float(draw(st.integers(-3, 3)))),
            "huge": st.integers(0, 400).map(lambda k: 1e9 + k / 64),
            "categories": st.sampled_from(["x", "y", "z"]),
            "two_by_two": st.sampled_from(["yes", "no", "no"]),
        }[mode]
        missing = st.sampled_from([None] * 10 + ["null"] + (["nan"] if kinds[name] == "numeric" else []))
        for side, size in enumerate(sizes):
            cells = draw(st.lists(st.tuples(values, missing), min_size=size, max_size=size))
            columns[side][name] = [None if m == "null" else math.nan if m == "nan" else v for v, m in cells]
    frames = tuple(
        pl.DataFrame(c, schema={n: pl.Float64 if kinds[n] == "numeric" else pl.String for n in kinds}) for c in columns
    )
    return frames[0], frames[1], kinds, modes


def present_values(series: pl.Series) -> list:
    return [v for v in series.to_list() if v is not None and not (isinstance(v, float) and math.isnan(v))]


def exact_welch(x: list[float], y: list[float]) -> tuple[float, float]:
    """Welch's t and its degrees of freedom from exact rational moments."""
    def moments(values):
        exact = [Fraction(v) for v in values]
        mean = sum(exact) / len(exact)
        return mean, sum((v - mean) ** 2 for v in exact) / (len(exact) - 1)

    (mx, vx), (my, vy) = moments(x), moments(y)
    a, b = vx / len(x), vy / len(y)
    if a + b == 0:
        return (math.nan if mx == my else math.copysign(math.inf, mx - my)), 1.0
    df = (a + b) ** 2 / (a**2 / (len(x) - 1) + b**2 / (len(y) - 1))
    return float(mx - my) / math.sqrt(a + b), float(df)


def check_numeric(row: dict, x: list[float], y: list[float], mode: str) -> None:
    if len(x) >= 2 and len(y) >= 2:
        if mode == "huge":  # scipy loses digits at 1e9; the exact reference does not
            t, df = exact_welch(x, y)
            p = 2 * stats.t.sf(abs(t), df) if not math.isnan(t) else math.nan
        else:
            welch = stats.ttest_ind(x, y, equal_var=False)
            t, p = float(welch.statistic), float(welch.pvalue)
        if math.isnan(t):
            assert row["statistic"] is None and row["p_value"] is None
        elif math.isinf(t):
            assert row["statistic"] is None and row["p_value"] == p == 0.0
        else:
            assert row["statistic"] == pytest.approx(t, **SCIPY_TOL)
            assert row["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-15)
    else:
        assert row["statistic"] is None and row["p_value"] is None and "at least 2 values" in row["note"]
    if x and y:
        mw = stats.mannwhitneyu(x, y)
        assert row["mw_statistic"] == pytest.approx(float(mw.statistic), **SCIPY_TOL)
        assert row["mw_p_value"] == pytest.approx(float(mw.pvalue), **SCIPY_TOL)
        ties = len(set(x + y)) < len(x) + len(y)
        assert row["mw_method"] == ("exact" if min(len(x), len(y)) <= 8 and not ties else "asymptotic")
    else:
        assert row["mw_p_value"] is None


def check_categorical(row: dict, x: list[str], y: list[str]) -> None:
    levels = sorted(set(x) | set(y))
    table = np.array([[x.count(level), y.count(level)] for level in levels])
    if len(levels) < 2 or not x or not y:
        assert row["p_value"] is None
        return
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if table.shape == (2, 2) and (expected < 5).any():
        reference = stats.fisher_exact(table)
        assert row["test"] == "fisher_exact"
    else:
        reference = stats.chi2_contingency(table)
        assert row["test"] == "chi_square"
    assert row["p_value"] == pytest.approx(float(reference.pvalue), **SCIPY_TOL)
    if math.isfinite(reference.statistic):
        assert row["statistic"] == pytest.approx(float(reference.statistic), **SCIPY_TOL)


def check_compare_against_scipy(r, a: pl.DataFrame, b: pl.DataFrame, kinds: dict, modes: dict) -> None:
    describe(f"a = {a.to_dict(as_series=False)}; b = {b.to_dict(as_series=False)}; kinds = {kinds}; modes = {modes}")
    result = compare_cohorts(a.lazy(), b.lazy(), kinds)
    rows = {row["variable"]: row for row in result.to_dicts()}
    for name, kind in kinds.items():
        x, y = present_values(a[name]), present_values(b[name])
        row = rows[name]
        assert (row["n_a"], row["n_b"]) == (len(x), len(y))
        assert (row["missing_a"], row["missing_b"]) == (a.height - len(x), b.height - len(y))
        if kind == "numeric":
            check_numeric(row, x, y, modes[name])
        else:
            check_categorical(row, x, y)
    tested = result.filter(pl.col("p_value").is_not_null())
    if tested.height:
        adjusted = as_floats(r.r["p.adjust"](r.FloatVector(tested["p_value"].to_list()), method="BH"))
        np.testing.assert_allclose(tested["p_adjusted"].to_numpy(), adjusted, rtol=1e-9, atol=1e-15)


@differential(250)
@given(data=cohort_pair())
def test_compare_cohorts_equals_scipy_on_generated_data(r, data):
    check_compare_against_scipy(r, *data)


@differential(100)
@given(p_values=st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 0.05, 1e-300])), min_size=1, max_size=40))
def test_benjamini_hochberg_equals_r_p_adjust(r, p_values):
    expected = as_floats(r.r["p.adjust"](r.FloatVector(p_values), method="BH"))
    np.testing.assert_allclose(benjamini_hochberg(p_values), expected, rtol=1e-9, atol=0)


# -- regression tests: shrunk failures of the generated tests --------------------------------------


def test_epoch_second_times_one_apart_are_one_time_as_in_r(r):
    # Shrunk from the generated survival test: R's survfit merges times within a relative
    # 1.5e-8 (timefix = TRUE), so 1.5e9 and 1.5e9 + 1 are one time, in one group or two.
    check_survival_against_r(r, pl.DataFrame({"group": ["g0", "g1"], "time": [1.5e9, 1.5e9 + 1], "event": [1, 1]}))
    check_survival_against_r(r, pl.DataFrame({"group": ["g0", "g0"], "time": [1.5e9, 1.5e9 + 1], "event": [1, 1]}))


def test_a_singular_log_rank_variance_is_a_note_where_r_stops(r):
    # Shrunk from the generated survival test: R's survdiff stops ("exactly singular").
    frame = pl.DataFrame({"group": ["g0", "g1"], "time": [1.0, 1.0], "event": [1, 1]})
    check_survival_against_r(r, frame)
    assert log_rank_from_events(event_table(frame.lazy(), "time", "event", "group").table)["chisq"] is None
