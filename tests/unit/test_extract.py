"""Hashtags, mentions and terms from post text (``streams.extract``)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.extract import (
    DEFAULT_MAX_TERMS,
    MIN_TERM_CHARS,
    hashtags,
    mentions,
    normalize_topic,
    stop_words,
    strip_urls,
    terms,
)

#: Full-width number sign and commercial at, spelled as escapes (they look like # and @).
FW_HASH = "\uff03"
FW_AT = "\uff20"


def fullwidth(ascii_text: str) -> str:
    """``ascii_text`` in full-width forms (U+FF01..U+FF5E), as East Asian keyboards type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in ascii_text)


# --------------------------------------------------------------------------------------------
# hashtags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Off to #東京 tomorrow", ("#東京",)),
        ("Best #café in town", ("#café",)),
        ("Watching #हिंदी films", ("#हिंदी",)),
        ("#مَرحَبا", ("#مَرحَبا",)),
        ("#שָׁלוֹם", ("#שָׁלוֹם",)),
        ("#สวัสดี", ("#สวัสดี",)),
        ("#привет мир", ("#привет",)),
        ("#tamil_தமிழ்", ("#tamil_தமிழ்",)),
    ],
    ids=[
        "japanese",
        "latin-accent",
        "devanagari",
        "arabic-harakat",
        "hebrew-niqqud",
        "thai",
        "cyrillic",
        "tamil",
    ],
)
def test_unicode_hashtags_are_kept_whole_with_their_combining_marks(text: str, expected: tuple) -> None:
    assert hashtags(text) == expected


def test_devanagari_hashtag_keeps_its_vowel_signs_and_anusvara() -> None:
    (tag,) = hashtags("#हिंदी")
    # ह ि ं द ी: two of the five are combining marks that a bare \w would cut off.
    assert tag[1:] == "\u0939\u093f\u0902\u0926\u0940"
    assert {unicodedata.category(c) for c in tag[1:]} >= {"Mn", "Mc"}


def test_a_decomposed_accent_belongs_to_the_hashtag_and_is_composed() -> None:
    decomposed = "#cafe\u0301 time"
    assert hashtags(decomposed) == ("#caf\u00e9",)
    assert hashtags(decomposed) == hashtags("#caf\u00e9 time")


def test_full_width_number_sign_starts_a_hashtag() -> None:
    assert hashtags(f"{FW_HASH}tokyo") == ("#tokyo",)


def test_full_width_hashtag_folds_to_the_same_topic_as_ascii() -> None:
    text = f"#United {FW_HASH}{fullwidth('united')} #UNITED"
    assert hashtags(text) == ("#united",)


@pytest.mark.parametrize("spelling", ["#United", "#UNITED", "#united", "#uNiTeD"])
def test_hashtags_are_case_folded(spelling: str) -> None:
    assert hashtags(spelling) == ("#united",)


def test_case_folding_goes_beyond_lowercase() -> None:
    assert hashtags("#Straße #STRASSE") == ("#strasse",)


def test_hashtags_are_deduplicated_in_order_of_first_appearance() -> None:
    assert hashtags("#b #a #B #c #a") == ("#b", "#a", "#c")


@pytest.mark.parametrize("text", ["#1", "#2015", "#1_000", "#_", "#\u0967\u0968", "#٣"])
def test_a_hashtag_without_a_letter_is_not_a_hashtag(text: str) -> None:
    assert hashtags(text) == ()


@pytest.mark.parametrize(
    ("text", "expected"), [("#1a", ("#1a",)), ("#a1", ("#a1",)), ("#2015wc", ("#2015wc",))]
)
def test_a_hashtag_with_digits_and_a_letter_is_a_hashtag(text: str, expected: tuple) -> None:
    assert hashtags(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/page#section",
        "http://x.co/#tag",
        "see HTTPS://EXAMPLE.COM/#Loud",
        "www.example.com/#anchor",
        "https://example.com/?q=#frag&x=1",
    ],
)
def test_hashtags_inside_urls_are_ignored(text: str) -> None:
    assert hashtags(text) == ()


def test_a_hashtag_next_to_a_url_is_still_found() -> None:
    assert hashtags("#real https://t.co/abc#fake #also") == ("#real", "#also")


