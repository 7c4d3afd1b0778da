"""A fast VADER whose scores are exactly vaderSentiment 3.3.2's, bit for bit.

VADER (Valence Aware Dictionary and sEntiment Reasoner) is C.J. Hutto's rule-based sentiment model,
published as the ``vaderSentiment`` package under the MIT licence (Copyright (c) 2016 C.J. Hutto):

    Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment Analysis
    of Social Media Text. Eighth International Conference on Weblogs and Social Media (ICWSM-14).

This module re-implements ``SentimentIntensityAnalyzer.polarity_scores`` of vaderSentiment 3.3.2. Its
lexicon and emoji lexicon are read from the installed vaderSentiment package's own files, parsed as it
parses them, and its rule constants (``BOOSTER_DICT``, ``NEGATE``, ``SPECIAL_CASES``, ``N_SCALAR`` ...)
are imported from it, so nothing of VADER is copied into this repository.

The algorithm, and the arithmetic in the same order on values of the same types (an ``int`` 0 where
VADER appends an ``int`` 0, the same builtin ``sum`` over the same list), are VADER's; so are its
quirks, kept on purpose:

* emojis are replaced by their descriptions character by character before anything else, and the
  ``!`` of a description ("ON! arrow") counts as punctuation emphasis;
* a token keeps its punctuation when stripping it leaves two characters or fewer (``:)``, ``"no!``);
* a booster word, and "kind" followed by "of", score nothing even when they are lexicon words;
* "no" before a lexicon word has no valence of its own; "no" one, two, or (before "or"/"nor") three
  words back negates, and replaces any earlier change to the valence;
* the scalar of a booster word depends on the sign of the valence built so far; a negation or "never
  so"/"without doubt" is only looked at behind a word that is not in the lexicon;
* ``_special_idioms_check`` runs only at the third word back, and only when that word is not in the
  lexicon; of its idioms only ``SPECIAL_CASES`` are used (``_sentiment_laden_idioms_check`` is never
  called by VADER, so it is not here);
* ``_but_check`` looks each sentiment up by value (``list.index``), so of equal values the first one
  is rescaled, possibly several times, and later equal ones not at all;
* "least" negates unless preceded by "at" or "very";
* the ALL-CAPS boost applies only when some but not all tokens are ALL CAPS.

What makes it fast: every token is lower-cased once (an ASCII text as a whole) and looked up in the
lexicon once, the result serving every later "is the word before in the lexicon" test; the rule words
are sets and the multi-word idioms tuple-keyed dicts, checked only when a word of them is present; no
list is rebuilt per word and no regular expression compiled per call; the value-by-value "but" rule is
replayed on the scored words only; a text with no emoji skips the emoji pass (an ASCII text without
looking at it, most others after one regular-expression scan), and a text with no lexicon word returns
at once.

Brand-aware scoring (``neutral_words``) reads a lexicon without those words, a copy made once per set
of removed words and cached: the shared lexicon is never mutated. The scores equal vaderSentiment's
with the words popped from its lexicon.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping
from functools import cache
from itertools import compress, repeat
from operator import is_not
from pathlib import Path

from vaderSentiment import vaderSentiment as _vs

#: vaderSentiment's rule constants, from the installed package.
B_INCR: float = _vs.B_INCR
B_DECR: float = _vs.B_DECR
C_INCR: float = _vs.C_INCR
N_SCALAR: float = _vs.N_SCALAR
BOOSTER_DICT: Mapping[str, float] = _vs.BOOSTER_DICT
SPECIAL_CASES: Mapping[str, float] = _vs.SPECIAL_CASES
NEGATE: frozenset[str] = frozenset(_vs.NEGATE)

_PACKAGE_DIR = Path(_vs.__file__).resolve().parent
_PUNCTUATION = string.punctuation
_MISSING = object()


def _ngrams(table: Mapping[str, float]) -> tuple[dict[tuple[str, ...], float], frozenset[str]]:
    """The multi-word keys of ``table`` as tuples of words, and every word they use.

    A token never holds white space and is never empty, so ``" ".join(tokens) == key`` exactly when
    ``tuple(tokens) == tuple(key.split(" "))``: the tuple lookup is VADER's string lookup.
    """
    grams = {tuple(k.split(" ")): v for k, v in table.items() if " " in k}
    return grams, frozenset(w for g in grams for w in g)


_SPECIAL, _SPECIAL_WORDS = _ngrams(SPECIAL_CASES)
_BOOSTER_NGRAMS, _BOOSTER_NGRAM_WORDS = _ngrams(BOOSTER_DICT)
_BOOSTER_WORDS: dict[str, float] = {k: v for k, v in BOOSTER_DICT.items() if " " not in k}


def _read(path: Path) -> str:
    # codecs.open(path, encoding="utf-8").read(), as VADER reads it: no newline translation.
    return path.read_bytes().decode("utf-8")


def load_lexicon(path: Path) -> dict[str, float]:
    """``SentimentIntensityAnalyzer.make_lex_dict``."""
    lexicon: dict[str, float] = {}
    for line in _read(path).rstrip("\n").split("\n"):
        if not line:
            continue
        word, measure = line.strip().split("\t")[0:2]
        lexicon[word] = float(measure)
    return lexicon


def load_emojis(path: Path) -> dict[str, str]:
    """``SentimentIntensityAnalyzer.make_emoji_dict``."""
    emojis: dict[str, str] = {}
    for line in _read(path).rstrip("\n").split("\n"):
        emoji, description = line.strip().split("\t")[0:2]
        emojis[emoji] = description
    return emojis


def _negated(lower_word: str) -> bool:
    """VADER's ``negated([word])`` for one lower-case word."""
    return lower_word in NEGATE or "n't" in lower_word

