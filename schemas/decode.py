"""The one decoder from raw input bytes to a canonical :class:`~schemas.records.Post`.

Accepted, one JSON object per message:

* **canonical** -- brandpulse's own Post (``schemas/jsonschema/post.schema.json``), recognised by
  its ``author`` object;
* **twitter_v1** -- a Twitter API v1.1 tweet object (REST, search or streaming), recognised by its
  ``user`` object;
* **twitter_v2** -- a Twitter API v2 response for one post: ``{"data": {...}, "includes": {...}}``.

Anything else raises :class:`PostRejected` with a :class:`~schemas.records.RejectReason` and a
human-readable detail. The decoder is strict where Faust's records are lenient: a string field
must be a string, a count must be a non-negative integer below 2**63, a boolean must be a boolean.
Fields it does not read are ignored, and it never recurses into them, so a hostile payload costs
one orjson parse (which itself refuses nesting deeper than 1,024).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from schemas.records import Author, Engagement, Kind, Post, Reference, RejectReason

#: Default cap on one message's size. The worker's setting overrides it.
DEFAULT_MAX_BYTES = 1_000_000

#: Posts must be dated within these years; anything else is a corrupt or hostile timestamp.
MIN_YEAR = 2000
MAX_YEAR = 2100

_INT64_MAX = 2**63 - 1

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}


class PostRejected(ValueError):  # no "Error" suffix: it is an outcome, not a bug ("the post was rejected")
    """A message that is not a post brandpulse can use."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------------------------
# Field readers: each names the path it reads in its error.


def _missing(path: str) -> PostRejected:
    return PostRejected(RejectReason.MISSING_FIELD, f"'{path}' is required")


def _invalid(path: str, expected: str, value: Any) -> PostRejected:
    return PostRejected(
        RejectReason.INVALID_FIELD, f"'{path}' must be {expected}, got {type(value).__name__}"
    )


def _obj(d: dict, key: str, path: str, *, required: bool = True) -> dict | None:
    v = d.get(key)
    if v is None:
        if required:
            raise _missing(path)
        return None
    if type(v) is not dict:
        raise _invalid(path, "an object", v)
    return v


def _str(d: dict, key: str, path: str, *, required: bool = True, nonempty: bool = False) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            raise _missing(path)
        return None
    if type(v) is not str:
        raise _invalid(path, "a string", v)
    if nonempty and not v:
        raise PostRejected(RejectReason.INVALID_FIELD, f"'{path}' must not be empty")
    return v


def _count(d: dict | None, key: str, path: str) -> int:
    """A non-negative 64-bit integer; absent or null means 0."""
    if d is None:
        return 0
    v = d.get(key)
    if v is None:
        return 0
    if type(v) is not int:
        # orjson turns integers beyond 64 bits into floats: they land here too.
        raise _invalid(path, "a non-negative integer", v)
    if v < 0 or v > _INT64_MAX:
        raise PostRejected(RejectReason.INVALID_FIELD, f"'{path}' must be in 0..2**63-1, got {v}")
    return v


def _engagement(d: dict | None, keys: tuple[str, str, str, str], prefix: str) -> Engagement:
    """Retweets, likes, replies and quotes, read from the format's own ``keys`` in that order."""
    retweets, likes, replies, quotes = (_count(d, k, prefix + k) for k in keys)
    return Engagement(retweets=retweets, likes=likes, replies=replies, quotes=quotes)


def _bool(d: dict | None, key: str, path: str) -> bool:
    if d is None:
        return False
    v = d.get(key)
    if v is None:
        return False
    if type(v) is not bool:
        raise _invalid(path, "a boolean", v)
    return v


def _id(d: dict, str_key: str, int_key: str | None, path: str, *, required: bool = True) -> str | None:
    """An id: the string form when present, else a non-negative 64-bit integer turned to text."""
    v = d.get(str_key)
    if v is not None:
        if type(v) is not str:
            raise _invalid(path, "a string", v)
        if not v:
            raise PostRejected(RejectReason.INVALID_FIELD, f"'{path}' must not be empty")
        return v
    if int_key is not None:
        n = d.get(int_key)
        if n is not None:
            if type(n) is not int or n < 0 or n > _INT64_MAX:
                raise _invalid(path.replace(str_key, int_key), "a non-negative 64-bit integer", n)
            return str(n)
    if required:
        raise _missing(path)
    return None