@pytest.mark.parametrize("text", ["Tom &#amp; Jerry", "it&#39;s", "&#x27;quoted&#x27;", "AT&#T"])
def test_html_entities_are_not_hashtags(text: str) -> None:
    assert hashtags(text) == ()


@pytest.mark.parametrize("text", ["word#tag", "C#", "abc#def", "##double"])
def test_a_hashtag_glued_to_a_word_or_another_sign_is_not_a_hashtag(text: str) -> None:
    assert hashtags(text) == ()


def test_hashtags_end_at_punctuation() -> None:
    assert hashtags("#Acme! (#launch), #deal. #acme's #x-ray") == ("#acme", "#launch", "#deal", "#x")


def test_a_hashtag_may_follow_punctuation_or_start_a_line() -> None:
    assert hashtags("#first\n#second,#third.#fourth") == ("#first", "#second", "#third", "#fourth")


def test_source_hashtags_are_merged_after_the_text_and_deduplicated() -> None:
    found = hashtags("#Acme rocks #deal", ["acme", "#Launch", "DEAL", f"{FW_HASH}Promo"])
    assert found == ("#acme", "#deal", "#launch", "#promo")


def test_source_hashtags_without_a_letter_or_empty_are_dropped() -> None:
    assert hashtags("", ["2024", "", "#", "ok"]) == ("#ok",)


def test_source_hashtags_stand_alone_when_the_text_has_none() -> None:
    assert hashtags("no tags here", ["Quran", "quran"]) == ("#quran",)


def test_text_without_hashtags_gives_none() -> None:
    assert hashtags("") == ()
    assert hashtags("just words # and a lone sign") == ()


# --------------------------------------------------------------------------------------------
# mentions


def test_mentions_are_found_case_folded_and_deduplicated() -> None:
    assert mentions("@Alice meets @ALICE and @bob_99") == ("@alice", "@bob_99")


def test_full_width_at_sign_starts_a_mention() -> None:
    assert mentions(f"hi {FW_AT}Bob") == ("@bob",)


@pytest.mark.parametrize(
    "text",
    ["a@b.com", "write to support@acme.example today", "me@localhost", "x@y", "first.last+tag@mail.co.uk"],
)
def test_email_addresses_yield_no_mention(text: str) -> None:
    assert mentions(text) == ()


def test_mentions_inside_urls_are_ignored() -> None:
    assert mentions("read https://medium.com/@writer/post now") == ()


def test_mention_after_punctuation_is_found() -> None:
    assert mentions("RT @bob: (@carol) cc:@dave") == ("@bob", "@carol", "@dave")


def test_source_mentions_are_merged_after_the_text_and_deduplicated() -> None:
    assert mentions("hi @Bob", ["bob", "@Carol", f"{FW_AT}Dave", ""]) == ("@bob", "@carol", "@dave")


# --------------------------------------------------------------------------------------------
# normalize_topic and strip_urls


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("United", "united"),
        ("  spaced  ", "spaced"),
        (fullwidth("ACME"), "acme"),
        ("Straße", "strasse"),
        ("\ufb01nance", "finance"),  # the "fi" ligature
        ("cafe\u0301", "caf\u00e9"),
        ("東京", "東京"),
    ],
)
def test_normalize_topic_gives_one_spelling_per_topic(name: str, expected: str) -> None:
    assert normalize_topic(name) == expected


def test_strip_urls_removes_links_and_addresses_only() -> None:
    assert strip_urls("a https://t.co/x b www.acme.com c me@acme.com d").split() == ["a", "b", "c", "d"]


# --------------------------------------------------------------------------------------------
# terms


def test_terms_drop_stop_words_urls_hashtags_mentions_short_words_and_rt() -> None:
    text = "RT @bob: I love the new #AcmePhone camera, it is so good https://t.co/abc ok &amp; via"
    assert terms(text) == ("love", "new", "camera", "good")


def test_terms_never_contain_entities_or_url_parts() -> None:
    found = terms("#camera @battery https://acme.example/screen www.display.example support@phone.example")
    assert found == ()


def test_terms_are_case_folded_and_deduplicated_in_order() -> None:
    assert terms("Camera battery CAMERA Battery screen") == ("camera", "battery", "screen")


def test_terms_shorter_than_three_characters_are_dropped() -> None:
    assert MIN_TERM_CHARS == 3
    assert terms("ox ax zzz") == ("zzz",)


