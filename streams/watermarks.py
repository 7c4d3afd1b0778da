"""Event-time watermarks across a re-keying step, so that windows close deterministically.

Why not simply the newest event time seen on a ``mentions`` partition: the ingest agent reads its
input partitions at different rates, so in a fast replay a ``mentions`` partition can see posts
minutes apart in event time, and windows would close under posts still in flight. The watermark
therefore starts at the source:

* :class:`SourceProgress` (ingest side): per input partition, the newest event time processed. The
  low watermark is the minimum over the partitions that are active. A partition that has been idle
  for ``idle_grace_s`` of wall time, with nothing left to read, no longer holds the others back (one
  with a backlog always does: after a rebalance, the partitions taken over from a dead worker). When
  all are idle, the watermark advances with the wall clock from the newest event seen, so a quiet
  stream still closes its windows.
  Ingest stamps every mention it sends with this value and its producer id.
* :class:`PartitionWatermarks` (trends side): per ``mentions`` partition and producer, the newest
  stamp seen and the source partitions that producer covers. A partition's watermark is the minimum
  over live producers (a producer announces its own idle progress; a silent one holds it), and it exists
  only once the producers together cover every source partition (with two workers, one that has not
  been heard from yet may still deliver older posts). A producer silent for ``producer_expiry_s`` is
  forgotten, for example a worker that left in a rebalance.

A post is then late only when it is older than its own input partition's progress minus the allowed
lateness: a property of the input's order, not of how fast or in which interleaving it was read.
All times are seconds; ``now`` is the caller's monotonic clock (nothing here reads a clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: How long a partition assigned to this worker, and not read from yet, holds event time back when the caller
#: cannot tell whether it has a backlog (no highwater yet): a rebalance's table recovery can take this long.
ASSIGN_GRACE_S = 60.0


@dataclass
class SourceProgress:
    idle_grace_s: float
    #: partition -> (newest event time or None before the first post, wall time of the last activity)
    partitions: dict[int, tuple[int | None, float]] = field(default_factory=dict)
    #: Partitions known to have records not processed yet (highwater beyond the next offset to process): they
    #: never count as idle. A worker taking over a dead one's partitions after a rebalance has their backlog to
    #: read, and until it does, the newest event times of its other partitions say nothing about them.
    backlog: frozenset[int] = frozenset()
    #: Partitions known to have nothing left to process: the idle grace applies as it is.
    caught_up: frozenset[int] = frozenset()
    #: Partitions paused for running ahead (watermark alignment): never idle. A paused partition is fetched no
    #: more, so the highwater it last reported goes stale and cannot tell whether it has records left. Counted
    #: idle, it would let the watermark pass posts it has still to deliver. Being ahead, it is not what holds the
    #: watermark back, unless every other partition is idle, and then it is no longer ahead and is resumed.
    paused: frozenset[int] = frozenset()
    assign_grace_s: float = ASSIGN_GRACE_S
    #: partition -> the next offset to process (what this worker has processed of it, good or bad). Forgotten
    #: with the partition: after a rebalance the consumer reads again from the committed offset, which may be
    #: behind it.
    positions: dict[int, int] = field(default_factory=dict)

    def assign(self, partitions: set[int], now: float) -> None:
        """Partitions this worker now reads. Until one yields a post or sits idle for the grace
        period, it holds the watermark back: it may hold posts older than the others'."""
        for p in partitions:
            self.partitions.setdefault(p, (None, now))

    def resume(self, partitions: set[int], now: float) -> None:
        """Partitions alignment has resumed: the idle grace starts again from now. Until the consumer fetches
        from one again, the highwater it reported before the pause still stands and may say it has nothing
        left, and its last post is as old as the pause: counted idle at once, it would let the watermark pass
        the posts it is about to deliver."""
        for p in partitions:
            if p in self.partitions:
                self.partitions[p] = (self.partitions[p][0], now)
        self.paused -= partitions

    def forget(self, partitions: set[int]) -> None:
        """Partitions this worker no longer reads (after a rebalance)."""
        for p in partitions:
            self.partitions.pop(p, None)
            self.positions.pop(p, None)
        self.backlog -= partitions
        self.caught_up -= partitions
        self.paused -= partitions

    def lag(self, backlog: set[int], caught_up: set[int]) -> None:
        """What the consumer knows of each partition: records left to process, or none (the rest: unknown)."""
        self.backlog, self.caught_up = frozenset(backlog), frozenset(caught_up)

    def _idle(self, partition: int, newest: int | None, seen: float, now: float) -> bool:
        if partition in self.backlog or partition in self.paused:
            return False
        grace = self.idle_grace_s
        if newest is None and partition not in self.caught_up:
            grace = max(grace, self.assign_grace_s)  # not read yet, backlog unknown: wait longer
        return now - seen >= grace

    def covers(self) -> frozenset[int]:
        """The source partitions this watermark accounts for."""
        return frozenset(self.partitions)

    def observe(self, partition: int, event_s: int, now: float) -> None:
        newest, _ = self.partitions.get(partition, (None, now))
        self.partitions[partition] = (event_s if newest is None else max(newest, event_s), now)

    def is_late(self, partition: int, event_s: int, lateness_s: int) -> bool:
        """Whether a post is more than ``lateness_s`` behind the newest post of its own partition.

        That is a property of the input's order alone (Kafka Streams' rule). It is also exactly what
        keeps every later stage safe: each watermark stamped on a mention is at most the newest event
        time of every active partition, so a post that is not late here can never belong to a window
        the watermark has already closed (unless its partition sat idle past the grace period and
        then resumed with older posts).
        """
        newest, _ = self.partitions.get(partition, (None, 0.0))
        return newest is not None and event_s < newest - lateness_s

    def ahead(self, max_drift_s: int, now: float) -> frozenset[int]:
        """The partitions whose newest post is more than ``max_drift_s`` ahead of the watermark (the slowest
        active partition): reading them further only opens windows that cannot close yet. Nothing is ahead
        while the watermark is unknown, or with ``max_drift_s`` 0."""
        watermark = self.watermark(now)
        if not max_drift_s or watermark is None:
            return frozenset()
        return frozenset(p for p, (newest, _) in self.partitions.items()
                         if newest is not None and newest > watermark + max_drift_s)

    def drift(self, now: float) -> int | None:
        """How far the newest post of the furthest-ahead partition is past the watermark, in seconds (None while
        the watermark is unknown)."""
        watermark = self.watermark(now)
        newest = [n for n, _ in self.partitions.values() if n is not None]
        if watermark is None or not newest:
            return None
        return max(0, max(newest) - watermark)

    def idle(self, now: float) -> frozenset[int]:
        """The partitions that no longer hold the watermark back."""
        return frozenset(p for p, (newest, seen) in self.partitions.items() if self._idle(p, newest, seen, now))

    def watermark(self, now: float) -> int | None:
        active = [newest for p, (newest, seen) in self.partitions.items() if not self._idle(p, newest, seen, now)]
        if None in active:
            return None  # a partition not read yet may still deliver older posts
        if active:
            return min(active)  # type: ignore[type-var]
        known = [(newest, seen) for newest, seen in self.partitions.values() if newest is not None]
        if not known:
            return None
        newest = max(n for n, _ in known)
        last_seen = max(s for _, s in known)
        return newest + int(max(0.0, now - last_seen - self.idle_grace_s))