def _str_list(items: Any, item_key: str | None, path: str) -> tuple[str, ...]:
    """Names from an entity list: ``[{"text": "x"}, …]`` (item_key="text") or ``["x", …]``."""
    if items is None:
        return ()
    if type(items) is not list:
        raise _invalid(path, "a list", items)
    out: list[str] = []
    for i, item in enumerate(items):
        if item_key is None:
            v = item
        else:
            if type(item) is not dict:
                raise _invalid(f"{path}[{i}]", "an object", item)
            v = item.get(item_key)
        if type(v) is not str:
            raise _invalid(f"{path}[{i}]" + (f".{item_key}" if item_key else ""), "a string", v)
        out.append(v)
    return tuple(out)


def _check_year(dt: datetime, path: str) -> datetime:
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise PostRejected(
            RejectReason.INVALID_FIELD, f"'{path}' year {dt.year} is outside {MIN_YEAR}..{MAX_YEAR}"
        )
    return dt


def _utc(dt: datetime, path: str) -> datetime:
    """``dt`` (offset-aware) in UTC and within the accepted years."""
    try:
        utc = dt.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted past datetime's range by its offset
        raise PostRejected(
            RejectReason.INVALID_FIELD, f"'{path}' year {dt.year} is outside {MIN_YEAR}..{MAX_YEAR}"
        ) from None
    return _check_year(utc, path)


