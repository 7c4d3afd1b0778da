"""The one decoder, ``schemas.decode``: every input format, every rejection, the real samples.

Plain synchronous tests: no broker, no Faust. Inputs are hand-made dicts encoded with orjson, the
fixtures in ``tests/fixtures`` and, when present, the real tweets in ``../shared/data/tweets``.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.decode import (
    DEFAULT_MAX_BYTES,
    MAX_YEAR,
    MIN_YEAR,
    PostRejected,
    decode_object,
    decode_post,
    split_document,
)
from schemas.records import Author, Engagement, Post, Reference, RejectReason

INT64_MAX = 2**63 - 1
KINDS = {"original", "retweet", "reply", "quote"}
#: The reasons the decoder gives; PROCESSING_ERROR (posts that did decode), LATE (trend windows) and FUTURE (the
#: ingest agent's clock check) are the worker's.
DECODER_REASONS = set(RejectReason) - {RejectReason.PROCESSING_ERROR, RejectReason.LATE, RejectReason.FUTURE}


# --------------------------------------------------------------------------------------------
# Builders: a minimal valid object of each format; keyword arguments replace top-level keys.


def encode(obj: Any) -> bytes:
    return orjson.dumps(obj)


def rejection(raw: bytes | None, **kwargs: Any) -> PostRejected:
    """The :class:`PostRejected` that decoding ``raw`` raises (the test fails if it decodes)."""
    with pytest.raises(PostRejected) as info:
        decode_post(raw, **kwargs)
    return info.value


def canonical(**overrides: Any) -> dict[str, Any]:
    post = {
        "id": "p-1",
        "text": "hello #world",
        "created_at": "2024-05-01T12:00:00Z",
        "author": {"id": "u-1", "handle": "alice"},
    }
    post.update(overrides)
    return post


def v1_user(**overrides: Any) -> dict[str, Any]:
    user = {
        "id": 11,
        "id_str": "11",
        "screen_name": "alice",
        "name": "Alice",
        "followers_count": 10,
        "friends_count": 20,
        "listed_count": 3,
        "statuses_count": 400,
        "verified": False,
        "location": "Oslo",
    }
    user.update(overrides)
    return user


def v1_tweet(**overrides: Any) -> dict[str, Any]:
    tweet = {
        "id": 101,
        "id_str": "101",
        "created_at": "Sat Apr 25 16:19:03 +0000 2015",
        "text": "plain text",
        "user": v1_user(),
        "entities": {"hashtags": [], "user_mentions": [], "urls": []},
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None,
        "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "lang": "en",
        "retweet_count": 0,
        "favorite_count": 0,
    }
    tweet.update(overrides)
    return tweet


def v2_user(uid: str, username: str, **overrides: Any) -> dict[str, Any]:
    user = {
        "id": uid,
        "username": username,
        "name": username.title(),
        "public_metrics": {"followers_count": 1, "following_count": 2, "tweet_count": 3, "listed_count": 4},
    }
    user.update(overrides)
    return user


def v2_post(**overrides: Any) -> dict[str, Any]:
    post = {"id": "900", "author_id": "1", "created_at": "2023-03-14T09:26:53.000Z", "text": "v2 text"}
    post.update(overrides)
    return post


def v2_doc(data: Any = None, users: list[dict] | None = None, tweets: list[dict] | None = None) -> dict:
    doc: dict[str, Any] = {"data": v2_post() if data is None else data}
    includes: dict[str, Any] = {"users": [v2_user("1", "alice")] if users is None else users}
    if tweets is not None:
        includes["tweets"] = tweets
    doc["includes"] = includes
    return doc


def with_user(**fields: Any) -> dict[str, Any]:
    """A v1.1 tweet whose user has ``fields`` replaced."""
    return v1_tweet(user=v1_user(**fields))


def with_author(**fields: Any) -> dict[str, Any]:
    """A canonical post whose author has ``fields`` replaced."""
    return canonical(author={"id": "u-1", "handle": "alice", **fields})


# --------------------------------------------------------------------------------------------
# canonical


def test_canonical_post_decodes_every_field_it_carries() -> None:
    raw = encode(
        {
            "id": "c-1",
            "text": "The new #AcmePhone is great @AcmeSupport",
            "created_at": "2024-05-01T12:00:00Z",
            "author": {
                "id": "u-1",
                "handle": "maria",
                "name": "Maria",
                "followers": 1200,
                "following": 180,
                "listed": 4,
                "statuses": 3400,
                "verified": True,
                "location": "Porto",
            },
            "kind": "original",
            "hashtags": ["AcmePhone"],
            "mentions": ["AcmeSupport"],
            "lang": "en",
            "engagement": {"retweets": 5, "likes": 40, "replies": 2, "quotes": 1},
        }
    )
    assert decode_post(raw) == Post(
        id="c-1",
        text="The new #AcmePhone is great @AcmeSupport",
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        author=Author(
            id="u-1",
            handle="maria",
            name="Maria",
            followers=1200,
            following=180,
            listed=4,
            statuses=3400,
            verified=True,
            location="Porto",
        ),
        kind="original",
        ref=None,
        hashtags=("AcmePhone",),
        mentions=("AcmeSupport",),
        lang="en",
        engagement=Engagement(retweets=5, likes=40, replies=2, quotes=1),
        source="canonical",
    )


def test_canonical_post_with_only_required_fields_gets_defaults() -> None:
    post = decode_post(encode(canonical()))
    assert post.kind == "original"
    assert post.ref is None
    assert post.hashtags == () and post.mentions == ()
    assert post.lang is None
    assert post.engagement == Engagement(0, 0, 0, 0)
    assert post.author == Author(id="u-1", handle="alice")
    assert post.source == "canonical"


def test_canonical_null_optional_fields_mean_absent() -> None:
    post = decode_post(
        encode(
            canonical(
                kind=None,
                ref=None,
                lang=None,
                hashtags=None,
                engagement={"likes": None},
                author={"id": "u-1", "handle": "alice", "followers": None, "verified": None, "name": None},
            )
        )
    )
    assert post.kind == "original"
    assert post.engagement.likes == 0
    assert post.author.followers == 0 and post.author.verified is False and post.author.name is None


@pytest.mark.parametrize("kind", ["retweet", "reply", "quote"])
def test_canonical_retweet_reply_and_quote_keep_their_reference(kind: str) -> None:
    post = decode_post(
        encode(
            canonical(
                kind=kind,
                ref={
                    "id": "p-0",
                    "author_id": "u-0",
                    "author_handle": "bob",
                    "author": {"id": "u-0", "handle": "bob", "followers": 99, "verified": True},
                    "text": "the original",
                },
            )
        )
    )
    assert post.kind == kind
    assert post.ref == Reference(
        id="p-0",
        author_id="u-0",
        author_handle="bob",
        author=Author(id="u-0", handle="bob", followers=99, verified=True),
        text="the original",
    )


def test_canonical_reference_needs_only_an_id() -> None:
    post = decode_post(encode(canonical(kind="quote", ref={"id": "p-0"})))
    assert post.ref == Reference(id="p-0")


def test_canonical_original_may_still_carry_a_reference() -> None:
    post = decode_post(encode(canonical(ref={"id": "p-0"})))
    assert post.kind == "original"
    assert post.ref == Reference(id="p-0")


def test_a_referenced_posts_time_is_kept_when_the_source_gives_it() -> None:
    canonical_post = decode_post(encode(canonical(kind="retweet", ref={"id": "p-0", "created_at": "2024-05-01T08:00:00Z"})))
    assert canonical_post.ref.created_at == datetime(2024, 5, 1, 8, tzinfo=UTC)
    v2 = decode_post(encode(v2_doc(
        data=v2_post(referenced_tweets=[{"type": "retweeted", "id": "500"}]),
        tweets=[{"id": "500", "author_id": "1", "text": "t", "created_at": "2023-03-13T09:00:00.000Z"}])))
    assert v2.ref.created_at == datetime(2023, 3, 13, 9, tzinfo=UTC)


def test_a_referenced_posts_malformed_time_is_rejected_naming_the_field() -> None:
    with pytest.raises(PostRejected) as exc:
        decode_post(encode(canonical(kind="retweet", ref={"id": "p-0", "created_at": "yesterday"})))
    assert exc.value.reason is RejectReason.INVALID_FIELD and "ref.created_at" in exc.value.detail


def test_canonical_text_may_be_empty() -> None:
    assert decode_post(encode(canonical(text=""))).text == ""


def test_canonical_ignores_fields_it_does_not_read() -> None:
    post = decode_post(encode(canonical(extra={"anything": [1, 2, {"x": None}]}, source="twitter_v1")))
    assert post.source == "canonical"
    assert post.id == "p-1"


def test_canonical_counts_accept_the_full_signed_64_bit_range() -> None:
    post = decode_post(encode(with_author(followers=INT64_MAX)))
    assert post.author.followers == INT64_MAX


# --------------------------------------------------------------------------------------------
# Twitter v1.1


def test_v1_original_tweet_decodes_author_entities_counts_and_time() -> None:
    tweet = v1_tweet(
        text="Launch day for #AcmePhone with @AcmeSupport",
        entities={
            "hashtags": [{"text": "AcmePhone", "indices": [15, 25]}],
            "user_mentions": [{"screen_name": "AcmeSupport", "id_str": "7003", "indices": [31, 43]}],
        },
        retweet_count=7,
        favorite_count=21,
        reply_count=2,
        quote_count=1,
        lang="en",
    )
    assert decode_post(encode(tweet)) == Post(
        id="101",
        text="Launch day for #AcmePhone with @AcmeSupport",
        created_at=datetime(2015, 4, 25, 16, 19, 3, tzinfo=UTC),
        author=Author(
            id="11",
            handle="alice",
            name="Alice",
            followers=10,
            following=20,
            listed=3,
            statuses=400,
            verified=False,
            location="Oslo",
        ),
        kind="original",
        ref=None,
        hashtags=("AcmePhone",),
        mentions=("AcmeSupport",),
        lang="en",
        engagement=Engagement(retweets=7, likes=21, replies=2, quotes=1),
        source="twitter_v1",
    )


def test_v1_ids_fall_back_to_the_integer_form_when_the_string_is_absent() -> None:
    tweet = v1_tweet(user={"id": 12345678901234567, "screen_name": "alice"})
    del tweet["id_str"]
    tweet["id"] = 972472958596866048
    post = decode_post(encode(tweet))
    assert post.id == "972472958596866048"
    assert post.author.id == "12345678901234567"


def test_v1_string_id_wins_over_the_integer_id() -> None:
    # The integer can lose precision in some JSON writers; the string never does.
    post = decode_post(encode(v1_tweet(id=972472958596866000, id_str="972472958596866048")))
    assert post.id == "972472958596866048"


def test_v1_empty_location_becomes_none() -> None:
    assert decode_post(encode(with_user(location=""))).author.location is None


def test_v1_tweet_without_entities_has_no_hashtags_or_mentions() -> None:
    tweet = v1_tweet(text="#inline @names are left to the enrichment step")
    del tweet["entities"]
    post = decode_post(encode(tweet))
    assert post.hashtags == ()
    assert post.mentions == ()


def test_v1_retweet_takes_full_text_of_the_original() -> None:
    original_text = (
        "Our new #AcmePhone ships today with a camera we are really proud of, and a battery "
        "that lasts two full days. Tell us what you think!"
    )
    original = v1_tweet(
        id=555,
        id_str="555",
        text=original_text[:120] + "… https://t.co/abc",
        truncated=True,
        extended_tweet={"full_text": original_text},
        user=v1_user(
            id=7003,
            id_str="7003",
            screen_name="AcmeSupport",
            name="Acme Support",
            followers_count=98000,
            verified=True,
            location="",
        ),
    )
    retweet = v1_tweet(
        text="RT @AcmeSupport: Our new #AcmePhone ships today with a camera we are really proud of, and a b…",
        retweeted_status=original,
        retweet_count=41,
    )
    post = decode_post(encode(retweet))
    assert post.kind == "retweet"
    assert post.text == f"RT @AcmeSupport: {original_text}"
    assert post.author.handle == "alice"  # the retweeter
    assert post.ref == Reference(
        id="555",
        author_id="7003",
        author_handle="AcmeSupport",
        author=Author(
            id="7003",
            handle="AcmeSupport",
            name="Acme Support",
            followers=98000,
            following=20,
            listed=3,
            statuses=400,
            verified=True,
            location=None,
        ),
        text=original_text,
        created_at=datetime(2015, 4, 25, 16, 19, 3, tzinfo=UTC),  # the original's own time
    )
    assert post.engagement.retweets == 41


def test_v1_retweet_of_an_original_without_user_keeps_its_own_text() -> None:
    original = {"id_str": "555", "text": "the original"}
    post = decode_post(encode(v1_tweet(text="RT @someone: the orig…", retweeted_status=original)))
    assert post.kind == "retweet"
    assert post.text == "RT @someone: the orig…"
    assert post.ref == Reference(id="555", text="the original")


def test_v1_quote_keeps_its_own_text_and_refers_to_the_quoted_tweet() -> None:
    quoted = v1_tweet(id_str="777", text="Firmware 2.1 is out", user=v1_user(id_str="9", screen_name="acme"))
    post = decode_post(encode(v1_tweet(text="Finally! https://t.co/q", quoted_status=quoted)))
    assert post.kind == "quote"
    assert post.text == "Finally! https://t.co/q"
    assert post.ref is not None
    assert (post.ref.id, post.ref.author_id, post.ref.author_handle, post.ref.text) == (
        "777",
        "9",
        "acme",
        "Firmware 2.1 is out",
    )


def test_v1_retweet_of_a_quote_is_a_retweet() -> None:
    quoted = v1_tweet(id_str="777", text="quoted")
    original = v1_tweet(id_str="555", text="original", user=v1_user(screen_name="bob"), quoted_status=quoted)
    post = decode_post(encode(v1_tweet(retweeted_status=original, quoted_status=quoted)))
    assert post.kind == "retweet"
    assert post.ref is not None and post.ref.id == "555"


def test_v1_reply_refers_to_the_replied_to_tweet_and_user() -> None:
    post = decode_post(
        encode(
            v1_tweet(
                text="@bob agreed",
                in_reply_to_status_id=4444,
                in_reply_to_status_id_str="4444",
                in_reply_to_user_id=22,
                in_reply_to_user_id_str="22",
                in_reply_to_screen_name="bob",
            )
        )
    )
    assert post.kind == "reply"
    assert post.ref == Reference(id="4444", author_id="22", author_handle="bob", author=None, text=None)


def test_v1_reply_with_only_integer_ids_turns_them_to_text() -> None:
    post = decode_post(encode(v1_tweet(in_reply_to_status_id=4444, in_reply_to_user_id=22)))
    assert post.kind == "reply"
    assert post.ref == Reference(id="4444", author_id="22")


def test_v1_quote_that_is_also_a_reply_is_a_quote() -> None:
    quoted = v1_tweet(id_str="777", text="quoted")
    post = decode_post(encode(v1_tweet(quoted_status=quoted, in_reply_to_status_id_str="4444")))
    assert post.kind == "quote"
    assert post.ref is not None and post.ref.id == "777"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"text": "short…", "full_text": "full", "extended_tweet": {"full_text": "extended"}}, "extended"),
        ({"text": "short…", "full_text": "full"}, "full"),
        ({"text": "short…"}, "short…"),
        ({"text": "short…", "extended_tweet": {"entities": {}}}, "short…"),
        ({"full_text": "full only"}, "full only"),
    ],
    ids=["extended_tweet", "full_text", "text", "extended_tweet_without_text", "full_text_without_text"],
)
def test_v1_text_prefers_extended_tweet_then_full_text_then_text(fields: dict, expected: str) -> None:
    tweet = v1_tweet()
    del tweet["text"]
    tweet.update(fields)
    assert decode_post(encode(tweet)).text == expected


def test_v1_entities_of_the_extended_tweet_win_over_the_truncated_ones() -> None:
    tweet = v1_tweet(
        entities={"hashtags": [], "user_mentions": []},
        extended_tweet={
            "full_text": "long text #Quran @someone",
            "entities": {"hashtags": [{"text": "Quran"}], "user_mentions": [{"screen_name": "someone"}]},
        },
    )
    post = decode_post(encode(tweet))
    assert post.hashtags == ("Quran",)
    assert post.mentions == ("someone",)


@pytest.mark.parametrize(
    ("created_at", "expected_utc"),
    [
        ("Sat Apr 25 16:19:03 +0000 2015", datetime(2015, 4, 25, 16, 19, 3, tzinfo=UTC)),
        ("Sat Apr 25 16:19:03 +0200 2015", datetime(2015, 4, 25, 14, 19, 3, tzinfo=UTC)),
        ("Sat Apr 25 16:19:03 -0530 2015", datetime(2015, 4, 25, 21, 49, 3, tzinfo=UTC)),
        ("Sat Apr 25 01:00:00 +0200 2015", datetime(2015, 4, 24, 23, 0, 0, tzinfo=UTC)),
        ("Thu Dec 31 23:30:00 -0100 2099", datetime(2100, 1, 1, 0, 30, 0, tzinfo=UTC)),
    ],
)
def test_v1_created_at_with_an_offset_converts_to_utc(created_at: str, expected_utc: datetime) -> None:
    post = decode_post(encode(v1_tweet(created_at=created_at)))
    assert post.created_at == expected_utc
    assert post.created_at.utcoffset() == timedelta(0)
    assert post.created_at.tzinfo is UTC


# --------------------------------------------------------------------------------------------
# Twitter v2


def test_v2_post_takes_its_author_from_includes_and_its_counts_from_public_metrics() -> None:
    doc = v2_doc(
        data=v2_post(
            id="1635591020158337024",
            author_id="7001",
            text="Loving my #AcmePhone, thanks @AcmeSupport",
            lang="en",
            entities={
                "hashtags": [{"start": 10, "end": 20, "tag": "AcmePhone"}],
                "mentions": [{"start": 29, "end": 41, "username": "AcmeSupport", "id": "7003"}],
            },
            public_metrics={"retweet_count": 3, "reply_count": 1, "like_count": 27, "quote_count": 4},
        ),
        users=[
            v2_user("7003", "AcmeSupport"),
            {
                "id": "7001",
                "username": "AcmeFan",
                "name": "Acme Fan",
                "location": "Lisbon",
                "verified": True,
                "public_metrics": {
                    "followers_count": 1500,
                    "following_count": 300,
                    "tweet_count": 4200,
                    "listed_count": 12,
                },
            },
        ],
    )
    assert decode_post(encode(doc)) == Post(
        id="1635591020158337024",
        text="Loving my #AcmePhone, thanks @AcmeSupport",
        created_at=datetime(2023, 3, 14, 9, 26, 53, tzinfo=UTC),
        author=Author(
            id="7001",
            handle="AcmeFan",
            name="Acme Fan",
            followers=1500,
            following=300,
            listed=12,
            statuses=4200,
            verified=True,
            location="Lisbon",
        ),
        kind="original",
        ref=None,
        hashtags=("AcmePhone",),
        mentions=("AcmeSupport",),
        lang="en",
        engagement=Engagement(retweets=3, likes=27, replies=1, quotes=4),
        source="twitter_v2",
    )


def test_v2_author_without_public_metrics_has_zero_counts() -> None:
    post = decode_post(encode(v2_doc(users=[{"id": "1", "username": "alice"}])))
    assert post.author == Author(id="1", handle="alice")


def test_v2_note_tweet_supplies_the_full_text_of_a_long_post() -> None:
    long_text = "word " * 100
    doc = v2_doc(data=v2_post(text="word word…", note_tweet={"text": long_text}))
    assert decode_post(encode(doc)).text == long_text


def test_v2_note_tweet_without_text_keeps_the_post_text() -> None:
    doc = v2_doc(data=v2_post(text="short", note_tweet={"entities": {}}))
    assert decode_post(encode(doc)).text == "short"


@pytest.mark.parametrize(
    ("ref_type", "kind"), [("retweeted", "retweet"), ("quoted", "quote"), ("replied_to", "reply")]
)
def test_v2_referenced_tweet_sets_the_kind_and_the_reference(ref_type: str, kind: str) -> None:
    doc = v2_doc(
        data=v2_post(referenced_tweets=[{"type": ref_type, "id": "500"}]),
        users=[v2_user("1", "alice"), v2_user("2", "bob", verified=True)],
        tweets=[{"id": "500", "author_id": "2", "text": "bob's post"}],
    )
    post = decode_post(encode(doc))
    assert post.kind == kind
    assert post.ref == Reference(
        id="500",
        author_id="2",
        author_handle="bob",
        author=Author(
            id="2", handle="bob", name="Bob", followers=1, following=2, listed=4, statuses=3, verified=True
        ),
        text="bob's post",
    )
    assert post.author.handle == "alice"


def test_v2_reply_to_a_tweet_not_included_takes_its_author_from_in_reply_to_user_id() -> None:
    doc = v2_doc(
        data=v2_post(in_reply_to_user_id="2", referenced_tweets=[{"type": "replied_to", "id": "501"}]),
        users=[v2_user("1", "alice"), v2_user("2", "bob")],
    )
    post = decode_post(encode(doc))
    assert post.kind == "reply"
    assert post.ref is not None
    assert (post.ref.id, post.ref.author_id, post.ref.author_handle, post.ref.text) == (
        "501",
        "2",
        "bob",
        None,
    )


def test_v2_reference_to_a_tweet_and_user_not_included_keeps_only_the_id() -> None:
    doc = v2_doc(data=v2_post(referenced_tweets=[{"type": "quoted", "id": "502"}]))
    assert decode_post(encode(doc)).ref == Reference(id="502")


@pytest.mark.parametrize(
    ("types", "kind"),
    [
        (["replied_to", "quoted"], "quote"),
        (["quoted", "retweeted"], "retweet"),
        (["replied_to", "retweeted", "quoted"], "retweet"),
    ],
)
def test_v2_retweet_outranks_quote_outranks_reply(types: list[str], kind: str) -> None:
    refs = [{"type": t, "id": f"ref-{t}"} for t in types]
    post = decode_post(encode(v2_doc(data=v2_post(referenced_tweets=refs))))
    winner = {"retweet": "retweeted", "quote": "quoted"}[kind]
    assert post.kind == kind
    assert post.ref is not None and post.ref.id == f"ref-{winner}"


def test_v2_empty_referenced_tweets_is_an_original() -> None:
    post = decode_post(encode(v2_doc(data=v2_post(referenced_tweets=[]))))
    assert post.kind == "original" and post.ref is None


def test_v2_data_as_a_one_element_list_is_accepted() -> None:
    as_object = decode_post(encode(v2_doc()))
    as_list = decode_post(encode(v2_doc(data=[v2_post()])))
    assert as_list == as_object


def test_v2_created_at_with_an_ist_offset_converts_to_utc() -> None:
    post = decode_post(encode(v2_doc(data=v2_post(created_at="2023-03-14T09:26:53+05:30"))))
    assert post.created_at == datetime(2023, 3, 14, 3, 56, 53, tzinfo=UTC)
    assert post.created_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("created_at", "expected_utc"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("2024-05-01T12:00:00.250+00:00", datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)),
        ("2024-05-01T12:00:00+05:30", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
        ("2024-05-01T12:00:00-04:00", datetime(2024, 5, 1, 16, 0, tzinfo=UTC)),
        ("2024-05-01 12:00:00+01:00", datetime(2024, 5, 1, 11, 0, tzinfo=UTC)),
        ("1999-12-31T23:30:00-01:00", datetime(2000, 1, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_canonical_created_at_is_converted_to_utc(created_at: str, expected_utc: datetime) -> None:
    post = decode_post(encode(canonical(created_at=created_at)))
    assert post.created_at == expected_utc
    assert post.created_at.tzinfo is UTC


# --------------------------------------------------------------------------------------------
# Rejections: one hand-made input per reason, and the field path named in the detail.

R = RejectReason
DEEP_ARRAY = b"[" * 2000 + b"]" * 2000
DEEP_OBJECT = b'{"a":' * 2000 + b"1" + b"}" * 2000

REJECTIONS = [
    # empty
    pytest.param(b"", {}, R.EMPTY, "no value", id="empty-bytes"),
    pytest.param(None, {}, R.EMPTY, "no value", id="empty-none"),
    # too_large
    pytest.param(
        encode(canonical()), {"max_bytes": 16}, R.TOO_LARGE, "over the 16-byte limit", id="too-large"
    ),
    # not_utf8
    pytest.param(b'{"a": "\xff"}', {}, R.NOT_UTF8, "UTF-8", id="utf8-ff-byte"),
    pytest.param(
        b'{"id": "1", "text": "caf\xe9", "created_at": "2024-05-01T12:00:00Z", "author": {}}',
        {},
        R.NOT_UTF8,
        "UTF-8",
        id="utf8-latin1-text",
    ),
    pytest.param(b'"\xe2\x82"', {}, R.NOT_UTF8, "UTF-8", id="utf8-truncated-sequence"),
    pytest.param(b'{"text": "\\ud800"}', {}, R.NOT_UTF8, "surrogate", id="utf8-lone-surrogate-escape"),
    # not_json
    pytest.param(b"not json", {}, R.NOT_JSON, "", id="json-bare-words"),
    pytest.param(b'{"id": "1"', {}, R.NOT_JSON, "end of data", id="json-truncated"),
    pytest.param(b"{'id': '1'}", {}, R.NOT_JSON, "", id="json-single-quotes"),
    pytest.param(b'{"a": NaN}', {}, R.NOT_JSON, "", id="json-nan"),
    pytest.param(b'{"a": 1} {"b": 2}', {}, R.NOT_JSON, "after document", id="json-two-documents"),
    pytest.param(b"   \n", {}, R.NOT_JSON, "empty", id="json-whitespace-only"),
    pytest.param(b"{" * 2000, {}, R.NOT_JSON, "", id="json-braces-without-keys"),
    # too_deep
    pytest.param(DEEP_ARRAY, {}, R.TOO_DEEP, "1,024", id="deep-arrays"),
    pytest.param(b"[" * 2000, {}, R.TOO_DEEP, "1,024", id="deep-arrays-unterminated"),
    pytest.param(DEEP_OBJECT, {}, R.TOO_DEEP, "1,024", id="deep-objects"),
    pytest.param(
        encode(canonical())[:-1] + b', "extra": ' + DEEP_ARRAY + b"}",
        {},
        R.TOO_DEEP,
        "1,024",
        id="deep-in-an-unread-field",
    ),
    # not_object
    pytest.param(b"[]", {}, R.NOT_OBJECT, "an array", id="array"),
    pytest.param(encode([canonical()]), {}, R.NOT_OBJECT, "an array", id="array-of-a-post"),
    pytest.param(b"42", {}, R.NOT_OBJECT, "a number", id="integer"),
    pytest.param(b"-1.5e3", {}, R.NOT_OBJECT, "a number", id="float"),
    pytest.param(b'"a post"', {}, R.NOT_OBJECT, "a string", id="string"),
    pytest.param(b"null", {}, R.NOT_OBJECT, "null", id="null"),
    pytest.param(b"true", {}, R.NOT_OBJECT, "a boolean", id="boolean"),
    # unknown_format
    pytest.param(b"{}", {}, R.UNKNOWN_FORMAT, "keys: none", id="empty-object"),
    pytest.param(
        encode({"text": "hi", "id": "1"}), {}, R.UNKNOWN_FORMAT, "keys: id, text", id="no-format-key"
    ),
    pytest.param(
        encode({"search_metadata": {}, "statuses": [v1_tweet()]}),
        {},
        R.UNKNOWN_FORMAT,
        "keys: search_metadata, statuses",
        id="whole-search-response",
    ),
    # missing_field: canonical
    pytest.param(
        encode({k: v for k, v in canonical().items() if k != "created_at"}),
        {},
        R.MISSING_FIELD,
        "'created_at' is required",
        id="canonical-no-created_at",
    ),
    pytest.param(
        encode({k: v for k, v in canonical().items() if k != "id"}),
        {},
        R.MISSING_FIELD,
        "'id' is required",
        id="canonical-no-id",
    ),
    pytest.param(
        encode({k: v for k, v in canonical().items() if k != "text"}),
        {},
        R.MISSING_FIELD,
        "'text' is required",
        id="canonical-no-text",
    ),
    pytest.param(encode(canonical(id=None)), {}, R.MISSING_FIELD, "'id' is required", id="canonical-null-id"),
    pytest.param(
        encode(canonical(author=None)),
        {},
        R.MISSING_FIELD,
        "'author' is required",
        id="canonical-null-author",
    ),
    pytest.param(
        encode(canonical(author={"id": "u-1"})),
        {},
        R.MISSING_FIELD,
        "'author.handle' is required",
        id="canonical-no-author-handle",
    ),
    pytest.param(
        encode(canonical(kind="reply")),
        {},
        R.MISSING_FIELD,
        "'ref' is required",
        id="canonical-reply-without-ref",
    ),
    pytest.param(
        encode(canonical(kind="quote", ref={"author_id": "u-0"})),
        {},
        R.MISSING_FIELD,
        "'ref.id' is required",
        id="canonical-ref-without-id",
    ),
    pytest.param(
        encode(canonical(kind="retweet", ref={"id": "p", "author": {"id": "u-0"}})),
        {},
        R.MISSING_FIELD,
        "'ref.author.handle' is required",
        id="canonical-ref-author-no-handle",
    ),
    # missing_field: v1.1
    pytest.param(
        encode({k: v for k, v in v1_tweet().items() if k != "created_at"}),
        {},
        R.MISSING_FIELD,
        "'created_at' is required",
        id="v1-no-created_at",
    ),
    pytest.param(
        encode({k: v for k, v in v1_tweet().items() if k not in ("id", "id_str")}),
        {},
        R.MISSING_FIELD,
        "'id_str' is required",
        id="v1-no-id",
    ),
    pytest.param(
        encode({k: v for k, v in v1_tweet().items() if k != "text"}),
        {},
        R.MISSING_FIELD,
        "'text' is required",
        id="v1-no-text",
    ),
    pytest.param(encode(v1_tweet(user=None)), {}, R.MISSING_FIELD, "'user' is required", id="v1-null-user"),
    pytest.param(
        encode(v1_tweet(user={"id_str": "11"})),
        {},
        R.MISSING_FIELD,
        "'user.screen_name' is required",
        id="v1-no-screen_name",
    ),
    pytest.param(
        encode(v1_tweet(user={"screen_name": "alice"})),
        {},
        R.MISSING_FIELD,
        "'user.id_str' is required",
        id="v1-no-user-id",
    ),
    pytest.param(
        encode(v1_tweet(retweeted_status={"text": "no id"})),
        {},
        R.MISSING_FIELD,
        "'retweeted_status.id_str' is required",
        id="v1-retweeted_status-no-id",
    ),
    pytest.param(
        encode(v1_tweet(quoted_status={"id_str": "5"})),
        {},
        R.MISSING_FIELD,
        "'quoted_status.text' is required",
        id="v1-quoted_status-no-text",
    ),
    # missing_field: v2
    pytest.param(
        encode(v2_doc(users=[v2_user("2", "bob")])),
        {},
        R.MISSING_FIELD,
        "'includes.users' has no user with id '1' (data.author_id)",
        id="v2-author-not-in-includes",
    ),
    pytest.param(encode({"data": v2_post()}), {}, R.MISSING_FIELD, "data.author_id", id="v2-no-includes"),
    pytest.param(
        encode(v2_doc(data={k: v for k, v in v2_post().items() if k != "author_id"})),
        {},
        R.MISSING_FIELD,
        "'data.author_id' is required",
        id="v2-no-author_id",
    ),
    pytest.param(
        encode(v2_doc(data={k: v for k, v in v2_post().items() if k != "created_at"})),
        {},
        R.MISSING_FIELD,
        "'data.created_at' is required",
        id="v2-no-created_at",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(referenced_tweets=[{"type": "quoted"}]))),
        {},
        R.MISSING_FIELD,
        "'data.referenced_tweets[0].id' is required",
        id="v2-referenced-tweet-without-id",
    ),
    # invalid_field: wrong types (canonical)
    pytest.param(
        encode(canonical(id=1)), {}, R.INVALID_FIELD, "'id' must be a string, got int", id="canonical-id-int"
    ),
    pytest.param(
        encode(canonical(id="")), {}, R.INVALID_FIELD, "'id' must not be empty", id="canonical-id-empty"
    ),
    pytest.param(
        encode(canonical(text=["hi"])),
        {},
        R.INVALID_FIELD,
        "'text' must be a string, got list",
        id="canonical-text-list",
    ),
    pytest.param(
        encode(canonical(author="alice")),
        {},
        R.INVALID_FIELD,
        "'author' must be an object, got str",
        id="canonical-author-string",
    ),
    pytest.param(
        encode(with_author(handle="")),
        {},
        R.INVALID_FIELD,
        "'author.handle' must not be empty",
        id="canonical-handle-empty",
    ),
    pytest.param(
        encode(with_author(followers="10")),
        {},
        R.INVALID_FIELD,
        "'author.followers' must be a non-negative integer, got str",
        id="followers-string",
    ),
    pytest.param(
        encode(with_author(followers=-1)),
        {},
        R.INVALID_FIELD,
        "'author.followers' must be in 0..2**63-1, got -1",
        id="followers-negative",
    ),
    pytest.param(
        encode(with_author(followers=1.0)),
        {},
        R.INVALID_FIELD,
        "'author.followers' must be a non-negative integer, got float",
        id="followers-float",
    ),
    pytest.param(
        encode(with_author(followers=True)),
        {},
        R.INVALID_FIELD,
        "'author.followers' must be a non-negative integer, got bool",
        id="followers-bool",
    ),
    pytest.param(
        encode(with_author(followers=2**63)),
        {},
        R.INVALID_FIELD,
        "'author.followers' must be in 0..2**63-1",
        id="followers-2-to-the-63",
    ),
    pytest.param(
        encode(with_author(followers=0)).replace(
            b'"followers":0', b'"followers":123456789012345678901234567890'
        ),
        {},
        R.INVALID_FIELD,
        "'author.followers' must be a non-negative integer, got float",
        id="followers-beyond-64-bits",
    ),
    pytest.param(
        encode(with_author(verified=1)),
        {},
        R.INVALID_FIELD,
        "'author.verified' must be a boolean, got int",
        id="verified-as-1",
    ),
    pytest.param(
        encode(with_author(verified="true")),
        {},
        R.INVALID_FIELD,
        "'author.verified' must be a boolean, got str",
        id="verified-as-string",
    ),
    pytest.param(
        encode(canonical(kind="like", ref={"id": "x"})),
        {},
        R.INVALID_FIELD,
        "'kind' must be one of",
        id="kind-not-in-set",
    ),
    pytest.param(
        encode(canonical(kind="Retweet", ref={"id": "x"})),
        {},
        R.INVALID_FIELD,
        "'kind' must be one of",
        id="kind-wrong-case",
    ),
    pytest.param(encode(canonical(kind=1)), {}, R.INVALID_FIELD, "'kind' must be a string", id="kind-int"),
    pytest.param(
        encode(canonical(hashtags="AcmePhone")),
        {},
        R.INVALID_FIELD,
        "'hashtags' must be a list",
        id="hashtags-string",
    ),
    pytest.param(
        encode(canonical(hashtags=["a", 2])),
        {},
        R.INVALID_FIELD,
        "'hashtags[1]' must be a string",
        id="hashtags-item-int",
    ),
    pytest.param(
        encode(canonical(mentions=[None])),
        {},
        R.INVALID_FIELD,
        "'mentions[0]' must be a string",
        id="mentions-item-null",
    ),
    pytest.param(
        encode(canonical(engagement=[])),
        {},
        R.INVALID_FIELD,
        "'engagement' must be an object",
        id="engagement-list",
    ),
    pytest.param(
        encode(canonical(engagement={"likes": -5})),
        {},
        R.INVALID_FIELD,
        "'engagement.likes'",
        id="engagement-likes-negative",
    ),
    pytest.param(
        encode(canonical(kind="retweet", ref="p-0")),
        {},
        R.INVALID_FIELD,
        "'ref' must be an object",
        id="ref-string",
    ),
    pytest.param(
        encode(
            canonical(kind="retweet", ref={"id": "p", "author": {"id": "u", "handle": "h", "followers": "x"}})
        ),
        {},
        R.INVALID_FIELD,
        "'ref.author.followers'",
        id="ref-author-followers-string",
    ),
    # invalid_field: timestamps (canonical / v2: ISO 8601)
    pytest.param(
        encode(canonical(created_at="yesterday")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not an ISO 8601 timestamp",
        id="iso-unparseable",
    ),
    pytest.param(
        encode(canonical(created_at=1430000000)),
        {},
        R.INVALID_FIELD,
        "'created_at' must be a string, got int",
        id="iso-epoch-number",
    ),
    pytest.param(
        encode(canonical(created_at="2015-04-25T16:19:03")),
        {},
        R.INVALID_FIELD,
        "'created_at' must carry a UTC offset",
        id="iso-naive",
    ),
    pytest.param(
        encode(canonical(created_at="2015-04-25")),
        {},
        R.INVALID_FIELD,
        "'created_at' must carry a UTC offset",
        id="iso-date-only",
    ),
    pytest.param(
        encode(canonical(created_at="1970-01-01T00:00:00Z")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 1970 is outside 2000..2100",
        id="iso-1970",
    ),
    pytest.param(
        encode(canonical(created_at="2200-01-01T00:00:00Z")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 2200 is outside 2000..2100",
        id="iso-2200",
    ),
    pytest.param(
        encode(canonical(created_at="2000-01-01T00:30:00+01:00")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 1999",
        id="iso-year-judged-in-utc",
    ),
    pytest.param(
        encode(canonical(created_at="0001-01-01T00:00:00+05:00")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 1 is outside",
        id="iso-year-1-offset-overflows",
    ),
    pytest.param(
        encode(canonical(created_at="9999-12-31T23:30:00-01:00")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 9999 is outside",
        id="iso-year-9999-offset-overflows",
    ),
    pytest.param(
        encode(canonical(created_at="Sat Apr 25 16:19:03 +0000 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not an ISO 8601 timestamp",
        id="iso-given-twitter-format",
    ),
    # invalid_field: v1.1
    pytest.param(
        encode(v1_tweet(id_str=101)),
        {},
        R.INVALID_FIELD,
        "'id_str' must be a string, got int",
        id="v1-id_str-int",
    ),
    pytest.param(
        encode({**{k: v for k, v in v1_tweet().items() if k != "id_str"}, "id": -1}),
        {},
        R.INVALID_FIELD,
        "'id' must be a non-negative 64-bit integer",
        id="v1-id-negative",
    ),
    pytest.param(
        encode({**{k: v for k, v in v1_tweet().items() if k != "id_str"}, "id": "101"}),
        {},
        R.INVALID_FIELD,
        "'id' must be a non-negative 64-bit integer, got str",
        id="v1-id-string-in-int",
    ),
    pytest.param(
        encode(with_user(followers_count="910")),
        {},
        R.INVALID_FIELD,
        "'user.followers_count' must be a non-negative integer, got str",
        id="v1-followers-string",
    ),
    pytest.param(
        encode(with_user(friends_count=-3)),
        {},
        R.INVALID_FIELD,
        "'user.friends_count' must be in",
        id="v1-friends-negative",
    ),
    pytest.param(
        encode(with_user(verified="false")),
        {},
        R.INVALID_FIELD,
        "'user.verified' must be a boolean",
        id="v1-verified-string",
    ),
    pytest.param(
        encode(with_user(screen_name="")),
        {},
        R.INVALID_FIELD,
        "'user.screen_name' must not be empty",
        id="v1-screen_name-empty",
    ),
    pytest.param(
        encode(v1_tweet(user=["alice"])),
        {},
        R.INVALID_FIELD,
        "'user' must be an object, got list",
        id="v1-user-list",
    ),
    pytest.param(
        encode(v1_tweet(retweet_count="3")),
        {},
        R.INVALID_FIELD,
        "'retweet_count'",
        id="v1-retweet_count-string",
    ),
    pytest.param(
        encode(v1_tweet(in_reply_to_status_id_str=4444)),
        {},
        R.INVALID_FIELD,
        "'in_reply_to_status_id_str' must be a string",
        id="v1-reply-id-int-in-str",
    ),
    pytest.param(
        encode(v1_tweet(entities={"hashtags": [{"text": 5}]})),
        {},
        R.INVALID_FIELD,
        "'entities.hashtags[0].text' must be a string, got int",
        id="v1-hashtag-text-int",
    ),
    pytest.param(
        encode(v1_tweet(entities={"user_mentions": "bob"})),
        {},
        R.INVALID_FIELD,
        "'entities.user_mentions' must be a list",
        id="v1-user_mentions-string",
    ),
    pytest.param(
        encode(v1_tweet(entities=[])),
        {},
        R.INVALID_FIELD,
        "'entities' must be an object",
        id="v1-entities-list",
    ),
    pytest.param(
        encode(v1_tweet(extended_tweet={"entities": {"hashtags": ["x"]}})),
        {},
        R.INVALID_FIELD,
        "'extended_tweet.entities.hashtags[0]' must be an object",
        id="v1-extended-hashtag-not-object",
    ),
    pytest.param(
        encode(v1_tweet(extended_tweet="long text")),
        {},
        R.INVALID_FIELD,
        "'extended_tweet' must be an object",
        id="v1-extended_tweet-string",
    ),
    pytest.param(
        encode(v1_tweet(retweeted_status=v1_tweet(user=v1_user(screen_name="")))),
        {},
        R.INVALID_FIELD,
        "'retweeted_status.user.screen_name' must not be empty",
        id="v1-rt-user-screen_name-empty",
    ),
    pytest.param(
        encode(v1_tweet(retweeted_status=v1_tweet(extended_tweet={"full_text": 3}))),
        {},
        R.INVALID_FIELD,
        "'retweeted_status.extended_tweet.full_text' must be a string",
        id="v1-rt-full_text-int",
    ),
    pytest.param(
        encode(v1_tweet(retweeted_status="555")),
        {},
        R.INVALID_FIELD,
        "'retweeted_status' must be an object",
        id="v1-retweeted_status-string",
    ),
    # invalid_field: timestamps (v1.1 format)
    pytest.param(
        encode(v1_tweet(created_at="2015-04-25T16:19:03Z")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-iso",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Apr 25 16:19:03 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-no-offset",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Apr 25 16:19:03 0000 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-unsigned-offset",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Avr 25 16:19:03 +0000 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-unknown-month",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Feb 30 16:19:03 +0000 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-february-30",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Apr 25 16:19 +0000 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-no-seconds",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Apr 25 16:19:03 +2400 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-offset-24-hours",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Apr 25 16:19:03 +0060 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-offset-60-minutes",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Apr 25 16:19:03 +-100 2015")),
        {},
        R.INVALID_FIELD,
        "'created_at' is not a Twitter timestamp",
        id="v1-time-offset-two-signs",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Thu Jan 01 00:00:00 +0000 1970")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 1970 is outside 2000..2100",
        id="v1-time-1970",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Sat Jan 01 00:00:00 +0000 2200")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 2200 is outside 2000..2100",
        id="v1-time-2200",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Mon Jan 01 00:30:00 +0100 0001")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 1 is outside",
        id="v1-time-year-1-offset-overflows",
    ),
    pytest.param(
        encode(v1_tweet(created_at="Fri Dec 31 23:30:00 -0100 9999")),
        {},
        R.INVALID_FIELD,
        "'created_at' year 9999 is outside",
        id="v1-time-year-9999-offset-overflows",
    ),
    # invalid_field: v2
    pytest.param(
        encode(v2_doc(data=[v2_post(), v2_post(id="901")])),
        {},
        R.INVALID_FIELD,
        "'data' holds 2 posts",
        id="v2-data-list-of-two",
    ),
    pytest.param(
        encode(v2_doc(data=[])), {}, R.INVALID_FIELD, "'data' holds 0 posts", id="v2-data-empty-list"
    ),
    pytest.param(
        encode(v2_doc(data="900")),
        {},
        R.INVALID_FIELD,
        "'data' must be an object, got str",
        id="v2-data-string",
    ),
    pytest.param(encode({"data": None}), {}, R.INVALID_FIELD, "'data' must be an object", id="v2-data-null"),
    pytest.param(
        encode({"data": v2_post(), "includes": []}),
        {},
        R.INVALID_FIELD,
        "'includes' must be an object",
        id="v2-includes-list",
    ),
    pytest.param(
        encode({"data": v2_post(), "includes": {"users": {"1": {}}}}),
        {},
        R.INVALID_FIELD,
        "'includes.users' must be a list",
        id="v2-users-object",
    ),
    pytest.param(
        encode(v2_doc(users=["alice"])),
        {},
        R.INVALID_FIELD,
        "'includes.users[0]' must be an object",
        id="v2-user-string",
    ),
    pytest.param(
        encode(v2_doc(users=[{"id": 1, "username": "alice"}])),
        {},
        R.INVALID_FIELD,
        "'includes.users[0].id' must be a string, got int",
        id="v2-user-id-int",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(author_id=1))),
        {},
        R.INVALID_FIELD,
        "'data.author_id' must be a string, got int",
        id="v2-author_id-int",
    ),
    pytest.param(
        encode(v2_doc(users=[v2_user("1", "alice", public_metrics={"followers_count": -1})])),
        {},
        R.INVALID_FIELD,
        "'includes.users[author].public_metrics.followers_count'",
        id="v2-author-followers-negative",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(public_metrics={"like_count": "1"}))),
        {},
        R.INVALID_FIELD,
        "'data.public_metrics.like_count' must be a non-negative integer, got str",
        id="v2-likes-string",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(referenced_tweets={"type": "quoted"}))),
        {},
        R.INVALID_FIELD,
        "'data.referenced_tweets' must be a list",
        id="v2-referenced_tweets-object",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(referenced_tweets=[{"type": "liked", "id": "5"}]))),
        {},
        R.INVALID_FIELD,
        "'data.referenced_tweets[0].type' must be one of",
        id="v2-ref-type-unknown",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(entities={"hashtags": [{"start": 0}]}))),
        {},
        R.INVALID_FIELD,
        "'data.entities.hashtags[0].tag' must be a string, got NoneType",
        id="v2-hashtag-without-tag",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(entities={"mentions": [{"username": 7}]}))),
        {},
        R.INVALID_FIELD,
        "'data.entities.mentions[0].username' must be a string",
        id="v2-mention-username-int",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(created_at="Sat Apr 25 16:19:03 +0000 2015"))),
        {},
        R.INVALID_FIELD,
        "'data.created_at' is not an ISO 8601 timestamp",
        id="v2-time-twitter-format",
    ),
    pytest.param(
        encode(v2_doc(data=v2_post(created_at="2023-03-14T09:26:53"))),
        {},
        R.INVALID_FIELD,
        "'data.created_at' must carry a UTC offset",
        id="v2-time-naive",
    ),
]


@pytest.mark.parametrize(("raw", "kwargs", "reason", "detail"), REJECTIONS)
def test_decoder_rejects_bad_input_with_its_reason_and_names_the_field(
    raw: bytes | None, kwargs: dict, reason: RejectReason, detail: str
) -> None:
    exc = rejection(raw, **kwargs)
    assert exc.reason is reason
    assert detail in exc.detail
    assert str(exc) == f"{reason.value}: {exc.detail}"


def test_every_reject_reason_of_the_decoder_has_a_hand_made_example() -> None:
    covered = {p.values[2] for p in REJECTIONS}
    assert covered == DECODER_REASONS


def test_a_rejection_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^empty: "):
        decode_post(b"")


def test_message_exactly_at_the_size_limit_is_accepted_and_one_byte_more_is_not() -> None:
    raw = encode(canonical())
    assert decode_post(raw, max_bytes=len(raw)).id == "p-1"
    exc = rejection(raw + b" ", max_bytes=len(raw))
    assert exc.reason is R.TOO_LARGE
    assert f"{len(raw) + 1:,} bytes" in exc.detail


def test_default_size_limit_is_one_megabyte() -> None:
    assert DEFAULT_MAX_BYTES == 1_000_000
    padding = "x" * DEFAULT_MAX_BYTES
    assert rejection(encode(canonical(text=padding))).reason is R.TOO_LARGE


def test_size_is_judged_before_the_json_is_parsed() -> None:
    # A huge malformed message costs a length check, not a parse.
    assert rejection(b"[" * 5000, max_bytes=100).reason is R.TOO_LARGE


def test_nesting_of_1024_levels_parses_and_1025_is_too_deep() -> None:
    assert rejection(b"[" * 1024 + b"]" * 1024).reason is R.NOT_OBJECT
    assert rejection(b"[" * 1025 + b"]" * 1025).reason is R.TOO_DEEP


def test_decode_object_recognises_the_format_from_its_keys() -> None:
    assert decode_object(canonical()).source == "canonical"
    assert decode_object(v1_tweet()).source == "twitter_v1"
    assert decode_object(v2_doc()).source == "twitter_v2"
    with pytest.raises(PostRejected) as info:
        decode_object({"statuses": []})
    assert info.value.reason is R.UNKNOWN_FORMAT


# --------------------------------------------------------------------------------------------
# Properties: whatever the input, a Post or a PostRejected, never another exception.

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


def _dump(value: Any) -> bytes:
    """JSON text for any generated value (the stdlib writes integers beyond 64 bits, orjson does not)."""
    return json.dumps(value).encode()


def _assert_decodes_or_rejects(raw: bytes) -> Post | None:
    try:
        post = decode_post(raw)
    except PostRejected as exc:
        assert exc.reason in DECODER_REASONS
        assert isinstance(exc.detail, str) and exc.detail
        return None
    _assert_is_a_valid_post(post)
    return post


def _assert_is_a_valid_post(post: Post) -> None:
    assert type(post.id) is str and post.id
    assert type(post.text) is str
    assert post.created_at.tzinfo is UTC
    assert MIN_YEAR <= post.created_at.year <= MAX_YEAR
    assert post.kind in KINDS
    assert (post.ref is None) or type(post.ref.id) is str
    if post.kind != "original":
        assert post.ref is not None
    authors = [post.author] + ([post.ref.author] if post.ref and post.ref.author else [])
    for author in authors:
        assert type(author.id) is str and author.id
        assert type(author.handle) is str and author.handle
        for n in (author.followers, author.following, author.listed, author.statuses):
            assert type(n) is int and 0 <= n <= INT64_MAX
        assert type(author.verified) is bool
    for n in (
        post.engagement.retweets,
        post.engagement.likes,
        post.engagement.replies,
        post.engagement.quotes,
    ):
        assert type(n) is int and 0 <= n <= INT64_MAX
    assert all(type(h) is str for h in post.hashtags + post.mentions)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_to_a_post_or_are_rejected_with_a_reason(raw: bytes) -> None:
    _assert_decodes_or_rejects(raw)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_arbitrary_json_values_decode_to_a_post_or_are_rejected_with_a_reason(value: Any) -> None:
    _assert_decodes_or_rejects(_dump(value))


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path inside nested dicts and lists."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _replaced(obj: Any, path: tuple, value: Any) -> Any:
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


_FULL_V1 = v1_tweet(
    extended_tweet={
        "full_text": "full #tag",
        "entities": {"hashtags": [{"text": "tag"}], "user_mentions": []},
    },
    retweeted_status=v1_tweet(
        id_str="555", user=v1_user(screen_name="bob"), extended_tweet={"full_text": "o"}
    ),
    in_reply_to_status_id_str="44",
    in_reply_to_user_id_str="22",
    in_reply_to_screen_name="bob",
    reply_count=1,
    quote_count=2,
)
_FULL_V2 = v2_doc(
    data=v2_post(
        referenced_tweets=[{"type": "quoted", "id": "500"}, {"type": "replied_to", "id": "501"}],
        in_reply_to_user_id="2",
        entities={"hashtags": [{"tag": "x"}], "mentions": [{"username": "bob"}]},
        public_metrics={"retweet_count": 1, "like_count": 2, "reply_count": 3, "quote_count": 4},
        note_tweet={"text": "long"},
    ),
    users=[v2_user("1", "alice"), v2_user("2", "bob")],
    tweets=[{"id": "500", "author_id": "2", "text": "quoted"}],
)
_FULL_CANONICAL = canonical(
    kind="retweet",
    ref={
        "id": "p-0",
        "author_id": "u-0",
        "author_handle": "bob",
        "author": {"id": "u-0", "handle": "bob"},
        "text": "t",
    },
    hashtags=["a"],
    mentions=["b"],
    lang="en",
    engagement={"retweets": 1, "likes": 2, "replies": 3, "quotes": 4},
    author={"id": "u-1", "handle": "alice", "followers": 1, "verified": True, "location": "x"},
)
_TEMPLATES = {"canonical": _FULL_CANONICAL, "twitter_v1": _FULL_V1, "twitter_v2": _FULL_V2}


@st.composite
def mutated_posts(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid post of some format with one to three of its values replaced by arbitrary JSON."""
    source = draw(st.sampled_from(sorted(_TEMPLATES)))
    obj = _TEMPLATES[source]
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(obj)
        if not paths:
            break
        obj = _replaced(obj, draw(st.sampled_from(paths)), draw(json_values))
    return source, obj


