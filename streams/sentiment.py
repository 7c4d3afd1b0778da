"""VADER sentiment, wrapped once.

``SentimentScorer.score`` returns exactly vaderSentiment's ``polarity_scores`` (a parity test over
the 4,200 human-rated tweets holds it to that), optionally with some words made neutral (brand names,
``streams.watchlist``), plus the conventional label: compound >= 0.05 is
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

    __slots__ = ("_lexicon", "_polarity")

    def __init__(self) -> None:
        analyzer = SentimentIntensityAnalyzer()
        self._polarity = analyzer.polarity_scores
        self._lexicon: dict[str, float] = analyzer.lexicon

    def scores_any(self, text: str, words: frozenset[str]) -> bool:
        """Whether any of ``words`` is a lexicon word that occurs in ``text`` (a cheap upper bound)."""
        lowered = None
        for w in words:
            if w in self._lexicon:
                lowered = lowered if lowered is not None else text.lower()
                if w in lowered:
                    return True
        return False

    def score(self, text: str, neutral_words: frozenset[str] = frozenset()) -> Sentiment:
        """VADER's scores for ``text``; ``neutral_words`` (lower case) count as no sentiment.

        The words are taken out of the lexicon for this one call and put back, so VADER's every
        rule treats them as it treats any word it does not know (synchronous: no other call can
        run in between).
        """
        removed = {w: self._lexicon.pop(w) for w in neutral_words if w in self._lexicon} if neutral_words else None
        try:
            s = self._polarity(text)
        finally:
            if removed:
                self._lexicon.update(removed)
        compound = s["compound"]
        return Sentiment(
            compound=compound, pos=s["pos"], neu=s["neu"], neg=s["neg"], label=label_of(compound)
        )


@cache
def default_scorer() -> SentimentScorer:
    """The process-wide scorer (building one reads VADER's lexicon files)."""
    return SentimentScorer()