def _iso_time(value: str, path: str) -> datetime:
    """RFC 3339 / ISO 8601 with an explicit offset (``Z`` or ``+hh:mm``), returned in UTC."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise PostRejected(
            RejectReason.INVALID_FIELD, f"'{path}' is not an ISO 8601 timestamp: {value[:40]!r}"
        ) from None
    if dt.tzinfo is None:
        raise PostRejected(RejectReason.INVALID_FIELD, f"'{path}' must carry a UTC offset: {value[:40]!r}")
    return _utc(dt, path)


def _optional_time(d: dict, key: str, path: str, parse: Callable[[str, str], datetime]) -> datetime | None:
    """An optional time field: absent or null gives None; present, it must parse like a required one."""
    value = _str(d, key, path, required=False)
    return None if value is None else parse(value, path)


def _twitter_time(value: str, path: str) -> datetime:
    """Twitter v1.1's ``Sat Apr 25 16:19:03 +0000 2015``, parsed without the C locale's help."""
    parts = value.split(" ")
    try:
        if len(parts) != 6:
            raise ValueError
        _, mon, day, hms, offset, year = parts
        hh, mm, ss = hms.split(":")
        sign = 1 if offset[0] == "+" else -1 if offset[0] == "-" else 0
        if not sign or len(offset) != 5 or not (offset[1:].isascii() and offset[1:].isdigit()):
            raise ValueError
        if int(offset[3:5]) > 59:
            raise ValueError
        # timezone() refuses offsets of 24 hours or more.
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        dt = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=tz)
    except (ValueError, KeyError, IndexError):
        raise PostRejected(
            RejectReason.INVALID_FIELD, f"'{path}' is not a Twitter timestamp: {value[:40]!r}"
        ) from None
    return _utc(dt, path)


# --------------------------------------------------------------------------------------------
# canonical


def _canonical_author(d: dict, path: str) -> Author:
    return Author(
        id=_str(d, "id", f"{path}.id", nonempty=True),
        handle=_str(d, "handle", f"{path}.handle", nonempty=True),
        name=_str(d, "name", f"{path}.name", required=False),
        followers=_count(d, "followers", f"{path}.followers"),
        following=_count(d, "following", f"{path}.following"),
        listed=_count(d, "listed", f"{path}.listed"),
        statuses=_count(d, "statuses", f"{path}.statuses"),
        verified=_bool(d, "verified", f"{path}.verified"),
        location=_str(d, "location", f"{path}.location", required=False),
    )


_KINDS: frozenset[str] = frozenset(("original", "retweet", "reply", "quote"))


def _decode_canonical(d: dict) -> Post:
    kind = _str(d, "kind", "kind", required=False) or "original"
    if kind not in _KINDS:
        raise PostRejected(RejectReason.INVALID_FIELD, f"'kind' must be one of {sorted(_KINDS)}: {kind!r}")
    ref = None
    ref_d = _obj(d, "ref", "ref", required=False)
    if ref_d is not None:
        ref_author_d = _obj(ref_d, "author", "ref.author", required=False)
        ref = Reference(
            id=_str(ref_d, "id", "ref.id", nonempty=True),
            author_id=_str(ref_d, "author_id", "ref.author_id", required=False),
            author_handle=_str(ref_d, "author_handle", "ref.author_handle", required=False),
            author=_canonical_author(ref_author_d, "ref.author") if ref_author_d is not None else None,
            text=_str(ref_d, "text", "ref.text", required=False),
            created_at=_optional_time(ref_d, "created_at", "ref.created_at", _iso_time),
        )
    elif kind != "original":
        raise PostRejected(RejectReason.MISSING_FIELD, f"'ref' is required when kind is {kind!r}")
    eng = _obj(d, "engagement", "engagement", required=False)
    return Post(
        id=_str(d, "id", "id", nonempty=True),
        text=_str(d, "text", "text"),
        created_at=_iso_time(_str(d, "created_at", "created_at"), "created_at"),
        author=_canonical_author(_obj(d, "author", "author"), "author"),
        kind=kind,  # type: ignore[arg-type]
        ref=ref,
        hashtags=_str_list(d.get("hashtags"), None, "hashtags"),
        mentions=_str_list(d.get("mentions"), None, "mentions"),
        lang=_str(d, "lang", "lang", required=False),
        engagement=_engagement(eng, ("retweets", "likes", "replies", "quotes"), "engagement."),
        source="canonical",
    )


# --------------------------------------------------------------------------------------------
# Twitter API v1.1


def _v1_user(u: dict, path: str) -> Author:
    return Author(
        id=_id(u, "id_str", "id", f"{path}.id_str"),
        handle=_str(u, "screen_name", f"{path}.screen_name", nonempty=True),
        name=_str(u, "name", f"{path}.name", required=False),
        followers=_count(u, "followers_count", f"{path}.followers_count"),
        following=_count(u, "friends_count", f"{path}.friends_count"),
        listed=_count(u, "listed_count", f"{path}.listed_count"),
        statuses=_count(u, "statuses_count", f"{path}.statuses_count"),
        verified=_bool(u, "verified", f"{path}.verified"),
        location=_str(u, "location", f"{path}.location", required=False) or None,
    )


def _v1_text(d: dict, path: str) -> str:
    """The most complete text: ``extended_tweet.full_text`` > ``full_text`` > ``text``."""
    ext = _obj(d, "extended_tweet", f"{path}extended_tweet", required=False)
    if ext is not None:
        full = _str(ext, "full_text", f"{path}extended_tweet.full_text", required=False)
        if full is not None:
            return full
    full = _str(d, "full_text", f"{path}full_text", required=False)
    if full is not None:
        return full
    return _str(d, "text", f"{path}text")


def _v1_entities(d: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ext = d.get("extended_tweet")
    ents = ext.get("entities") if type(ext) is dict and ext.get("entities") is not None else None
    path = "extended_tweet.entities" if ents is not None else "entities"
    if ents is None:
        ents = d.get("entities")
    if ents is None:
        return (), ()
    if type(ents) is not dict:
        raise _invalid(path, "an object", ents)
    return (
        _str_list(ents.get("hashtags"), "text", f"{path}.hashtags"),
        _str_list(ents.get("user_mentions"), "screen_name", f"{path}.user_mentions"),
    )


def _v1_ref_status(s: dict, path: str) -> Reference:
    user = _obj(s, "user", f"{path}.user", required=False)
    author = _v1_user(user, f"{path}.user") if user is not None else None
    return Reference(
        id=_id(s, "id_str", "id", f"{path}.id_str"),
        author_id=author.id if author else None,
        author_handle=author.handle if author else None,
        author=author,
        text=_v1_text(s, f"{path}."),
        created_at=_optional_time(s, "created_at", f"{path}.created_at", _twitter_time),
    )


def _decode_twitter_v1(d: dict) -> Post:
    author = _v1_user(_obj(d, "user", "user"), "user")
    text = _v1_text(d, "")
    kind: Kind = "original"
    ref = None
    rt = _obj(d, "retweeted_status", "retweeted_status", required=False)
    qt = _obj(d, "quoted_status", "quoted_status", required=False)
    if rt is not None:
        kind = "retweet"
        ref = _v1_ref_status(rt, "retweeted_status")
        # A v1.1 retweet's own text is "RT @handle: " plus the original cut at 140 characters;
        # the original's full text scores the sentiment the retweeter passed on.
        if ref.text is not None and ref.author_handle is not None:
            text = f"RT @{ref.author_handle}: {ref.text}"
    elif qt is not None:
        kind = "quote"
        ref = _v1_ref_status(qt, "quoted_status")
    else:
        reply_to = _id(d, "in_reply_to_status_id_str", "in_reply_to_status_id",
                       "in_reply_to_status_id_str", required=False)
        if reply_to is not None:
            kind = "reply"
            ref = Reference(
                id=reply_to,
                author_id=_id(d, "in_reply_to_user_id_str", "in_reply_to_user_id",
                              "in_reply_to_user_id_str", required=False),
                author_handle=_str(d, "in_reply_to_screen_name", "in_reply_to_screen_name",
                                   required=False),
            )
    hashtags, mentions = _v1_entities(d)
    return Post(
        id=_id(d, "id_str", "id", "id_str"),
        text=text,
        created_at=_twitter_time(_str(d, "created_at", "created_at"), "created_at"),
        author=author,
        kind=kind,
        ref=ref,
        hashtags=hashtags,
        mentions=mentions,
        lang=_str(d, "lang", "lang", required=False),
        engagement=_engagement(d, ("retweet_count", "favorite_count", "reply_count", "quote_count"), ""),
        source="twitter_v1",
    )


# --------------------------------------------------------------------------------------------
# Twitter API v2


def _v2_user(u: dict, path: str) -> Author:
    pm = _obj(u, "public_metrics", f"{path}.public_metrics", required=False)
    return Author(
        id=_str(u, "id", f"{path}.id", nonempty=True),
        handle=_str(u, "username", f"{path}.username", nonempty=True),
        name=_str(u, "name", f"{path}.name", required=False),
        followers=_count(pm, "followers_count", f"{path}.public_metrics.followers_count"),
        following=_count(pm, "following_count", f"{path}.public_metrics.following_count"),
        listed=_count(pm, "listed_count", f"{path}.public_metrics.listed_count"),
        statuses=_count(pm, "tweet_count", f"{path}.public_metrics.tweet_count"),
        verified=_bool(u, "verified", f"{path}.verified"),
        location=_str(u, "location", f"{path}.location", required=False) or None,
    )


def _v2_index(includes: dict | None, key: str, path: str) -> dict[str, dict]:
    if includes is None:
        return {}
    items = includes.get(key)
    if items is None:
        return {}
    if type(items) is not list:
        raise _invalid(f"includes.{key}", "a list", items)
    out: dict[str, dict] = {}
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise _invalid(f"includes.{key}[{i}]", "an object", item)
        out[_str(item, "id", f"includes.{key}[{i}].id", nonempty=True)] = item
    return out


_V2_REF_KINDS: dict[str, Kind] = {"retweeted": "retweet", "quoted": "quote", "replied_to": "reply"}


def _decode_twitter_v2(d: dict) -> Post:
    data = d["data"]
    if type(data) is list:
        if len(data) != 1:
            raise PostRejected(
                RejectReason.INVALID_FIELD,
                f"'data' holds {len(data)} posts; send one post per message (`brandpulse replay` splits)",
            )
        data = data[0]
    if type(data) is not dict:
        raise _invalid("data", "an object", data)
    includes = _obj(d, "includes", "includes", required=False)
    users = _v2_index(includes, "users", "includes.users")
    tweets = _v2_index(includes, "tweets", "includes.tweets")

    author_id = _str(data, "author_id", "data.author_id", nonempty=True)
    user = users.get(author_id)
    if user is None:
        raise PostRejected(
            RejectReason.MISSING_FIELD, f"'includes.users' has no user with id {author_id!r} (data.author_id)"
        )
    author = _v2_user(user, "includes.users[author]")

    kind: Kind = "original"
    ref = None
    refs = data.get("referenced_tweets")
    if refs is not None:
        if type(refs) is not list:
            raise _invalid("data.referenced_tweets", "a list", refs)
        # A retweet outranks a quote outranks a reply when a post carries several references.
        best: tuple[int, str, str] | None = None
        for i, r in enumerate(refs):
            if type(r) is not dict:
                raise _invalid(f"data.referenced_tweets[{i}]", "an object", r)
            rtype = _str(r, "type", f"data.referenced_tweets[{i}].type")
            rid = _str(r, "id", f"data.referenced_tweets[{i}].id", nonempty=True)
            if rtype not in _V2_REF_KINDS:
                raise PostRejected(
                    RejectReason.INVALID_FIELD,
                    f"'data.referenced_tweets[{i}].type' must be one of {sorted(_V2_REF_KINDS)}: {rtype!r}",
                )
            rank = ("retweeted", "quoted", "replied_to").index(rtype)
            if best is None or rank < best[0]:
                best = (rank, rtype, rid)
        if best is not None:
            _, rtype, rid = best
            kind = _V2_REF_KINDS[rtype]
            ref_tweet = tweets.get(rid)
            ref_author_id = None
            ref_text = None
            ref_created = None
            if ref_tweet is not None:
                ref_author_id = _str(ref_tweet, "author_id", "includes.tweets[ref].author_id", required=False)
                ref_text = _str(ref_tweet, "text", "includes.tweets[ref].text", required=False)
                ref_created = _optional_time(ref_tweet, "created_at", "includes.tweets[ref].created_at", _iso_time)
            if ref_author_id is None and kind == "reply":
                ref_author_id = _str(data, "in_reply_to_user_id", "data.in_reply_to_user_id", required=False)
            ref_user = users.get(ref_author_id) if ref_author_id else None
            ref_author = _v2_user(ref_user, "includes.users[ref]") if ref_user is not None else None
            ref = Reference(
                id=rid,
                author_id=ref_author_id,
                author_handle=ref_author.handle if ref_author else None,
                author=ref_author,
                text=ref_text,
                created_at=ref_created,
            )

    text = _str(data, "text", "data.text")
    note = _obj(data, "note_tweet", "data.note_tweet", required=False)
    if note is not None:  # posts over 280 characters carry their full text here
        text = _str(note, "text", "data.note_tweet.text", required=False) or text
    if kind == "retweet" and ref is not None and ref.text is not None and ref.author_handle is not None:
        # As for v1.1: a retweet's own text is cut short; the original's full text is what was passed on.
        text = f"RT @{ref.author_handle}: {ref.text}"

    ents = _obj(data, "entities", "data.entities", required=False)
    hashtags = _str_list(ents.get("hashtags"), "tag", "data.entities.hashtags") if ents else ()
    mentions = _str_list(ents.get("mentions"), "username", "data.entities.mentions") if ents else ()
    pm = _obj(data, "public_metrics", "data.public_metrics", required=False)
    return Post(
        id=_str(data, "id", "data.id", nonempty=True),
        text=text,
        created_at=_iso_time(_str(data, "created_at", "data.created_at"), "data.created_at"),
        author=author,
        kind=kind,
        ref=ref,
        hashtags=hashtags,
        mentions=mentions,
        lang=_str(data, "lang", "data.lang", required=False),
        engagement=_engagement(
            pm, ("retweet_count", "like_count", "reply_count", "quote_count"), "data.public_metrics."
        ),
        source="twitter_v2",
    )


# --------------------------------------------------------------------------------------------


def parse_json(raw: bytes | None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Bytes to a JSON value, with every failure mapped onto a reject reason."""
    if not raw:
        raise PostRejected(RejectReason.EMPTY, "the message has no value")
    if len(raw) > max_bytes:
        raise PostRejected(RejectReason.TOO_LARGE, f"{len(raw):,} bytes is over the {max_bytes:,}-byte limit")
    if raw[:3] == b"\xef\xbb\xbf":  # a UTF-8 byte-order mark: RFC 8259 lets a parser ignore it
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = str(exc)
        if "UTF-8" in msg or "surrogate" in msg:
            raise PostRejected(RejectReason.NOT_UTF8, f"not valid UTF-8: {msg[:120]}") from None
        if "recursion" in msg or "depth" in msg:
            raise PostRejected(RejectReason.TOO_DEEP, "nesting deeper than 1,024 levels") from None
        raise PostRejected(RejectReason.NOT_JSON, msg[:160]) from None