def test_the_fuzzing_templates_are_valid_posts() -> None:
    for source, template in _TEMPLATES.items():
        assert decode_post(encode(template)).source == source


@settings(max_examples=500, deadline=None)
@given(mutated_posts())
def test_posts_with_corrupted_fields_decode_validly_or_are_rejected(case: tuple[str, Any]) -> None:
    source, obj = case
    post = _assert_decodes_or_rejects(_dump(obj))
    if post is not None and isinstance(obj, dict):
        assert post.source == source


_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1)
_local_times = st.one_of(
    st.datetimes(min_value=datetime(1999, 12, 30), max_value=datetime(2101, 1, 2)),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
).map(lambda dt: dt.replace(microsecond=0))


def _expected_utc(local: datetime, offset_minutes: int) -> datetime | None:
    """The UTC instant, or None when it is outside the accepted years (or outside datetime's range)."""
    try:
        utc = local.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).astimezone(UTC)
    except OverflowError:
        return None
    return utc if MIN_YEAR <= utc.year <= MAX_YEAR else None


def _offset_text(offset_minutes: int, sep: str) -> str:
    sign = "-" if offset_minutes < 0 else "+"
    hh, mm = divmod(abs(offset_minutes), 60)
    return f"{sign}{hh:02d}{sep}{mm:02d}"


