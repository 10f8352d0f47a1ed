"""Kaplan-Meier and log-rank agree with R's survival package (survfit, survdiff) to 1e-6."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import polars as pl
import pytest

from jupyter_dataproduct.core.algorithms.survival import event_table, kaplan_meier, log_rank, median_survival
from jupyter_dataproduct.core.errors import ColumnNotFoundError, DataError, ParameterError



RSCRIPT = shutil.which("Rscript")
needs_r = pytest.mark.skipif(RSCRIPT is None, reason="Rscript not found; install Debian's r-base-core and r-cran-survival")

R_PROGRAM = """
suppressMessages(library(survival))
d <- read.csv("{csv}")
f <- survfit(Surv(time, event) ~ group, data = d)
s <- summary(f, censored = TRUE)
t <- survdiff(Surv(time, event) ~ group, data = d)
m <- summary(f)$table
out <- list(
  time = s$time, n_risk = s$n.risk, n_event = s$n.event, surv = s$surv, std_err = s$std.err,
  lower = s$lower, upper = s$upper, strata = as.character(s$strata),
  chisq = t$chisq, observed = as.numeric(t$obs), expected = as.numeric(t$exp),
  median = as.numeric(m[, "median"]), lcl = as.numeric(m[, "0.95LCL"]), ucl = as.numeric(m[, "0.95UCL"])
)
cat(jsonlite_free_json <- paste0("{{", paste(sprintf('"%s": [%s]', names(out),
  sapply(out, function(v) paste(ifelse(is.na(v), "null", if (is.character(v)) sprintf('"%s"', v) else format(v, digits = 17)), collapse = ","))),
  collapse = ","), "}}"))
