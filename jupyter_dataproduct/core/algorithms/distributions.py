"""The few distributions the built-in tests finish with, from ``scipy.special``.

``scipy.stats`` computes these same tail probabilities with these same special functions
(``norm.sf(z)`` is ``ndtr(-z)``, ``t.sf(x, df)`` is ``stdtr(df, -x)``, ``chi2.sf(x, df)`` is
``chdtrc(df, x)``, ``norm.ppf(q)`` is ``ndtri(q)``), so the p-values are scipy.stats' own
digits. Importing ``scipy.special`` alone costs a fraction of ``scipy.stats`` (which loads
every distribution, optimisation and spatial module at import), and that import is what a
first run in a fresh kernel waits for. ``scipy.stats`` is still imported where a test needs
more than a tail probability: Fisher's exact test, the exact Mann-Whitney distribution.
"""

from __future__ import annotations

import numpy as np


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z (``scipy.stats.norm.sf``)."""
    from scipy import special

    return float(special.ndtr(-np.float64(z)))


def normal_quantile(q: float) -> float:
    """The standard normal's q-quantile (``scipy.stats.norm.ppf``)."""
    from scipy import special

    return float(special.ndtri(np.float64(q)))


def t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's T with ``df`` degrees of freedom (``2 * t.sf(abs(t), df)``,
    as ``ttest_ind``)."""
    from scipy import special

    return float(2 * special.stdtr(np.float64(df), -np.abs(np.float64(t))))


def chi2_sf(x: float, df: float) -> float:
    """P(X > x) for a chi-square X with ``df`` degrees of freedom (``scipy.stats.chi2.sf``;
    1 below the support, e.g. a statistic of -1e-17 left by rounding, as scipy.stats)."""
    from scipy import special

    return 1.0 if x < 0 else float(special.chdtrc(np.float64(df), np.float64(x)))