def _boost(scalar: float | None, valence: float, shouting: bool) -> float:
    """vaderSentiment's ``scalar_inc_dec``: a booster word's scalar (None: not a booster), signed like the
    valence so far, emphasised when the booster is in capitals amid mixed case."""
    if scalar is None:
        return 0.0
    if valence < 0:
        scalar *= -1
    if shouting:
        if valence > 0:
            scalar += C_INCR
        else:
            scalar -= C_INCR
    return scalar


class Vader:
    """VADER's ``SentimentIntensityAnalyzer``, fast. Its lexicons are never mutated, so one can be shared
    (its only state is the cache of lexicon copies without some words)."""

    __slots__ = ("_emoji_ascii", "_emoji_chars", "_emoji_hint", "_without", "emojis", "lexicon")

    #: How many distinct sets of removed words keep their lexicon copy (each copy is ~200 KB).
    MAX_LEXICON_COPIES = 32

    def __init__(self, lexicon_file: str = "vader_lexicon.txt", emoji_lexicon: str = "emoji_utf8_lexicon.txt") -> None:
        #: word -> valence, as vaderSentiment loads it. Do not mutate: use ``neutral_words``.
        self.lexicon: dict[str, float] = load_lexicon(_PACKAGE_DIR / lexicon_file)
        #: emoji -> description. VADER replaces characters one at a time, so only the keys of one
        #: character can ever match.
        self.emojis: dict[str, str] = load_emojis(_PACKAGE_DIR / emoji_lexicon)
        self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)
        self._emoji_ascii = any(k.isascii() for k in self._emoji_chars)
        # A cheap superset of the emoji characters for a first look: the few below U+2000 (©, ®) one
        # by one, then everything from the lowest one above. Latin, Cyrillic, Arabic, ... text passes
        # it without a set look-up per character.
        low = sorted(c for c in self._emoji_chars if c < "\u2000")
        high = min((c for c in self._emoji_chars if c >= "\u2000"), default=None)
        hint = "".join(map(re.escape, low)) + (re.escape(high) + "-\U0010ffff" if high else "")
        self._emoji_hint = re.compile(f"[{hint}]") if hint else None
        self._without: dict[frozenset[str], dict[str, float]] = {}

    # ----------------------------------------------------------------------------------------
    # Public API

    def polarity_scores(self, text: str) -> dict[str, float]:
        """Exactly ``vaderSentiment.SentimentIntensityAnalyzer().polarity_scores(text)``."""
        compound, pos, neu, neg = self.scores(text)
        return {"neg": neg, "neu": neu, "pos": pos, "compound": compound}

    def lexicon_without(self, words: Iterable[str]) -> Mapping[str, float]:
        """The lexicon without ``words``: the shared one when none of them is in it, else a cached copy."""
        removed = frozenset(w for w in words if w in self.lexicon)
        if not removed:
            return self.lexicon
        lexicon = self._without.get(removed)
        if lexicon is None:
            if len(self._without) >= self.MAX_LEXICON_COPIES:
                del self._without[next(iter(self._without))]  # the oldest
            lexicon = {w: v for w, v in self.lexicon.items() if w not in removed}
            self._without[removed] = lexicon
        return lexicon

    def scores(self, text: str, neutral_words: Iterable[str] = frozenset()) -> tuple[float, float, float, float]:
        """``(compound, pos, neu, neg)`` of ``text``, with ``neutral_words`` absent from the lexicon."""
        lex = self.lexicon_without(neutral_words) if neutral_words else self.lexicon
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        # VADER strips the text after this pass; split() ignores the same white space, and neither
        # "!" nor "?" is white space, so the text is used unstripped.
        if (
            (self._emoji_ascii or not text.isascii())
            and self._emoji_hint is not None
            and self._emoji_hint.search(text)
            and not self._emoji_chars.isdisjoint(text)
        ):
            text = self._demoji(text)

        # SentiText: the tokens, with leading and trailing punctuation stripped unless that leaves two
        # characters or fewer (_strip_punc_if_word), then lower-cased. Punctuation is uncased, so a
        # token is ALL CAPS exactly when its stripped word is: ``tokens`` serves the ALL-CAPS rules.
        punctuation = _PUNCTUATION
        tokens: list[str] = []
        if text.isascii():
            # lower() changes only A-Z here, so it commutes with split() and with the stripping: the
            # text is lower-cased once, and split as it is only if it has capitals (see cap_diff).
            lowered = text.lower()
            lowers = [t if len(s := t.strip(punctuation)) <= 2 else s for t in lowered.split()]
            has_capitals = lowered != text
        else:
            tokens = text.split()
            lowers = [t if len(s := t.strip(punctuation)) <= 2 else s for t in tokens]
            lowers = list(map(str.lower, lowers))
            has_capitals = True
        n = len(lowers)
        if not n:
            return 0.0, 0.0, 0.0, 0.0
        # One lexicon look-up per token: None where the word is not in the lexicon.
        vals = list(map(lex.get, lowers))
        if vals.count(None) == n:
            # Every sentiment is 0: VADER's arithmetic gives exactly this.
            return 0.0, 0.0, 1.0, 0.0

        booster = _BOOSTER_WORDS
        cap_diff: bool | None = None
        sentiments: list[float] = [0] * n  # int 0, as VADER appends for every word it does not score
        hits: list[int] = []
        last = n - 1
        for i in compress(range(n), map(is_not, vals, repeat(None))):
            v = vals[i]
            item_lower = lowers[i]
            if item_lower in booster:
                continue
            if item_lower == "kind" and i < last and lowers[i + 1] == "of":
                continue
            if cap_diff is None:
                # allcap_differential: some, but not all, tokens are ALL CAPS (none is without capitals).
                if has_capitals:
                    tokens = tokens or text.split()
                    caps = sum(map(str.isupper, tokens))
                    cap_diff = 0 < n - caps < n
                else:
                    cap_diff = False

            # ---- sentiment_valence
            valence = v
            if item_lower == "no" and i != last and vals[i + 1] is not None:
                valence = 0.0
            if (
                (i > 0 and lowers[i - 1] == "no")
                or (i > 1 and lowers[i - 2] == "no")
                or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor"))
            ):
                valence = v * N_SCALAR
            if cap_diff and tokens[i].isupper():
                if valence > 0:
                    valence += C_INCR
                else:
                    valence -= C_INCR

            # start_i == 0: the word before
            if i > 0 and vals[i - 1] is None:
                j = i - 1
                s = _boost(booster.get(lowers[j]), valence, cap_diff and tokens[j].isupper())
                valence = valence + s
                if _negated(lowers[j]):
                    valence = valence * N_SCALAR
            # start_i == 1: two words before
            if i > 1 and vals[i - 2] is None:
                j = i - 2
                s = _boost(booster.get(lowers[j]), valence, cap_diff and tokens[j].isupper())
                if s != 0:
                    s = s * 0.95
                valence = valence + s
                l2, l1 = lowers[j], lowers[i - 1]
                if l2 == "never" and (l1 == "so" or l1 == "this"):
                    valence = valence * 1.25
                elif l2 == "without" and l1 == "doubt":
                    pass
                elif _negated(l2):
                    valence = valence * N_SCALAR
            # start_i == 2: three words before, then the idioms
            if i > 2 and vals[i - 3] is None:
                j = i - 3
                s = _boost(booster.get(lowers[j]), valence, cap_diff and tokens[j].isupper())
                if s != 0:
                    s = s * 0.9
                valence = valence + s
                l3, l2, l1 = lowers[j], lowers[i - 2], lowers[i - 1]
                if (l3 == "never" and (l2 == "so" or l2 == "this")) or (l1 == "so" or l1 == "this"):
                    valence = valence * 1.25
                elif l3 == "without" and (l2 == "doubt" or l1 == "doubt"):
                    pass
                elif _negated(l3):
                    valence = valence * N_SCALAR
                valence = _special_idioms(valence, lowers, i, n)

            # _least_check
            if i > 0 and lowers[i - 1] == "least" and vals[i - 1] is None:
                if i > 1:
                    if lowers[i - 2] != "at" and lowers[i - 2] != "very":
                        valence = valence * N_SCALAR
                else:
                    valence = valence * N_SCALAR
            sentiments[i] = valence
            hits.append(i)

        if "but" in lowers:
            hits = _but_check(sentiments, hits, lowers.index("but"))

        # ---- score_valence
        sum_s = float(sum(sentiments))
        ep_count = text.count("!")
        if ep_count > 4:
            ep_count = 4
        ep_amplifier = ep_count * 0.292
        qm_count = text.count("?")
        qm_amplifier = 0
        if qm_count > 1:
            qm_amplifier = qm_count * 0.18 if qm_count <= 3 else 0.96
        punct_emph_amplifier = ep_amplifier + qm_amplifier
        if sum_s > 0:
            sum_s += punct_emph_amplifier
        elif sum_s < 0:
            sum_s -= punct_emph_amplifier

        compound = sum_s / math.sqrt((sum_s * sum_s) + 15)
        if compound < -1.0:
            compound = -1.0
        elif compound > 1.0:
            compound = 1.0

        # _sift_sentiment_scores: zeros add nothing to either sum, so only the scored positions are read.
        pos_sum = 0.0
        neg_sum = 0.0
        nonzero = 0
        for i in hits:
            sentiment_score = sentiments[i]
            if sentiment_score > 0:
                pos_sum += float(sentiment_score) + 1
                nonzero += 1
            elif sentiment_score < 0:
                neg_sum += float(sentiment_score) - 1
                nonzero += 1
        neu_count = n - nonzero

        if pos_sum > math.fabs(neg_sum):
            pos_sum += punct_emph_amplifier
        elif pos_sum < math.fabs(neg_sum):
            neg_sum -= punct_emph_amplifier

        total = pos_sum + math.fabs(neg_sum) + neu_count
        pos = math.fabs(pos_sum / total)
        neg = math.fabs(neg_sum / total)
        neu = math.fabs(neu_count / total)
        return round(compound, 4), round(pos, 3), round(neu, 3), round(neg, 3)

    def _demoji(self, text: str) -> str:
        """VADER's emoji pass: each emoji character becomes its description, after a space unless
        it starts the text or follows a space (and a description is never followed by one)."""
        emojis = self.emojis
        out: list[str] = []
        append = out.append
        prev_space = True
        for ch in text:
            description = emojis.get(ch)
            if description is not None:
                if not prev_space:
                    append(" ")
                append(description)
                prev_space = False
            else:
                append(ch)
                prev_space = ch == " "
        return "".join(out)