@settings(max_examples=400, deadline=None)
@given(_local_times, _offsets)
def test_v1_timestamps_are_converted_to_utc_or_rejected_by_year(local: datetime, offset: int) -> None:
    text = f"{local:%a %b %d %H:%M:%S} {_offset_text(offset, '')} {local.year:04d}"
    expected = _expected_utc(local, offset)
    raw = encode(v1_tweet(created_at=text))
    if expected is None:
        exc = rejection(raw)
        assert exc.reason is R.INVALID_FIELD and "'created_at'" in exc.detail
    else:
        assert decode_post(raw).created_at == expected


@settings(max_examples=400, deadline=None)
@given(_local_times, _offsets)
def test_iso_timestamps_are_converted_to_utc_or_rejected_by_year(local: datetime, offset: int) -> None:
    text = f"{local.year:04d}-{local:%m-%dT%H:%M:%S}{_offset_text(offset, ':')}"
    expected = _expected_utc(local, offset)
    raw = encode(canonical(created_at=text))
    if expected is None:
        exc = rejection(raw)
        assert exc.reason is R.INVALID_FIELD and "'created_at'" in exc.detail
    else:
        assert decode_post(raw).created_at == expected


# --------------------------------------------------------------------------------------------
# split_document


def test_split_document_returns_the_elements_of_an_array() -> None:
    posts = [canonical(id="a"), v1_tweet(id_str="b"), v2_doc(data=v2_post(id="c"))]
    parts = split_document(posts)
    assert parts == posts
    assert [decode_object(p).id for p in parts] == ["a", "b", "c"]


