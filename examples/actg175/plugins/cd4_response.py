"""CD4 response: the share of patients whose CD4 count rose by at least a threshold."""

import polars as pl

from jupyter_dataproduct import plugin


@plugin(title="CD4 response by arm")
def cd4_response(patients: pl.LazyFrame, threshold: int = 50, week: int = 20) -> dict:
    """Per treatment arm: patients, responders (CD4 at `week` minus baseline >= threshold)
    and the response rate with a Wilson 95% interval."""
    if week not in (20, 96):
        raise ValueError(f"week must be 20 or 96, not {week}")
    follow_up = pl.col("cd420" if week == 20 else "cd496")
    table = (
        patients.filter(follow_up.is_not_null())
        .group_by("arms")
        .agg(
            pl.len().alias("patients"),
            ((follow_up - pl.col("cd40")) >= threshold).sum().alias("responders"),
            (follow_up - pl.col("cd40")).median().cast(pl.Float64).alias("median_change"),
        )
        .with_columns((pl.col("responders") / pl.col("patients")).alias("response_rate"))
        .with_columns(_wilson_bounds("response_rate", "patients"))
        .sort("arms")
        .collect()
    )
    chart = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"CD4 response (>= {threshold} cells/mm3 at week {week})",
        "data": {"values": table.with_columns(pl.col("arms").cast(pl.String)).to_dicts()},
        "layer": [
            {"mark": "bar", "encoding": {
                "x": {"field": "arms", "type": "nominal", "title": "arm"},
                "y": {"field": "response_rate", "type": "quantitative", "axis": {"format": "%"}}}},
            {"mark": "rule", "encoding": {
                "x": {"field": "arms", "type": "nominal"},
                "y": {"field": "lower_95", "type": "quantitative"}, "y2": {"field": "upper_95"}}},
        ],
    }
    return {"response": table, "response_chart": chart}


def _wilson_bounds(rate: str, n: str, z: float = 1.959963984540054) -> list[pl.Expr]:
    p, count = pl.col(rate), pl.col(n)
    centre = (p + z**2 / (2 * count)) / (1 + z**2 / count)
    half = z * ((p * (1 - p) / count + z**2 / (4 * count**2)).sqrt()) / (1 + z**2 / count)
    return [(centre - half).alias("lower_95"), (centre + half).alias("upper_95")]
