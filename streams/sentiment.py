"""VADER sentiment, wrapped once.

``SentimentScorer.score`` returns exactly vaderSentiment's ``polarity_scores``, every float bit for bit,
computed by :mod:`streams.vader`, a faster re-implementation (parity tests over the 4,200 human-rated
tweets, the sample tweets, generated posts and property-based texts hold it to that), optionally with
some words made neutral (brand names, ``streams.watchlist``), plus the conventional label: compound
>= 0.05 is positive, <= -0.05 negative, anything between neutral (Hutto & Gilbert's recommended cut).

There is no cache of recent scores: on the generated benchmark posts and on the sample tweets no text
repeats, and an 8,192-entry cache keyed by (text, neutral words) cost 6-12 % there
(``bench/sentiment.py``, ``docs/performance.md``).
"""

from __future__ import annotations

from functools import cache

from schemas.records import Sentiment, SentimentLabel
from streams.vader import Vader, default_vader

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


def label_of(compound: float) -> SentimentLabel:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


class SentimentScorer:
    """VADER's scores as :class:`Sentiment` records. Scorers share one immutable :class:`Vader` (its
    lexicon is read once per process) unless given their own."""

    __slots__ = ("_lexicon", "_scores")

    def __init__(self, vader: Vader | None = None) -> None:
        vader = vader if vader is not None else default_vader()
        self._scores = vader.scores
        self._lexicon = vader.lexicon

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
        """VADER's scores for ``text``; ``neutral_words`` (lower case) count as no sentiment: VADER's
        every rule treats them as it treats a word it does not know (the shared lexicon is untouched)."""
        compound, pos, neu, neg = self._scores(text, neutral_words)
        return Sentiment(compound, pos, neu, neg, label_of(compound))


@cache
def default_scorer() -> SentimentScorer:
    """The process-wide scorer."""
    return SentimentScorer()