def test_split_document_flattens_nested_arrays_in_order() -> None:
    assert split_document([[1, [2, [3]]], 4, []]) == [1, 2, 3, 4]


def test_split_document_flattens_arrays_nested_as_deep_as_orjson_allows() -> None:
    doc = orjson.loads(b"[" * 1023 + b'{"x": 1}' + b"]" * 1023)
    assert split_document(doc) == [{"x": 1}]


def test_split_document_returns_the_statuses_of_a_search_response() -> None:
    statuses = [v1_tweet(id_str="1"), v1_tweet(id_str="2")]
    assert split_document({"search_metadata": {"count": 2}, "statuses": statuses}) == statuses


def test_split_document_splits_search_responses_inside_an_array() -> None:
    doc = [
        {"search_metadata": {}, "statuses": [v1_tweet(id_str="1")]},
        {"search_metadata": {}, "statuses": [v1_tweet(id_str="2"), v1_tweet(id_str="3")]},
    ]
    assert [decode_object(p).id for p in split_document(doc)] == ["1", "2", "3"]


def test_split_document_leaves_statuses_without_search_metadata_alone() -> None:
    doc = {"statuses": [v1_tweet()]}
    assert split_document(doc) == [doc]


@pytest.mark.parametrize("doc", [canonical(), v1_tweet(), v2_doc(), 42, "text", None, {}])
def test_split_document_returns_a_single_post_or_scalar_unchanged(doc: Any) -> None:
    assert split_document(doc) == [doc]


