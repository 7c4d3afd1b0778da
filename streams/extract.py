"""Hashtags, @mentions and content terms from post text.

Unicode-aware: ``#東京``, ``#café`` and ``#हिंदी`` are hashtags (combining marks of the common
scripts count as part of a word); full-width ``＃`` / ``＠`` are accepted. Topics are NFKC-normalised
and case-folded, so ``#United``, ``#UNITED`` and ``＃ｕｎｉｔｅｄ`` are one topic, ``#united``.
URLs and e-mail addresses are removed before anything is extracted. A hashtag needs at least one letter (``#1`` is not
one, as on Twitter); a mention is not preceded by a word character (``a@b.com`` is an address).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

# Word characters plus the combining marks and joiners that \w misses in Latin, Cyrillic, Hebrew,
# Arabic, the Indic scripts (U+0900-U+0DFF) and Thai.
_W = (
    r"\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    r"\u0900-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u200c\u200d"
)
_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+", re.IGNORECASE)
_HASHTAG = re.compile(rf"(?<![{_W}#＃&])[#＃]([{_W}]+)")
_MENTION = re.compile(rf"(?<![{_W}@＠])[@＠]([{_W}]+)")
_ENTITY = re.compile(rf"[#＃@＠][{_W}]+")
_WORD = re.compile(rf"[^\W\d_][{_W}'’]*")
_HAS_LETTER = re.compile(r"[^\W\d_]")

#: Words that are never terms, besides scikit-learn's English stop words.
EXTRA_STOP_WORDS = frozenset({"rt", "amp", "via", "http", "https", "www", "co", "gt", "lt", "im", "dont", "u"})
MIN_TERM_CHARS = 3
DEFAULT_MAX_TERMS = 32


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | EXTRA_STOP_WORDS


def normalize_topic(name: str) -> str:
    """One spelling per topic: NFKC, case-folded, surrounding whitespace removed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def strip_urls(text: str) -> str:
    return _URL.sub(" ", text)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def hashtags(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """``#``-prefixed hashtags of ``text`` (URLs removed), then any the source listed, de-duplicated."""
    found = (normalize_topic(m) for m in _HASHTAG.findall(strip_urls(text)))
    given = (normalize_topic(h.lstrip("#＃")) for h in extra)
    return _unique("#" + h for h in (*found, *given) if h and _HAS_LETTER.search(h))


def mentions(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """``@``-prefixed mentions of ``text`` (URLs removed), then any the source listed, de-duplicated."""
    found = (normalize_topic(m) for m in _MENTION.findall(strip_urls(text)))
    given = (normalize_topic(h.lstrip("@＠")) for h in extra)
    return _unique("@" + m for m in (*found, *given) if m)


def terms(text: str, *, max_terms: int = DEFAULT_MAX_TERMS) -> tuple[str, ...]:
    """Content words for word clouds: no URLs, hashtags, mentions, stop words or short words."""
    stop = stop_words()
    out: dict[str, None] = {}
    for raw in _WORD.findall(_ENTITY.sub(" ", strip_urls(text))):
        word = unicodedata.normalize("NFKC", raw).casefold().replace("’", "'").strip("'")
        if len(word) < MIN_TERM_CHARS or word in stop or word.replace("'", "") in stop:
            continue
        out[word] = None
        if len(out) >= max_terms:
            break
    return tuple(out)