def _but_check(sentiments: list[float], hits: list[int], bi: int) -> list[int]:
    """VADER's ``_but_check`` on ``sentiments`` in place, "but" at ``bi``; returns the positions of
    the non-zero sentiments (``hits`` are the positions of the scored words, the only ones that can be).

    VADER rescales ``sentiments[sentiments.index(x)]`` for each value ``x`` in turn (a pop and an
    insert at one index), so of equal values the first is rescaled, maybe more than once, and a later
    one not at all. A zero stays a zero and a non-zero a non-zero, so the two kinds are replayed
    apart: the non-zero values among themselves, and each zero writes to the first zero of the list,
    the last zero's write standing. The result is VADER's, value for value and type for type.
    """
    scored = [i for i in hits if sentiments[i] != 0]
    if scored:
        values = [sentiments[i] for i in scored]
        for m in range(len(values)):
            x = values[m]  # not rescaled yet: the look-ups of earlier steps land at or before them
            j = values.index(x)
            if scored[j] < bi:
                values[j] = x * 0.5
            elif scored[j] > bi:
                values[j] = x * 1.5
        for i, x in zip(scored, values, strict=True):
            sentiments[i] = x
    if len(scored) < len(sentiments):
        z0 = sentiments.index(0)
        if z0 != bi:
            k = len(sentiments) - 1
            while sentiments[k] != 0:
                k -= 1
            sentiments[z0] = sentiments[k] * 0.5 if z0 < bi else sentiments[k] * 1.5
    return scored