def test_split_v2_list_gives_each_post_only_the_users_and_tweets_it_refers_to() -> None:
    doc = {
        "data": [
            v2_post(id="a", author_id="1"),
            v2_post(id="b", author_id="2", referenced_tweets=[{"type": "retweeted", "id": "500"}]),
            v2_post(
                id="c",
                author_id="1",
                in_reply_to_user_id="3",
                referenced_tweets=[{"type": "replied_to", "id": "999"}],
            ),
            v2_post(id="d", author_id="404"),
        ],
        "includes": {
            "users": [
                v2_user("1", "alice"),
                v2_user("2", "bob"),
                v2_user("3", "carol"),
                v2_user("4", "dave"),
            ],
            "tweets": [{"id": "500", "author_id": "4", "text": "dave's"}, {"id": "501", "author_id": "1"}],
        },
    }
    a, b, c, d = split_document(doc)
    assert a == {"data": doc["data"][0], "includes": {"users": [v2_user("1", "alice")]}}
    assert b["includes"] == {
        "users": [v2_user("2", "bob"), v2_user("4", "dave")],
        "tweets": [{"id": "500", "author_id": "4", "text": "dave's"}],
    }
    assert c["includes"] == {"users": [v2_user("1", "alice"), v2_user("3", "carol")]}
    assert d == {"data": doc["data"][3]}

    assert decode_object(a).author.handle == "alice"
    post_b = decode_object(b)
    assert (post_b.author.handle, post_b.kind, post_b.ref.author_handle, post_b.ref.text) == (
        "bob",
        "retweet",
        "dave",
        "dave's",
    )
    post_c = decode_object(c)
    assert (post_c.author.handle, post_c.kind, post_c.ref.id, post_c.ref.author_handle) == (
        "alice",
        "reply",
        "999",
        "carol",
    )
    with pytest.raises(PostRejected) as info:
        decode_object(d)
    assert info.value.reason is R.MISSING_FIELD