@dataclass
class PartitionWatermarks:
    idle_grace_s: float
    producer_expiry_s: float
    #: The source partitions every watermark must account for (all partitions of the input topic).
    sources: frozenset[int] = frozenset()
    #: partition -> producer -> (newest watermark stamp, source partitions it covers, wall time seen)
    stamps: dict[int, dict[str, tuple[int, frozenset[int], float]]] = field(default_factory=dict)

    def observe(self, partition: int, producer: str, watermark_s: int, covers: frozenset[int], now: float) -> None:
        """A producer's stamp. It only moves forward while the producer covers the same source partitions: a
        stamp over other partitions is a new watermark. A worker that takes over a dead one's partitions stamps
        a lower watermark over more partitions (their backlog holds it back); kept at the higher stamp of its
        old partitions, it would close windows whose posts are still in that backlog."""
        producers = self.stamps.setdefault(partition, {})
        newest, covered, _ = producers.get(producer, (watermark_s, covers, now))
        producers[producer] = (max(newest, watermark_s) if covered == covers else watermark_s, covers, now)
        # A source partition has one owner at a time (a consumer group), and an owner's records on this partition
        # all come before its successor's first stamp: a claim of sources another producer now covers is stale.
        # Left to expire, a dead worker's last stamp would hold the watermark while its successor replays the
        # backlog, and the open windows of every topic pile up (a 1.1 MB table value killed a worker in
        # bench/crash.py).
        for other, (wm, theirs, seen) in list(producers.items()):
            if other != producer and theirs & covers:
                if theirs <= covers:
                    del producers[other]
                else:  # a stamp over more sources bounds their subset too
                    producers[other] = (wm, theirs - covers, seen)

    def forget(self, partitions: set[int]) -> None:
        for p in partitions:
            self.stamps.pop(p, None)

    def watermark(self, partition: int, now: float) -> int | None:
        """The minimum over live producers, once together they cover every source partition.

        Until every source partition is accounted for, nothing may close: a producer not heard from
        yet may still deliver older posts. A producer silent for ``producer_expiry_s`` is forgotten
        (a worker gone in a rebalance; its partitions' new owner covers them).
        """
        producers = self.stamps.get(partition)
        if not producers:
            return None
        for name in [n for n, (_, _, seen) in producers.items() if now - seen > self.producer_expiry_s]:
            if len(producers) > 1:  # the last one is kept: its stamp holds until a new producer covers
                del producers[name]
        covered = frozenset().union(*(covers for _, covers, _ in producers.values()))
        if not covered >= self.sources:
            return None
        # No extrapolation here: a live producer announces its own idle progress every second, and a
        # silent one (crashed, or stuck in a rebalance) must hold the watermark, not advance it.
        return min(wm for wm, _, _ in producers.values())

    def partitions(self) -> list[int]:
        return list(self.stamps)
