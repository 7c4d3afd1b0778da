"""Hashtags, @mentions and content terms from post text.

Unicode-aware: ``#東京``, ``#café`` and ``#हिंदी`` are hashtags (combining marks of the common
scripts count as part of a word); the full-width number sign and at sign (U+FF03, U+FF20) are
accepted. Topics are NFKC-normalised and case-folded, so ``#United``, ``#UNITED`` and ``#united``
written in full-width letters are one topic, ``#united``. URLs and e-mail addresses are removed
before anything is extracted. A hashtag needs at least one letter (``#1`` is not one, as on
Twitter); a mention is not preceded by a word character (``a@b.com`` is an address).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

# Word characters plus the combining marks and joiners that \w misses in Latin, Cyrillic, Hebrew,
# Arabic, the Indic scripts (U+0900-U+0DFF) and Thai.
_W = (
    r"\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    r"\u0900-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u200c\u200d"
)
_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+", re.IGNORECASE)
# \uff03 / \uff20 are the full-width # and @, \u2019 the typographic apostrophe.
_HASHTAG = re.compile(rf"(?<![{_W}#\uff03&])[#\uff03]([{_W}]+)")
_MENTION = re.compile(rf"(?<![{_W}@\uff20])[@\uff20]([{_W}]+)")
_ENTITY = re.compile(rf"[#\uff03@\uff20][{_W}]+")
_WORD = re.compile(rf"[^\W\d_][{_W}'\u2019]*")
_HAS_LETTER = re.compile(r"[^\W\d_]")

#: Words that are never terms, besides scikit-learn's English stop words.
EXTRA_STOP_WORDS = frozenset(
    {"rt", "amp", "via", "http", "https", "www", "co", "gt", "lt", "im", "dont", "u"}
)
MIN_TERM_CHARS = 3
#: Longer "words" (URLs without a scheme, base64, spam) are not terms: it also bounds window state.
MAX_TERM_CHARS = 40
DEFAULT_MAX_TERMS = 32


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | EXTRA_STOP_WORDS


def normalize_topic(name: str) -> str:
    """One spelling per topic: NFKC, case-folded, surrounding whitespace removed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


_URL_HINT = re.compile(r"://|www\.|@", re.IGNORECASE)
_NAME = re.compile(rf"[{_W}]+")


@dataclass(frozen=True, slots=True)
class Extracted:
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    terms: tuple[str, ...]


def strip_urls(text: str) -> str:
    # The URL / e-mail pattern is costly on long words; most posts carry neither, so look first.
    return _URL.sub(" ", text) if _URL_HINT.search(text) else text


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _given(names: Iterable[str], marks: str) -> list[str]:
    """Names a source's entities listed, normalised; one that is not a single word is not a topic."""
    out = []
    for name in names:
        name = normalize_topic(name.lstrip(marks))
        if _NAME.fullmatch(name):
            out.append(name)
    return out


def _hashtags(clean: str, extra: Iterable[str]) -> tuple[str, ...]:
    found = [normalize_topic(m) for m in _HASHTAG.findall(clean)] if ("#" in clean or "\uff03" in clean) else []
    return _unique("#" + h for h in (*found, *_given(extra, "#\uff03")) if h and _HAS_LETTER.search(h))


def _mentions(clean: str, extra: Iterable[str]) -> tuple[str, ...]:
    found = [normalize_topic(m) for m in _MENTION.findall(clean)] if ("@" in clean or "\uff20" in clean) else []
    return _unique("@" + m for m in (*found, *_given(extra, "@\uff20")) if m)


def _terms(clean: str, max_terms: int) -> tuple[str, ...]:
    stop = stop_words()
    if "#" in clean or "@" in clean or "\uff03" in clean or "\uff20" in clean:
        clean = _ENTITY.sub(" ", clean)
    out: dict[str, None] = {}
    for raw in _WORD.findall(clean):
        if len(out) >= max_terms:
            break
        if raw.isascii():  # NFKC is the identity and casefold is lower() on ASCII
            word = raw.lower().strip("'")
        else:
            word = unicodedata.normalize("NFKC", raw).casefold().replace("\u2019", "'").strip("'")
        if not MIN_TERM_CHARS <= len(word) <= MAX_TERM_CHARS or word in stop or word.replace("'", "") in stop:
            continue
        out[word] = None
    return tuple(out)


def hashtags(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """``#``-prefixed hashtags of ``text`` (URLs removed), then any the source listed, de-duplicated."""
    return _hashtags(strip_urls(text), extra)


def mentions(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """``@``-prefixed mentions of ``text`` (URLs removed), then any the source listed, de-duplicated."""
    return _mentions(strip_urls(text), extra)


def terms(text: str, *, max_terms: int = DEFAULT_MAX_TERMS) -> tuple[str, ...]:
    """Content words for word clouds: no URLs, hashtags, mentions, stop words or short words."""
    return _terms(strip_urls(text), max_terms)


def extract(
    text: str, hashtags: Iterable[str] = (), mentions: Iterable[str] = (), *, max_terms: int = DEFAULT_MAX_TERMS
) -> Extracted:
    """Hashtags, mentions and terms of one text at once (its URLs are removed only once)."""
    clean = strip_urls(text)
    return Extracted(_hashtags(clean, hashtags), _mentions(clean, mentions), _terms(clean, max_terms))