def test_split_v2_list_wraps_a_non_object_post_for_the_decoder_to_reject() -> None:
    parts = split_document({"data": ["not a post"], "includes": {"users": [v2_user("1", "a")]}})
    assert parts == [{"data": "not a post"}]
    with pytest.raises(PostRejected) as info:
        decode_object(parts[0])
    assert info.value.reason is R.INVALID_FIELD


@pytest.mark.parametrize(
    "doc",
    [
        {"data": [{"id": "1", "author_id": [1]}]},
        {"data": [{"id": "1", "referenced_tweets": [{"id": [1]}]}], "includes": {"tweets": [{"id": "x"}]}},
        {"data": [{"id": "1"}], "includes": {"users": [{"id": {}}], "tweets": [{"id": [2]}]}},
        {"data": [{"id": "1", "referenced_tweets": 5}]},
        {"data": [{}], "includes": {"users": 5, "tweets": "x"}},
        {"data": [{"id": "1", "in_reply_to_user_id": {"a": 1}}], "includes": []},
    ],
    ids=[
        "unhashable-author_id",
        "unhashable-ref-id",
        "unhashable-include-ids",
        "refs-not-a-list",
        "includes-not-lists",
        "includes-not-an-object",
    ],
)
def test_split_v2_list_with_malformed_ids_leaves_the_judgement_to_the_decoder(doc: dict) -> None:
    parts = split_document(doc)
    assert [p["data"] for p in parts] == doc["data"]
    for part in parts:
        with pytest.raises(PostRejected):
            decode_object(part)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_split_document_accepts_any_json_value_and_never_returns_an_array(value: Any) -> None:
    parts = split_document(value)
    assert isinstance(parts, list)
    assert not any(type(p) is list for p in parts)