"""


def run_r(frame: pl.DataFrame, tmp_path) -> dict:
    csv = tmp_path / "survival.csv"
    frame.write_csv(csv)
    program = tmp_path / "survival.R"
    program.write_text(R_PROGRAM.format(csv=csv))
    output = subprocess.run([RSCRIPT, str(program)], capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def simulated(seed: int, n: int = 600) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    time = np.round(rng.exponential(100 + 40 * group), 0) + 1  # rounded: many tied times
    censor = np.round(rng.uniform(20, 300, n), 0)
    return pl.DataFrame({
        "time": np.minimum(time, censor), "event": (time <= censor).astype(int), "group": [f"g{g}" for g in group],
    })


@pytest.fixture(scope="module")
def actg(actg_csv) -> pl.DataFrame:
    frame = pl.read_csv(actg_csv, null_values="NA")
    return frame.select(pl.col("days").alias("time"), pl.col("cens").alias("event"), pl.col("arms").cast(pl.String).alias("group"))


@needs_r
@pytest.mark.parametrize("source", ["actg", "simulated"])
def test_kaplan_meier_and_log_rank_match_r(source, actg, tmp_path):
    frame = actg if source == "actg" else simulated(3)
    expected = run_r(frame, tmp_path)
    curve = kaplan_meier(frame.lazy(), "time", "event", "group")
    ordered = curve.sort("group", "time")
    assert ordered.height == len(expected["time"])
    np.testing.assert_allclose(ordered["time"].to_numpy(), expected["time"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ordered["n_risk"].to_numpy(), expected["n_risk"])
    np.testing.assert_array_equal(ordered["n_event"].to_numpy(), expected["n_event"])
    for ours, theirs in (("survival", "surv"), ("std_err", "std_err"), ("lower", "lower"), ("upper", "upper")):
        np.testing.assert_allclose(
            ordered[ours].to_numpy().astype(float), np.array(expected[theirs], dtype=float), rtol=1e-6, atol=1e-9,
            err_msg=ours,
        )
    test = log_rank(frame.lazy(), "time", "event", "group")
    assert test["chisq"] == pytest.approx(expected["chisq"][0], rel=1e-6)
    np.testing.assert_allclose(list(test["observed"].values()), expected["observed"], rtol=1e-9)
    np.testing.assert_allclose(list(test["expected"].values()), expected["expected"], rtol=1e-6)
    medians = median_survival(curve).sort("group")
    for ours, theirs in (("median", "median"), ("lower", "lcl"), ("upper", "ucl")):
        assert [m if m is None else pytest.approx(m) for m in medians[ours].to_list()] == expected[theirs], ours


def test_median_limits_are_lower_below_upper_as_r_prints_them():
    # R: print(survfit(Surv(t, e) ~ 1)) on these six rows: median 4, 0.95LCL 3, 0.95UCL NA.
    frame = pl.LazyFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 0, 1, 1, 0, 1]})
    row = median_survival(kaplan_meier(frame, "t", "e")).row(0, named=True)
    assert (row["median"], row["lower"], row["upper"]) == (4.0, 3.0, None)


def test_event_may_be_bool_and_groups_optional():
    frame = pl.DataFrame({"t": [1, 2, 2, 3, 4], "e": [True, False, True, True, False]})
    curve = kaplan_meier(frame.lazy(), "t", "e")
    assert curve["n_risk"].to_list() == [5, 4, 2, 1]
    assert curve["survival"].to_list() == pytest.approx([0.8, 0.6, 0.3, 0.3])


def test_errors_name_columns_and_groups():
    frame = pl.DataFrame({"t": [1, 2], "e": [1, 0], "g": ["a", "a"]})
    with pytest.raises(ColumnNotFoundError, match="'days'"):
        kaplan_meier(frame.lazy(), "days", "e")
    with pytest.raises(ParameterError, match="at least two groups"):
        log_rank(frame.lazy(), "t", "e", "g")
    with pytest.raises(ParameterError, match="conf_level"):
        kaplan_meier(frame.lazy(), "t", "e", conf_level=1.5)


def test_a_median_exactly_at_one_half_is_the_midpoint_to_the_next_step():
    # R: survfit(Surv(c(1, 2, 3, 4), rep(1, 4)) ~ 1) has S = .75, .5, .25, 0 and median 2.5.
    frame = pl.LazyFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1], "g": ["x"] * 4})
    medians = median_survival(kaplan_meier(frame, "t", "e", "g"))
    assert medians.row(0, named=True)["median"] == 2.5
    assert medians.row(0, named=True)["n"] == 4 and medians.row(0, named=True)["events"] == 4


def test_a_curve_that_stays_above_one_half_has_no_median():
    frame = pl.LazyFrame({"t": [1, 2, 3, 4], "e": [1, 0, 0, 0], "g": ["x"] * 4})
    assert median_survival(kaplan_meier(frame, "t", "e", "g"))["median"].to_list() == [None]


def test_all_censored_gives_curves_and_an_undefined_log_rank_not_an_error():
    # R: survdiff gives chisq 0 and p NaN; survfit gives flat curves at 1 with CIs [1, 1].
    frame = pl.LazyFrame({"t": [1, 2, 3, 4, 5, 6], "e": [0] * 6, "g": ["a", "a", "a", "b", "b", "b"]})
    curve = kaplan_meier(frame, "t", "e", "g")
    assert curve["survival"].to_list() == [1.0] * 6 and curve["std_err"].to_list() == [0.0] * 6
    assert curve["lower"].to_list() == [1.0] * 6 and curve["upper"].to_list() == [1.0] * 6
    assert median_survival(curve)["median"].to_list() == [None, None]
    test = log_rank(frame, "t", "e", "g")
    assert test["chisq"] == 0.0 and test["p_value"] is None
    assert "undefined" in test["note"]


def test_a_group_nobody_of_which_is_at_risk_at_an_event_time_leaves_the_test_as_in_r():
    # R: survdiff: expected 0, 3.35, 0.65; chisq 4.263158 on 1 degree of freedom, p 0.03894746.
    frame = pl.LazyFrame({"t": [1, 1, 1, 5, 6, 7, 3, 4], "e": [0, 0, 0, 1, 1, 0, 1, 1], "g": list("aaabbbcc")})
    test = log_rank(frame, "t", "e", "g")
    assert test["expected"] == {"a": 0.0, "b": pytest.approx(3.35), "c": pytest.approx(0.65)}
    assert test["df"] == 1
    assert test["chisq"] == pytest.approx(4.263158, rel=1e-6)
    assert test["p_value"] == pytest.approx(0.03894746, rel=1e-6)


def test_everyone_at_risk_dying_at_one_time_is_a_note_not_a_singular_matrix():
    frame = pl.LazyFrame({"t": [5, 5, 5, 5], "e": [1, 1, 1, 1], "g": ["a", "a", "b", "b"]})
    test = log_rank(frame, "t", "e", "g")  # R's survdiff stops: "system is exactly singular"
    assert test["chisq"] is None and test["p_value"] is None and "singular" in test["note"]


@pytest.mark.parametrize("codes", [[1, 2, 2, 1], [0, 3, 3, 0], [0, 1, -1, 1]])
def test_events_coded_other_than_0_1_are_refused_with_the_values_seen(codes):
    frame = pl.LazyFrame({"t": [1, 2, 3, 4], "status": codes})
    seen = ", ".join(map(str, sorted(set(codes))))
    with pytest.raises(DataError, match=f"'status' must be true/false or 0/1.*holds {seen}.*derive: status = 2"):
        kaplan_meier(frame, "t", "status")


def test_a_text_event_column_is_refused_naming_its_values():
    frame = pl.LazyFrame({"t": [1, 2], "status": ["dead", "alive"]})
    with pytest.raises(DataError, match="'status'.*'alive', 'dead'"):
        kaplan_meier(frame, "t", "status")


def test_nan_times_and_events_are_missing_like_null():
    with_nan = pl.LazyFrame({"t": [1.0, 2.0, float("nan"), 3.0, 4.0], "e": [1.0, 1.0, 1.0, float("nan"), 0.0]})
    without = pl.LazyFrame({"t": [1.0, 2.0, 4.0], "e": [1.0, 1.0, 0.0]})
    events = event_table(with_nan, "t", "e")
    assert events.missing_rows == 2
    assert events.table.equals(event_table(without, "t", "e").table)


def test_rows_with_a_missing_group_are_dropped_and_counted():
    # R drops NA strata (na.omit): two groups, not three; the curves of a and b are unchanged.
    frame = pl.LazyFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 1], "g": ["a", "a", None, "b", "b", None]})
    events = event_table(frame, "t", "e", "g")
    assert events.null_group_rows == 2
    assert events.notes() == ["2 rows with a missing group were left out"]
    assert median_survival(kaplan_meier(frame, "t", "e", "g"))["group"].to_list() == ["a", "b"]
    nan_group = pl.LazyFrame({"t": [1, 2, 3], "e": [1, 1, 1], "g": [1.0, float("nan"), 2.0]})
    assert event_table(nan_group, "t", "e", "g").null_group_rows == 1


def test_log_rank_lists_groups_in_the_category_order_as_the_curves_do():
    order = ["ZDV", "ZDV+ddI", "ZDV+Zal", "ddI"]  # the model's order, not alphabetical
    rng = np.random.default_rng(7)
    frame = pl.DataFrame({
        "time": rng.integers(1, 200, 400), "event": rng.integers(0, 2, 400),
        "group": pl.Series([order[i] for i in rng.integers(0, 4, 400)], dtype=pl.Enum(order)),
    })
    test = log_rank(frame.lazy(), "time", "event", "group")
    medians = median_survival(kaplan_meier(frame.lazy(), "time", "event", "group"))
    assert list(test["observed"]) == order
    assert medians.get_column("group").to_list() == order
