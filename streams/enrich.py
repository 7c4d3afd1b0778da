"""The enrichment step: one decoded post in, one enriched post (and its per-topic mentions) out."""

from __future__ import annotations

from schemas.records import EnrichedPost, Mention, Post
from streams import extract
from streams.sentiment import SentimentScorer


def enrich(
    post: Post, scorer: SentimentScorer, *, max_terms: int = extract.DEFAULT_MAX_TERMS
) -> EnrichedPost:
    """Score ``post`` with VADER and find the topics it is about.

    Hashtags and mentions are those in the text plus those the source's entities listed (the text
    is the authority: 200 of the 966 sample tweets carry no entities at all).
    """
    found = extract.extract(post.text, post.hashtags, post.mentions, max_terms=max_terms)
    return EnrichedPost(
        post=post,
        sentiment=scorer.score(post.text),
        hashtags=found.hashtags,
        mentions=found.mentions,
        terms=found.terms,
        topics=found.hashtags + found.mentions,
    )


def mentions_of(enriched: EnrichedPost) -> list[Mention]:
    """One :class:`Mention` per topic of the post: the re-keying step of the data flow."""
    return [Mention(topic=topic, post=enriched) for topic in enriched.topics]