@st.composite
def v2_responses(draw: st.DrawFn) -> dict:
    """A v2 response with several posts by a pool of users, some of them referring to included tweets."""
    n_users = draw(st.integers(1, 5))
    users = [v2_user(f"u{i}", f"user{i}") for i in range(n_users)]
    user_ids = st.sampled_from([u["id"] for u in users])
    tweets = [
        {"id": f"t{i}", "author_id": draw(user_ids), "text": f"tweet {i}"}
        for i in range(draw(st.integers(0, 3)))
    ]
    posts = []
    for i in range(draw(st.integers(1, 6))):
        post = v2_post(id=f"p{i}", author_id=draw(user_ids))
        ref_type = draw(st.sampled_from([None, "retweeted", "quoted", "replied_to"]))
        if ref_type is not None:
            ref_id = draw(st.sampled_from([t["id"] for t in tweets] + ["missing"]))
            post["referenced_tweets"] = [{"type": ref_type, "id": ref_id}]
            if ref_type == "replied_to":
                post["in_reply_to_user_id"] = draw(user_ids)
        posts.append(post)
    return {"data": posts, "includes": {"users": users, "tweets": tweets}}


@settings(max_examples=300, deadline=None)
@given(v2_responses())
def test_split_v2_messages_decode_to_their_own_author_and_reference(doc: dict) -> None:
    users = {u["id"]: u for u in doc["includes"]["users"]}
    tweets = {t["id"]: t for t in doc["includes"]["tweets"]}
    parts = split_document(doc)
    assert len(parts) == len(doc["data"])
    for source, part in zip(doc["data"], parts, strict=True):
        assert part["data"] is source
        ref = (source.get("referenced_tweets") or [{}])[0]
        ref_tweet = tweets.get(ref.get("id"))
        wanted = {
            source["author_id"],
            source.get("in_reply_to_user_id"),
            ref_tweet and ref_tweet["author_id"],
        }
        assert [u["id"] for u in part["includes"]["users"]] == [u for u in users if u in wanted]
        assert part["includes"].get("tweets", []) == ([ref_tweet] if ref_tweet else [])

        post = decode_object(part)
        assert post.author.handle == users[source["author_id"]]["username"]
        if ref_tweet is not None:
            assert post.ref.author_handle == users[ref_tweet["author_id"]]["username"]
            assert post.ref.text == ref_tweet["text"]


# --------------------------------------------------------------------------------------------
# The project's own fixtures (tests/fixtures)


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def test_v1_streaming_fixture_decodes_all_five_tweets(fixtures_dir: Path) -> None:
    lines = _lines(fixtures_dir / "twitter_v1_streaming_5.jsonl")
    posts = [decode_post(line) for line in lines]
    assert len(posts) == 5
    assert [p.kind for p in posts] == ["original", "reply", "reply", "quote", "original"]
    for line, post in zip(lines, posts, strict=True):
        raw = orjson.loads(line)
        assert post.id == raw["id_str"]
        assert post.author.handle == raw["user"]["screen_name"]
        assert post.author.followers == raw["user"]["followers_count"]
        assert post.source == "twitter_v1"
        assert post.created_at == datetime(2018, 3, 10, 14, 3, 15, tzinfo=UTC)
        if "extended_tweet" in raw:
            assert post.text == raw["extended_tweet"]["full_text"]


def test_v1_streaming_fixture_fields_match_the_raw_tweets(fixtures_dir: Path) -> None:
    lines = _lines(fixtures_dir / "twitter_v1_streaming_5.jsonl")
    first, reply, _, quote, many_mentions = (decode_post(line) for line in lines)
    assert first.lang == "ar"
    assert first.hashtags == ("Quran",)  # from extended_tweet.entities; the truncated entities have none
    raw_reply = orjson.loads(lines[1])
    assert reply.ref == Reference(
        id="972472543960555520", author_id=raw_reply["in_reply_to_user_id_str"], author_handle="alahli_omar"
    )
    assert reply.mentions == ("alahli_omar", "mousa_alamrii")
    assert quote.ref is not None
    assert (quote.ref.id, quote.ref.author_handle) == ("972472152447438859", "TheGillsFC")
    assert quote.hashtags == ("Gills",)
    assert len(many_mentions.mentions) == 7


def test_v2_fixture_splits_into_three_posts_with_the_right_authors(fixtures_dir: Path) -> None:
    doc = orjson.loads((fixtures_dir / "twitter_v2_posts.json").read_bytes())
    original, retweet, reply = (decode_post(encode(part)) for part in split_document(doc))

    assert (original.id, original.kind, original.author.handle) == (
        "1635591020158337024",
        "original",
        "AcmeFan",
    )
    assert original.author == Author(
        id="7001",
        handle="AcmeFan",
        name="Acme Fan",
        followers=1500,
        following=300,
        listed=12,
        statuses=4200,
        verified=False,
        location="Lisbon",
    )
    assert original.hashtags == ("AcmePhone",) and original.mentions == ("AcmeSupport",)
    assert original.engagement == Engagement(retweets=3, likes=27, replies=1, quotes=0)
    assert original.created_at == datetime(2023, 3, 14, 9, 26, 53, tzinfo=UTC)

    assert (retweet.kind, retweet.author.handle, retweet.author.verified) == (
        "retweet",
        "gadget_reviews",
        True,
    )
    assert retweet.ref is not None
    assert (retweet.ref.id, retweet.ref.author_handle) == ("1635598113305665536", "AcmeSupport")
    assert retweet.ref.author is not None and retweet.ref.author.followers == 98000
    assert retweet.ref.text is not None and retweet.ref.text.endswith("Thank you all for your patience!")

    assert (reply.kind, reply.author.handle) == ("reply", "AcmeFan")
    assert reply.ref is not None
    assert (reply.ref.id, reply.ref.author_id, reply.ref.author_handle, reply.ref.text) == (
        "1635601200000000000",
        "7002",
        "gadget_reviews",
        None,
    )


