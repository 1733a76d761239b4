"""How often two raters agree on the same things: observed agreement, Cohen's kappa and its
quadratic-weighted form for ordered scores (pure).

Used for chat-exam calibration: per rubric item, two reviewers of the same attempt, or a
reviewer and the engine, each give a score; a pair agrees when the two scores are equal.
Kappa corrects the observed agreement for the agreement expected by chance from how often
each rater gives each score: kappa = (p_o - p_e) / (1 - p_e). Computed exactly with
fractions so that hand-computed values compare equal.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class KappaBand(StrEnum):
    """Landis and Koch's reading of a kappa value (labels are the web layer's)."""

    POOR = "poor"                  # below 0: less than chance
    SLIGHT = "slight"              # 0.00-0.20
    FAIR = "fair"                  # 0.21-0.40
    MODERATE = "moderate"          # 0.41-0.60
    SUBSTANTIAL = "substantial"    # 0.61-0.80
    ALMOST_PERFECT = "almost_perfect"  # 0.81-1.00


@dataclass(frozen=True)
class Agreement:
    """Agreement of two raters over `pairs` rated things.

    `kappa` is None when it is undefined: no pairs, or both raters gave one and the same
    score to everything (chance agreement is then 1, and so is the observed agreement).
    """

    pairs: int
    agreed: int
    kappa: float | None

    @property
    def rate(self) -> float | None:
        """The observed agreement, 0..1 (None without pairs)."""
        return self.agreed / self.pairs if self.pairs else None

    @property
    def band(self) -> KappaBand | None:
        return kappa_band(self.kappa) if self.kappa is not None else None


def _kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> Fraction | None:
    n = len(pairs)
    if n == 0:
        return None
    agreed = sum(1 for a, b in pairs if a == b)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    # n² · p_e: the products of the two raters' marginal counts per category.
    chance = sum(count * second[category] for category, count in first.items())
    if chance == n * n:
        return None
    # (p_o - p_e) / (1 - p_e) with p_o = agreed / n and p_e = chance / n², times n²/n².
    return Fraction(agreed * n - chance, n * n - chance)


def cohens_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters; each pair is (first rater's label, second rater's)."""
    value = _kappa(pairs)
    return float(value) if value is not None else None


def agreement(pairs: Sequence[tuple[Hashable, Hashable]]) -> Agreement:
    """Observed agreement and Cohen's kappa of the pairs."""
    return Agreement(pairs=len(pairs), agreed=sum(1 for a, b in pairs if a == b),
                     kappa=cohens_kappa(pairs))


def quadratic_weighted_kappa(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Cohen's (1968) weighted kappa with quadratic weights, for ordered numeric scores.

    kappa_w = 1 - sum of (a - b)² over the pairs / (1/n · sum of (a_s - b_t)² over every
    first-rater score a_s and second-rater score b_t): the disagreement observed against the
    one expected by chance from the two raters' marginal distributions. The weights are the
    squared differences of the scores themselves, which for scores 0, 1, …, K-1 is the usual
    (i - j)² / (K - 1)² (the scale cancels). The chance term is n·Σa² + n·Σb² - 2·Σa·Σb over
    n², so it takes O(n). Exact with fractions; None without pairs, or when both raters gave
    one and the same score to everything.
    """
    n = len(pairs)
    if n == 0:
        return None
    first = [Fraction(a) for a, _ in pairs]
    second = [Fraction(b) for _, b in pairs]
    chance = (n * sum(a * a for a in first) + n * sum(b * b for b in second)
              - 2 * sum(first) * sum(second))
    if chance == 0:
        return None
    observed = sum((a - b) ** 2 for a, b in zip(first, second))
    return float(1 - n * observed / chance)


def kappa_band(kappa: float) -> KappaBand:
    """Landis and Koch (1977): <0 poor, ≤.20 slight, ≤.40 fair, ≤.60 moderate,
    ≤.80 substantial, above almost perfect."""
    if kappa < 0:
        return KappaBand.POOR
    for upper, band in ((0.20, KappaBand.SLIGHT), (0.40, KappaBand.FAIR),
                        (0.60, KappaBand.MODERATE), (0.80, KappaBand.SUBSTANTIAL)):
        if kappa <= upper + 1e-12:
            return band
    return KappaBand.ALMOST_PERFECT