def _special_idioms(valence: float, lowers: list[str], i: int, n: int) -> float:
    """VADER's ``_special_idioms_check`` (called with ``i >= 3``)."""
    l0, l1, l2, l3 = lowers[i], lowers[i - 1], lowers[i - 2], lowers[i - 3]
    # Each of the seven sequences holds the word itself or the one two back.
    if l0 in _SPECIAL_WORDS or l2 in _SPECIAL_WORDS:
        special = _SPECIAL
        found = special.get((l1, l0), _MISSING)
        if found is _MISSING:
            found = special.get((l2, l1, l0), _MISSING)
        if found is _MISSING:
            found = special.get((l2, l1), _MISSING)
        if found is _MISSING:
            found = special.get((l3, l2, l1), _MISSING)
        if found is _MISSING:
            found = special.get((l3, l2), _MISSING)
        if found is not _MISSING:
            valence = found
        if n - 1 > i:
            found = special.get((l0, lowers[i + 1]), _MISSING)
            if found is not _MISSING:
                valence = found
        if n - 1 > i + 1:
            found = special.get((l0, lowers[i + 1], lowers[i + 2]), _MISSING)
            if found is not _MISSING:
                valence = found
    # Booster n-grams ("kind of", "sort of", "just enough"): each of the three holds the word two back.
    if l2 in _BOOSTER_NGRAM_WORDS:
        grams = _BOOSTER_NGRAMS
        for gram in ((l3, l2, l1), (l3, l2), (l2, l1)):
            found = grams.get(gram, _MISSING)
            if found is not _MISSING:
                valence = valence + found
    return valence


@cache
def default_vader() -> Vader:
    """The process-wide analyser (it is immutable; building one reads the lexicon files)."""
    return Vader()
