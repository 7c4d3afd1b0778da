"""streams.vader against vaderSentiment 3.3.2: every rule and quirk, and property-based texts built of
the words the rules look at, each float compared bit for bit."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vaderSentiment import vaderSentiment as vs

from streams import vader as fast
from streams.vader import Vader

THEIRS = vs.SentimentIntensityAnalyzer()
OURS = Vader()

#: Deterministic, so CI sees the same examples on every run.
PROPERTY = settings(max_examples=1000, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def bits(scores: Mapping[str, float]) -> tuple[tuple[str, str, str], ...]:
    """Every key, type and exact bit pattern (``float.hex`` tells -0.0 from 0.0), in order."""
    return tuple((k, type(v).__name__, v.hex()) for k, v in scores.items())


def theirs(text: str, neutral: frozenset[str] = frozenset()) -> dict[str, float]:
    removed = {w: THEIRS.lexicon.pop(w) for w in neutral if w in THEIRS.lexicon}
    try:
        return THEIRS.polarity_scores(text)
    finally:
        THEIRS.lexicon.update(removed)


def ours(text: str, neutral: frozenset[str] = frozenset()) -> dict[str, float]:
    compound, pos, neu, neg = OURS.scores(text, neutral)
    return {"neg": neg, "neu": neu, "pos": pos, "compound": compound}


def assert_parity(text: str, neutral: frozenset[str] = frozenset()) -> None:
    assert bits(ours(text, neutral)) == bits(theirs(text, neutral)), (text, neutral)
    if not neutral:
        assert bits(OURS.polarity_scores(text)) == bits(THEIRS.polarity_scores(text)), text


def test_the_lexicons_are_vaders_own():
    assert OURS.lexicon == THEIRS.lexicon
    assert list(OURS.lexicon) == list(THEIRS.lexicon)
    assert OURS.emojis == THEIRS.emojis
    assert len(OURS.lexicon) == 7506


# ------------------------------------------------------------------------------------------------
# Each rule, and the quirks kept on purpose

CASES = [
    # vaderSentiment's own demo sentences
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "The book was good.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit.",
    "With VADER, sentiment analysis is the shit!",
    "Other sentiment analysis tools can be quite bad.",
    "On the other hand, VADER is quite bad ass",
    "VADER is such a badass!",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the most compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Not such a badass after all.",
    "Without a doubt, an excellent idea.",
    # empty and trivial
    "", " ", "\t\n ", "!!!", "???", "no", "no no", "kind", "kind of", "but", "least", "good",
    # emojis: replaced character by character, a space before unless at the start or after a space
    "😀", "😀😀", "😀 😀", "a😀b", "good😀", "\t😀 good", "😀\tgood", " 😀 ", "©®", "I ♥ it",
    "🔛 good", "good 🔛🔛🔛", "🆙🆙 great",  # the descriptions "ON! arrow" and "UP! button" hold a "!"
    "#️⃣ 1️⃣ good",  # keycaps are emoji-lexicon keys of several characters: never replaced
    # punctuation kept when stripping leaves two characters or fewer
    ":) :( :D <3 :-) ;) :/ XD", '"no!" good', "'ok' fine", "((good))", "!!good!!", "#great @love",
    # boosters, and the booster n-grams of the idioms check
    "very good", "VERY good day", "very GOOD day", "very very very good", "barely good", "so good",
    "kind of good", "KIND OF good", "sort of good", "it is just enough good", "the film was sort of bad",
    "it is kind of a good movie", "kinda good", "kind-of good",
    # "no"
    "no good", "no no good", "not no good", "no problem", "no way good", "no or bad", "no and nor bad",
    "no, not good", "good no", "no bad no good",
    # negations, "never so", "without doubt"
    "not good", "isn't good", "don't like it", "never so good", "never this good", "never been so good",
    "without doubt good", "without a doubt good", "without any doubt good", "nobody is good",
    "it ain't nothing good", "uh-uh good", "this wasn't good",
    # "least"
    "least good", "the least good", "at least good", "very least good", "LEAST good",
    # "but", rescaling by value (equal values are rescaled at the first of them)
    "good but bad", "good good but good good", "good but good but bad", "but good", "good but",
    "bad bad bad but bad", "no good but no good", "great but no", "BUT good BUT bad", "good but, bad",
    # SPECIAL_CASES idioms, and the sentiment-laden idioms VADER never uses
    "the shit", "that is the shit", "this was the bomb", "what a bad ass", "yeah right good",
    "it was the kiss of death", "a cake to die for", "my beating heart", "the bus stop was nice",
    "bus stop", "it is the bomb indeed", "he can cut the mustard", "hand to mouth", "upper hand win",
    "break a leg", "under the weather", "in the red", "on the ball",
    # ALL CAPS differential: only when some but not all tokens are ALL CAPS
    "GOOD", "GOOD DAY", "GOOD day", "GREAT GREAT great", "I LOVE IT", "i LOVE it :)", "HATE it",
    # exclamation and question marks
    "good!", "good!!", "good!!!!", "good!!!!!!!!", "good?", "good??", "good???", "good????", "bad?!?!",
    "bad!!!", "good! bad? great!! awful??",
    # Unicode: lower() that lengthens, final sigma, Kelvin sign, full-width text, no-break spaces
    "İİ good", "İ!", "ΣΑΣ good", "ΓΕΙΑ ΣΑΣ good", "\u212a good", "ｇｏｏｄ", "good\u00a0bad", "good\u3000great",
    "ǅ good", "ß GOOD", "ﬁne good",
]


@pytest.mark.parametrize("text", CASES)
def test_each_rule_and_quirk_scores_exactly_as_vader_does(text):
    assert_parity(text)


@pytest.mark.parametrize("neutral", [frozenset({"good"}), frozenset({"no"}), frozenset({"kind"}),
                                     frozenset({"doubt", "shit"}), frozenset({"least", "but", "very"})])
@pytest.mark.parametrize("text", CASES)
def test_each_case_with_neutral_words_scores_as_vader_without_them(text, neutral):
    assert_parity(text, neutral)


def test_text_must_be_a_string():
    with pytest.raises(TypeError):
        OURS.scores(b"good")  # type: ignore[arg-type]


def test_a_lexicon_copy_is_made_once_per_set_of_removed_words_and_the_shared_one_is_untouched():
    v = Vader()
    assert v.lexicon_without({"acme", "qzx"}) is v.lexicon  # none of them is a lexicon word
    a = v.lexicon_without(frozenset({"good", "acme"}))
    assert "good" not in a and len(a) == len(v.lexicon) - 1
    assert v.lexicon_without(["good"]) is a
    assert "good" in v.lexicon
    for i in range(Vader.MAX_LEXICON_COPIES + 5):
        v.lexicon_without({sorted(v.lexicon)[i]})
    assert len(v._without) == Vader.MAX_LEXICON_COPIES


# ------------------------------------------------------------------------------------------------
# Property-based texts

LEXICON_WORDS = sorted(THEIRS.lexicon)
RULE_WORDS = [
    "but", "BUT", "But", "least", "at", "very", "no", "NO", "No", "nor", "or", "never", "so", "this",
    "without", "doubt", "kind", "of", "sort", "just", "enough", "the", "a", "and",
]
IDIOM_WORDS = sorted({w for k in (*vs.SPECIAL_CASES, *vs.SENTIMENT_LADEN_IDIOMS) for w in k.split()})
BOOSTERS = sorted(vs.BOOSTER_DICT)  # with "kind of", "sort of" and "just enough" as single tokens too
NEGATIONS = [*sorted(vs.NEGATE), "isn't", "don't", "can't", "n't", "won't", "nothing's"]
SINGLE_EMOJI = sorted(k for k in THEIRS.emojis if len(k) == 1)
EMOJI = [*SINGLE_EMOJI[::25], "🔛", "🆙", "😀", "😍", "💔", "©", "®", "#️⃣", "👍🏽"]
EMOTICONS = [":)", ":(", ":D", "<3", ":-)", ";)", ":/", "XD", ":P", "</3", "(:"]
PUNCTUATION = ["!", "?", "!!", "??", "???", "!!!!!", "?!", ".", ",", "...", "'", '"', "#", "@", "-", "("]
COMMON = ["good", "bad", "great", "love", "hate", "happy", "sad", "awful", "nice", "united", "amazon",
          "shit", "bomb", "ass", "death", "die", "heart", "right", "yeah", "lol", "sux", "fun", "hope"]

vocabulary = st.one_of(
    st.sampled_from(LEXICON_WORDS),
    st.sampled_from(COMMON + RULE_WORDS + IDIOM_WORDS),
    st.sampled_from(BOOSTERS),
    st.sampled_from(NEGATIONS),
    st.sampled_from(EMOJI + EMOTICONS + PUNCTUATION),
    st.text(min_size=1, max_size=6),  # any Unicode
)


# How a token is dressed: its case, and leading or trailing punctuation (VADER strips it unless that
# leaves two characters or fewer); then what follows it.
_SHAPES = ("as is", "as is", "as is", "upper", "title", "lower")
_AFFIXES = ([("", "")] * 6 + [(p, "") for p in "!#@(\"'"] + [("", p) for p in "!?.,)'"]
            + [("(", ")"), ('"', '!"'), ("...", "..."), ("", "!!!"), ("", "?!")])
_DRESS = [(shape, before, after) for shape in _SHAPES for before, after in _AFFIXES]
_SEPARATORS = [" "] * 8 + ["  ", "\t", "\n", "", "\u00a0", "\u2003", " ! ", "? ", "!", ", "]


def _token(word: str, dress: tuple[str, str, str], separator: str) -> str:
    shape, before, after = dress
    word = word.upper() if shape == "upper" else word.title() if shape == "title" else (
        word.lower() if shape == "lower" else word)
    return before + word + after + separator


tokens = st.builds(_token, vocabulary, st.sampled_from(_DRESS), st.sampled_from(_SEPARATORS))
texts = st.lists(tokens, max_size=24).map("".join)


@PROPERTY
@given(texts)
def test_texts_of_rule_words_score_exactly_as_vader_does(text):
    assert_parity(text)


neutral_sets = st.frozensets(st.sampled_from(COMMON + RULE_WORDS + IDIOM_WORDS + LEXICON_WORDS[::50]), max_size=4)


@settings(PROPERTY, max_examples=500)
@given(texts, neutral_sets)
def test_texts_with_neutral_words_score_as_vader_without_them(text, neutral):
    assert_parity(text, neutral)


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(st.text(max_size=60))
def test_any_unicode_text_scores_exactly_as_vader_does(text):
    assert_parity(text)


def literal_but_check(sentiments: list[float], bi: int) -> list[float]:
    """vaderSentiment's ``_but_check`` loop, verbatim."""
    for sentiment in sentiments:
        si = sentiments.index(sentiment)
        if si < bi:
            sentiments.pop(si)
            sentiments.insert(si, sentiment * 0.5)
        elif si > bi:
            sentiments.pop(si)
            sentiments.insert(si, sentiment * 1.5)
    return sentiments


# Few distinct values, so equal values (and zeros of both signs) are common.
_values = st.sampled_from([0.0, -0.0, 3, 1.0, 2.0, 0.5, 4.0, -1.0, -2.0, -0.5, 1.5, 0.75, 2.25, -4.0, 8.0, 0.25])


@st.composite
def but_lists(draw: st.DrawFn) -> tuple[list[float], list[int], int]:
    n = draw(st.integers(1, 14))
    bi = draw(st.integers(0, n - 1))
    hits = sorted(draw(st.sets(st.sampled_from([i for i in range(n) if i != bi] or [0]), max_size=n)) - {bi})
    sentiments: list[float] = [0] * n
    for i in hits:
        sentiments[i] = draw(_values)
    return sentiments, hits, bi


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(but_lists())
def test_the_but_check_replays_vaders_value_lookups_exactly(case):
    sentiments, hits, bi = case
    want = literal_but_check(list(sentiments), bi)
    got = list(sentiments)
    nonzero = fast._but_check(got, hits, bi)
    assert [(type(x), float(x).hex()) for x in got] == [(type(x), float(x).hex()) for x in want]
    assert nonzero == [i for i in hits if got[i] != 0]
