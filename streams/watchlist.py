"""Watchlists: the brands a deployment watches, and the topics that stand for each.

A watchlist maps a brand to its hashtags (``#united``), @mentions (``@united``) and keywords
(``united airlines``), e.g. ``{"united-airlines": ["#united", "@united", "united airlines"]}``.
Keywords are matched in the post's text with URLs removed, NFKC-normalised and case-folded, on word
boundaries, with any run of white space between the words of a phrase. A post is about a brand when
any of the brand's topics is among the post's topics. A brand counts a post once, however many of
its topics the post carries.

Brand-aware sentiment: VADER's lexicon scores some brand names ("united" +1.8, "amazon" +0.7), so
every post about them would start out positive. For a post about a brand, the words of that brand's
names and keywords are taken out of the lexicon while the post is scored (``neutral_words``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from streams.extract import normalize_topic

BRAND_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_BRANDS = 500
MAX_TOPICS_PER_BRAND = 100
_WORDS = re.compile(r"\w+")
_ENTRY = re.compile(r"^[#@]?\w[\w\s'&.-]*$")


class WatchlistError(ValueError):
    """A watchlist that cannot be used; the message says which brand and entry."""


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    #: Every topic that stands for the brand: ``#tag``, ``@handle`` and keyword phrases.
    topics: frozenset[str]
    keywords: tuple[str, ...]
    #: The words of the brand's names and keywords, neutral when scoring a post about the brand.
    neutral_words: frozenset[str]


@dataclass(frozen=True)
class Watchlist:
    brands: tuple[Brand, ...] = ()
    _brands_by_topic: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _keyword_pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _neutral: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, mapping: object) -> Watchlist:
        """Validate ``{"brand": ["#tag", "@handle", "keyword phrase", …], …}``."""
        if not isinstance(mapping, Mapping):
            raise WatchlistError("a watchlist is a JSON object mapping each brand to a list of topics")
        if len(mapping) > MAX_BRANDS:
            raise WatchlistError(f"{len(mapping)} brands; at most {MAX_BRANDS} (each is a metric label)")
        brands = []
        for name, entries in mapping.items():
            if not isinstance(name, str) or not BRAND_NAME.match(name):
                raise WatchlistError(
                    f"brand {name!r}: names are 1-64 characters of lower-case letters, digits, '.', '_' or '-'"
                )
            if isinstance(entries, str) or not isinstance(entries, Sequence) or not entries:
                raise WatchlistError(f"brand {name!r}: give a non-empty list of hashtags, @mentions and keywords")
            if len(entries) > MAX_TOPICS_PER_BRAND:
                raise WatchlistError(f"brand {name!r}: {len(entries)} topics; at most {MAX_TOPICS_PER_BRAND}")
            topics: dict[str, None] = {}
            keywords: dict[str, None] = {}
            words: set[str] = set(_WORDS.findall(name.replace("-", " ").replace("_", " ")))
            for entry in entries:
                if not isinstance(entry, str) or not _ENTRY.match(entry.strip()):
                    raise WatchlistError(f"brand {name!r}: {entry!r} is not a #hashtag, an @mention or a keyword")
                topic = normalize_topic(entry)
                if topic[0] in "#@":
                    if not _WORDS.fullmatch(topic[1:]):
                        raise WatchlistError(f"brand {name!r}: {entry!r} must be one word after {topic[0]}")
                else:
                    topic = " ".join(topic.split())  # one space between the words of a phrase
                    keywords[topic] = None
                topics[topic] = None
                words.update(_WORDS.findall(topic))
            brands.append(Brand(name=name, topics=frozenset(topics), keywords=tuple(keywords),
                                neutral_words=frozenset(w.casefold() for w in words)))
        return cls.of(brands)

    @classmethod
    def of(cls, brands: Iterable[Brand]) -> Watchlist:
        brands = tuple(brands)
        by_topic: dict[str, list[str]] = {}
        for b in brands:
            for t in b.topics:
                by_topic.setdefault(t, []).append(b.name)
        all_keywords = sorted({k for b in brands for k in b.keywords}, key=len, reverse=True)
        pattern = None
        if all_keywords:
            alternatives = "|".join(r"\s+".join(map(re.escape, k.split())) for k in all_keywords)
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        return cls(
            brands=brands,
            _brands_by_topic={t: tuple(names) for t, names in by_topic.items()},
            _keyword_pattern=pattern,
            _neutral={b.name: b.neutral_words for b in brands},
        )

    def __bool__(self) -> bool:
        return bool(self.brands)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.brands)

    def keywords_in(self, clean_text: str) -> tuple[str, ...]:
        """Watched keywords in a text whose URLs are already removed, in order of appearance."""
        if self._keyword_pattern is None:
            return ()
        found = self._keyword_pattern.findall(normalize_topic(clean_text))
        return tuple(dict.fromkeys(" ".join(k.split()) for k in found))

    def brands_of(self, topics: Iterable[str]) -> tuple[str, ...]:
        """The brands any of ``topics`` stands for, each once, in watchlist order."""
        hit = {name for t in topics for name in self._brands_by_topic.get(t, ())}
        return tuple(b.name for b in self.brands if b.name in hit)

    def neutral_words(self, brands: Iterable[str]) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for name in brands:
            out |= self._neutral[name]
        return out
