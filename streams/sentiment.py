"""VADER sentiment, wrapped once.

``SentimentScorer.score`` returns exactly vaderSentiment's ``polarity_scores`` (a parity test over
the 4,200 human-rated tweets holds it to that) plus the conventional label: compound >= 0.05 is
positive, <= -0.05 negative, anything between neutral (Hutto & Gilbert's recommended cut).
"""

from __future__ import annotations

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.records import Sentiment, SentimentLabel

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


def label_of(compound: float) -> SentimentLabel:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


class SentimentScorer:
    """One VADER analyser (its lexicon is loaded once, at construction)."""

    __slots__ = ("_polarity",)

    def __init__(self) -> None:
        self._polarity = SentimentIntensityAnalyzer().polarity_scores

    def score(self, text: str) -> Sentiment:
        s = self._polarity(text)
        compound = s["compound"]
        return Sentiment(
            compound=compound, pos=s["pos"], neu=s["neu"], neg=s["neg"], label=label_of(compound)
        )


@cache
def default_scorer() -> SentimentScorer:
    """The process-wide scorer (building one reads VADER's lexicon files)."""
    return SentimentScorer()