def decode_post(raw: bytes | None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Post:
    """Decode one message's value into a :class:`Post`, or raise :class:`PostRejected`."""
    d = parse_json(raw, max_bytes=max_bytes)
    if type(d) is not dict:
        raise PostRejected(RejectReason.NOT_OBJECT, f"expected a JSON object, got {_json_type(d)}")
    return decode_object(d)


def decode_object(d: dict) -> Post:
    """Decode an already-parsed JSON object (the format is recognised from its keys)."""
    # Our own format first, and each recognised by a key that holds an object (v2: or a list), so a
    # canonical post with an extra "data" or "user" property is still a canonical post.
    if type(d.get("author")) is dict:
        return _decode_canonical(d)
    if type(d.get("user")) is dict:
        return _decode_twitter_v1(d)
    if "data" in d:
        return _decode_twitter_v2(d)
    if "user" in d:
        return _decode_twitter_v1(d)  # names the bad field
    if "author" in d:
        return _decode_canonical(d)
    keys = ", ".join(sorted(map(str, d))[:8])
    raise PostRejected(
        RejectReason.UNKNOWN_FORMAT,
        "not a brandpulse post ('author'), a Twitter v1.1 tweet ('user') or a Twitter v2 response "
        f"('data'); keys: {keys or 'none'}",
    )


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return type(v).__name__


def _list(v: Any) -> list:
    return v if type(v) is list else []


def _by_id(items: Any) -> dict[str, dict]:
    return {x["id"]: x for x in _list(items) if type(x) is dict and type(x.get("id")) is str}


def split_document(doc: Any) -> list[Any]:
    """One message per post from a multi-post document, as a collector would send them.

    * a JSON array → its elements;
    * a Twitter v1.1 search response ``{"statuses": [...]}`` → the statuses;
    * a Twitter v2 response whose ``data`` is a list → one ``{"data": post, "includes": ...}`` per
      post, each carrying only the users and tweets that post refers to;
    * anything else → itself, unchanged (the decoder judges it).
    """
    if type(doc) is list:
        # Nested arrays are flattened without recursion: orjson accepts 1,024 levels, Python's
        # stack does not.
        out: list[Any] = []
        pending = doc[::-1]
        while pending:
            element = pending.pop()
            if type(element) is list:
                pending.extend(element[::-1])
            else:
                out.extend(split_document(element))
        return out
    if type(doc) is not dict:
        return [doc]
    statuses = doc.get("statuses")
    if type(statuses) is list and "search_metadata" in doc:
        return list(statuses)
    data = doc.get("data")
    if type(data) is list:
        # Only string ids are looked up: anything else is left for the decoder to reject (an id
        # that is a list or an object is not even hashable).
        includes = doc.get("includes") if type(doc.get("includes")) is dict else {}
        users = _by_id(includes.get("users"))
        tweets = _by_id(includes.get("tweets"))
        out = []
        for post in data:
            if type(post) is not dict:
                out.append({"data": post})
                continue
            refs = [r.get("id") for r in _list(post.get("referenced_tweets")) if type(r) is dict]
            ref_tweets = [tweets[r] for r in refs if type(r) is str and r in tweets]
            user_ids = {u for u in (post.get("author_id"), post.get("in_reply_to_user_id"),
                                    *(t.get("author_id") for t in ref_tweets)) if type(u) is str}
            one: dict[str, Any] = {"data": post}
            inc: dict[str, Any] = {}
            if any(u in users for u in user_ids):
                inc["users"] = [users[u] for u in users if u in user_ids]
            if ref_tweets:
                inc["tweets"] = ref_tweets
            if inc:
                one["includes"] = inc
            out.append(one)
        return out
    return [doc]