@pytest.mark.parametrize("word", ["rt", "amp", "via", "http", "https", "www", "co", "im", "dont", "u"])
def test_twitter_noise_words_are_stop_words(word: str) -> None:
    assert word in stop_words()
    assert terms(f"battery {word}") == ("battery",)


def test_english_stop_words_come_from_scikit_learn() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert stop_words() >= ENGLISH_STOP_WORDS
    assert terms("the and however whereas amazing") == ("amazing",)


def test_contractions_of_stop_words_are_dropped_with_either_apostrophe() -> None:
    assert terms("don't don\u2019t battery") == ("battery",)


def test_typographic_apostrophe_is_folded_to_ascii_in_terms() -> None:
    assert terms("Acme\u2019s battery") == ("acme's", "battery")


def test_terms_keep_non_english_words() -> None:
    assert terms("Das Telefon ist großartig") == ("das", "telefon", "ist", "grossartig")  # ß case-folds


def test_terms_are_capped_by_max_terms_keeping_the_first() -> None:
    text = "alpha bravo charlie delta echo foxtrot golf hotel"
    assert terms(text, max_terms=3) == ("alpha", "bravo", "charlie")
    assert terms(text, max_terms=1) == ("alpha",)


def test_repeated_words_do_not_count_towards_the_cap() -> None:
    assert terms("alpha alpha alpha bravo", max_terms=2) == ("alpha", "bravo")


def test_max_terms_zero_gives_no_terms() -> None:
    assert terms("alpha bravo", max_terms=0) == ()


def test_terms_default_cap_is_32() -> None:
    words = [f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(40)]
    assert DEFAULT_MAX_TERMS == 32
    assert terms(" ".join(words)) == tuple(words[:32])


# --------------------------------------------------------------------------------------------
# Properties over arbitrary text

_TOKENS = [
    *"abcXYZ\u00e9#@_1 .:/'&;",
    FW_HASH,
    FW_AT,
    "\u2019",
    "\u6771",
    "\u0939",
    "\u093f",
    "\u0301",
    "https://",
    "www.",
    "#tag",
    "@user",
]
#: Text made of the characters and fragments that matter to extraction, or any text at all.
_texts = st.lists(st.sampled_from(_TOKENS), max_size=30).map("".join) | st.text(max_size=60)


@settings(max_examples=500, deadline=None)
@given(_texts, st.lists(st.text(max_size=8), max_size=3))
def test_hashtags_are_prefixed_unique_and_carry_a_letter(text: str, extra: list[str]) -> None:
    tags = hashtags(text, extra)
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert tag.startswith("#") and len(tag) > 1
        assert any(c.isalpha() for c in tag[1:])
    assert tags[: len(hashtags(text))] == hashtags(text)  # the text's own come first


@settings(max_examples=500, deadline=None)
@given(_texts, st.lists(st.text(max_size=8), max_size=3))
def test_mentions_are_prefixed_and_unique(text: str, extra: list[str]) -> None:
    found = mentions(text, extra)
    assert len(set(found)) == len(found)
    assert all(m.startswith("@") and len(m) > 1 for m in found)
    assert found[: len(mentions(text))] == mentions(text)


@settings(max_examples=500, deadline=None)
@given(_texts, st.integers(min_value=0, max_value=10))
def test_terms_respect_the_cap_length_and_stop_words(text: str, max_terms: int) -> None:
    found = terms(text, max_terms=max_terms)
    assert len(found) <= max_terms
    assert len(set(found)) == len(found)
    for term in found:
        assert len(term) >= MIN_TERM_CHARS
        assert term not in stop_words()
        assert not term.startswith(("#", "@"))


def test_a_listed_hashtag_that_is_not_one_word_is_not_a_topic() -> None:
    assert hashtags("no tags here", ["foo bar", "ok", "#fine"]) == ("#ok", "#fine")


def test_extract_gives_the_same_answers_as_the_single_functions() -> None:
    from streams.extract import extract, mentions, terms

    text = "Mail me@x.com about #Launch at https://x.co/#no with @Team — the new launch rocks!"
    found = extract(text, ["extra"], ["other"], max_terms=5)
    assert found.hashtags == hashtags(text, ["extra"]) == ("#launch", "#extra")
    assert found.mentions == mentions(text, ["other"]) == ("@team", "@other")
    assert found.terms == terms(text, max_terms=5)