def test_v2_fixture_split_drops_users_and_tweets_no_post_refers_to(fixtures_dir: Path) -> None:
    doc = orjson.loads((fixtures_dir / "twitter_v2_posts.json").read_bytes())
    parts = split_document(doc)
    assert [[u["username"] for u in p["includes"]["users"]] for p in parts] == [
        ["AcmeFan"],
        ["gadget_reviews", "AcmeSupport"],
        ["AcmeFan", "gadget_reviews"],
    ]
    assert [[t["id"] for t in p["includes"].get("tweets", [])] for p in parts] == [
        [],
        ["1635598113305665536"],
        [],
    ]


def test_v2_fixture_as_a_whole_is_rejected_as_several_posts(fixtures_dir: Path) -> None:
    exc = rejection((fixtures_dir / "twitter_v2_posts.json").read_bytes())
    assert exc.reason is R.INVALID_FIELD
    assert "'data' holds 3 posts" in exc.detail


def test_canonical_fixture_decodes_every_kind_with_utc_times(fixtures_dir: Path) -> None:
    posts = [decode_post(line) for line in _lines(fixtures_dir / "canonical_posts.jsonl")]
    assert [(p.id, p.kind) for p in posts] == [
        ("c-1", "original"),
        ("c-2", "retweet"),
        ("c-3", "reply"),
        ("c-4", "quote"),
    ]
    assert [p.created_at for p in posts] == [
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 11, 30, tzinfo=UTC),
        datetime(2024, 5, 1, 14, 5, 9, 250000, tzinfo=UTC),
        datetime(2024, 5, 2, 12, 0, tzinfo=UTC),
    ]
    c1, c2, c3, c4 = posts
    assert c1.author == Author(
        id="u-1",
        handle="maria_tech",
        name="Maria",
        followers=1200,
        following=180,
        listed=4,
        statuses=3400,
        verified=False,
        location="Porto",
    )
    assert c1.engagement == Engagement(retweets=5, likes=40, replies=2, quotes=1)
    assert c2.ref == Reference(
        id="c-1",
        author_id="u-1",
        author_handle="maria_tech",
        author=Author(id="u-1", handle="maria_tech", followers=1200),
        text="The new #AcmePhone camera is stunning. Great job @AcmeSupport!",
    )
    assert c3.ref == Reference(id="c-1", author_handle="maria_tech")
    assert c4.ref == Reference(id="c-1", author_id="u-1")
    assert c4.author.verified is True and c4.engagement.likes == 310


MALFORMED_REASONS = [
    R.NOT_JSON,
    R.TOO_DEEP,
    R.NOT_OBJECT,
    R.UNKNOWN_FORMAT,
    R.MISSING_FIELD,
    R.INVALID_FIELD,
    R.NOT_UTF8,
]


def test_malformed_fixture_lines_are_rejected_with_the_documented_reasons(fixtures_dir: Path) -> None:
    lines = _lines(fixtures_dir / "malformed.jsonl")
    assert [rejection(line).reason for line in lines] == MALFORMED_REASONS


def test_malformed_fixture_readme_documents_each_line_reason(fixtures_dir: Path) -> None:
    readme = (fixtures_dir / "README.md").read_text(encoding="utf-8")
    for number, reason in enumerate(MALFORMED_REASONS, start=1):
        assert f"| {number} | `{reason.value}` |" in readme


def test_malformed_fixture_names_the_bad_fields(fixtures_dir: Path) -> None:
    lines = _lines(fixtures_dir / "malformed.jsonl")
    assert "'created_at' is required" in rejection(lines[4]).detail
    assert "'author.followers'" in rejection(lines[5]).detail


# --------------------------------------------------------------------------------------------
# Real data (../shared/data/tweets): every tweet decodes.


def _check_v1_against_raw(post: Post, raw: dict) -> None:
    """What the decoder must have taken from a raw v1.1 tweet, judged independently of it."""
    assert post.id == raw["id_str"]
    assert post.source == "twitter_v1"
    assert post.author.id == raw["user"]["id_str"]
    assert post.author.handle == raw["user"]["screen_name"]
    assert post.created_at.tzinfo is UTC
    assert post.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y") == raw["created_at"]
    rt, qt = raw.get("retweeted_status"), raw.get("quoted_status")
    if rt:
        assert post.kind == "retweet"
        assert post.ref.id == rt["id_str"]
        assert post.ref.author.handle == rt["user"]["screen_name"]
        full = (rt.get("extended_tweet") or {}).get("full_text") or rt.get("full_text") or rt["text"]
        assert post.text == f"RT @{rt['user']['screen_name']}: {full}"
    elif qt:
        assert post.kind == "quote"
        assert post.ref.id == qt["id_str"]
    elif raw.get("in_reply_to_status_id_str"):
        assert post.kind == "reply"
        assert post.ref.id == raw["in_reply_to_status_id_str"]
        assert post.ref.author_handle == raw["in_reply_to_screen_name"]
    else:
        assert post.kind == "original"
        assert post.ref is None
    _assert_is_a_valid_post(post)


def test_every_tweet_of_the_mongodb_sample_decodes(shared_data: Path) -> None:
    lines = _lines(shared_data / "tweets" / "mongodb_json_files_tweets_966.jsonl")
    assert len(lines) == 966
    kinds: Counter[str] = Counter()
    without_entities = 0
    for line in lines:
        raw = orjson.loads(line)
        post = decode_post(line)
        _check_v1_against_raw(post, raw)
        kinds[post.kind] += 1
        if "entities" not in raw:
            without_entities += 1
            assert post.hashtags == () and post.mentions == ()
    # Each kind was checked against the raw tweet above; the totals describe the sample.
    assert kinds == Counter(original=593, retweet=372, reply=1)
    assert without_entities == 200  # as shared/data/README.md says


def test_every_tweet_of_the_python_twitter_streaming_sample_decodes(shared_data: Path) -> None:
    lines = _lines(shared_data / "tweets" / "python_twitter_streaming_lines_72.jsonl")
    assert len(lines) == 72
    for line in lines:
        _check_v1_against_raw(decode_post(line), orjson.loads(line))


def test_fixture_lines_are_the_first_five_of_the_streaming_sample(
    shared_data: Path, fixtures_dir: Path
) -> None:
    sample = (shared_data / "tweets" / "python_twitter_streaming_lines_72.jsonl").read_bytes().splitlines()
    assert _lines(fixtures_dir / "twitter_v1_streaming_5.jsonl") == sample[:5]


def test_the_search_response_splits_into_100_tweets_that_all_decode(shared_data: Path) -> None:
    doc = orjson.loads((shared_data / "tweets" / "python_twitter_get_search_raw_100.json").read_bytes())
    parts = split_document(doc)
    assert len(parts) == 100
    assert [p["id_str"] for p in parts] == [s["id_str"] for s in doc["statuses"]]
    for part in parts:
        _check_v1_against_raw(decode_post(encode(part)), part)


def test_a_utf8_byte_order_mark_is_ignored_as_rfc_8259_allows() -> None:
    body = orjson.dumps({"id": "1", "text": "hi", "created_at": "2024-01-01T00:00:00Z",
                         "author": {"id": "a", "handle": "h"}})
    assert decode_post(b"\xef\xbb\xbf" + body) == decode_post(body)


def test_v2_retweet_scores_the_full_text_of_the_original_like_v1() -> None:
    doc = {
        "data": {"id": "2", "text": "RT @orig: cut short…", "author_id": "u2", "created_at": "2024-01-01T00:00:00Z",
                 "referenced_tweets": [{"type": "retweeted", "id": "1"}]},
        "includes": {
            "users": [{"id": "u2", "username": "retweeter"}, {"id": "u1", "username": "orig"}],
            "tweets": [{"id": "1", "author_id": "u1", "text": "The whole original text, every word of it"}],
        },
    }
    post = decode_post(orjson.dumps(doc))
    assert post.kind == "retweet"
    assert post.text == "RT @orig: The whole original text, every word of it"
    assert post.ref is not None and post.ref.author_handle == "orig"


def test_v2_retweet_without_the_original_included_keeps_its_own_text() -> None:
    doc = {
        "data": {"id": "2", "text": "RT @orig: cut short…", "author_id": "u2", "created_at": "2024-01-01T00:00:00Z",
                 "referenced_tweets": [{"type": "retweeted", "id": "1"}]},
        "includes": {"users": [{"id": "u2", "username": "retweeter"}]},
    }
    assert decode_post(orjson.dumps(doc)).text == "RT @orig: cut short…"


def test_a_canonical_post_with_extra_data_or_user_properties_is_still_canonical() -> None:
    body = {"id": "1", "text": "hi", "created_at": "2024-01-01T00:00:00Z", "author": {"id": "a", "handle": "h"},
            "data": {"campaign": "spring"}, "user": "someone"}
    post = decode_post(orjson.dumps(body))
    assert (post.source, post.id, post.author.handle) == ("canonical", "1", "h")
