"""Pearson's chi-square test of independence on a two-way contingency table.

The same arithmetic as ``scipy.stats.chi2_contingency`` (expected counts from the margins,
Yates' continuity correction on tables with one degree of freedom, no larger than the
difference it corrects), finished by :func:`.distributions.chi2_sf`, so that a first run
does not import ``scipy.stats`` for a sum of squares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import chi2_sf


@dataclass(frozen=True)
class ChiSquare:
    statistic: float
    p_value: float
    dof: int


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Counts expected under independence: row total x column total / total."""
    observed = np.asarray(table, dtype=np.float64)
    return observed.sum(axis=1, keepdims=True) * observed.sum(axis=0, keepdims=True) / observed.sum()


def chi_square_test(table: np.ndarray, correction: bool = True) -> ChiSquare:
    """The test on a table of non-negative counts whose rows and columns all have a count
    (an expected count of 0 is refused, as scipy does)."""
    observed = np.asarray(table, dtype=np.float64)
    if observed.ndim != 2 or observed.size == 0 or (observed < 0).any():
        raise ValueError(f"A contingency table is a 2-D table of non-negative counts; got shape {observed.shape}.")
    expected = expected_counts(observed)
    if (expected == 0).any():
        raise ValueError("A row or column of the contingency table has no counts.")
    dof = observed.size - sum(observed.shape) + 1
    if dof == 0:  # one row or one column: observed equals expected
        return ChiSquare(0.0, 1.0, 0)
    if dof == 1 and correction:
        difference = expected - observed
        observed = observed + np.minimum(0.5, np.abs(difference)) * np.sign(difference)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return ChiSquare(statistic, chi2_sf(statistic, dof), dof)
