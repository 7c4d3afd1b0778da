"""The enrichment step: one decoded post in, one enriched post (and its per-topic mentions) out."""

from __future__ import annotations

from schemas.records import EnrichedPost, Mention, Post
from streams import extract
from streams.crisis import SAMPLE_TEXT_CHARS
from streams.sentiment import SentimentScorer
from streams.watchlist import Watchlist

NO_WATCHLIST = Watchlist()


def enrich(
    post: Post,
    scorer: SentimentScorer,
    *,
    watchlist: Watchlist = NO_WATCHLIST,
    max_terms: int = extract.DEFAULT_MAX_TERMS,
) -> EnrichedPost:
    """Score ``post`` with VADER and find the topics and watched brands it is about.

    Hashtags and mentions are those in the text plus those the source's entities listed (the text
    is the authority: 200 of the 966 sample tweets carry no entities at all). For a post about a
    watched brand, the brand's own words are neutral in ``sentiment``; ``vader_compound`` keeps
    plain VADER's compound.
    """
    found = extract.extract(post.text, post.hashtags, post.mentions, max_terms=max_terms)
    keywords = watchlist.keywords_in(extract.strip_urls(post.text)) if watchlist else ()
    topics = found.hashtags + found.mentions + keywords
    brands = watchlist.brands_of(topics) if watchlist else ()
    plain = scorer.score(post.text)
    sentiment = plain
    if brands:
        neutral = watchlist.neutral_words(brands)
        if scorer.scores_any(post.text, neutral):  # else the brand-aware score is the plain one
            sentiment = scorer.score(post.text, neutral)
    return EnrichedPost(
        post=post,
        sentiment=sentiment,
        hashtags=found.hashtags,
        mentions=found.mentions,
        terms=found.terms,
        topics=topics,
        keywords=keywords,
        brands=brands,
        vader_compound=plain.compound,
    )


BRAND_PREFIX = "brand:"


def mentions_of(enriched: EnrichedPost, source_partition: int = 0, source_offset: int = 0) -> list[Mention]:
    """One :class:`Mention` per topic of the post, and one per watched brand (key ``brand:<name>``,
    so a brand counts each post once however many of its topics it carries): the re-keying step.
    ``source_partition`` / ``source_offset`` are the post's position in ``posts``."""
    keys = enriched.topics + tuple(BRAND_PREFIX + b for b in enriched.brands)
    if not keys:
        return []
    post, sentiment = enriched.post, enriched.sentiment
    author = post.author
    # Only the crisis evidence reads the text, and only of negative posts.
    text = post.text[:SAMPLE_TEXT_CHARS] if sentiment.label == "negative" else None
    event_s = int(post.created_at.timestamp())
    return [Mention(topic=key, post_id=post.id, source_partition=source_partition, source_offset=source_offset,
                    event_s=event_s, author_id=author.id, author_handle=author.handle, followers=author.followers,
                    compound=sentiment.compound, label=sentiment.label, terms=enriched.terms, text=text)
            for key in keys]
