"""Bounded counters for window statistics: distinct authors and top terms.

Both are exact while small and switch to a sketch with a documented error once they grow, so the state
of a window is bounded however hot its topic:

* :class:`DistinctCounter`: exact up to :data:`EXACT_DISTINCT_LIMIT` distinct values (64-bit hashes
  kept), then a HyperLogLog with 2**:data:`HLL_PRECISION` registers (4 KiB; relative standard error
  1.04 / sqrt(4096) = 1.6 %). Both forms depend only on the set of values seen, never on their order.
* :class:`TermCounter`: exact counts up to :data:`TERM_CAPACITY` distinct terms, then Space-Saving
  with that many counters. Each reported count overestimates the true count by at most the count of
  the smallest counter, which is at most N / capacity for N terms seen. Below capacity the result is
  exact and independent of order. Above it, the top of a heavy-tailed distribution is stable, but
  ties near the bottom can depend on order.

Values are mutated in place by ``add``. Their owner (one window of one topic, folded by one agent)
never shares them, so copying a set or a dict on every post would only cost time. The immutable form
is their serialisation (``to_json``), which is what a table's changelog carries.
"""

from __future__ import annotations

import math
from base64 import b64decode, b64encode
from hashlib import blake2b
from typing import Any

EXACT_DISTINCT_LIMIT = 256
HLL_PRECISION = 12
_M = 1 << HLL_PRECISION
_ALPHA = 0.7213 / (1 + 1.079 / _M)
_REST_BITS = 64 - HLL_PRECISION
_REST_MASK = (1 << _REST_BITS) - 1

TERM_CAPACITY = 500
TOP_TERMS = 20


def hash64(value: str) -> int:
    """A stable 64-bit hash (Python's own ``hash`` changes between processes)."""
    return int.from_bytes(blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class DistinctCounter:
    __slots__ = ("exact", "registers")

    def __init__(self, exact: set[int] | None = None, registers: bytearray | None = None) -> None:
        self.exact: set[int] | None = exact if registers is None else None
        if self.exact is None and registers is None:
            self.exact = set()
        self.registers = registers

    def add(self, value: str) -> None:
        h = hash64(value)
        if self.exact is not None:
            self.exact.add(h)
            if len(self.exact) > EXACT_DISTINCT_LIMIT:
                self.registers = bytearray(_M)
                for x in self.exact:
                    self._add_hash(x)
                self.exact = None
        else:
            self._add_hash(h)

    def _add_hash(self, h: int) -> None:
        registers = self.registers
        assert registers is not None
        index = h >> _REST_BITS
        rank = _REST_BITS - (h & _REST_MASK).bit_length() + 1
        if rank > registers[index]:
            registers[index] = rank

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    def count(self) -> int:
        if self.exact is not None:
            return len(self.exact)
        registers = self.registers
        assert registers is not None
        estimate = _ALPHA * _M * _M / sum(2.0 ** -r for r in registers)
        zeros = registers.count(0)
        if estimate <= 2.5 * _M and zeros:
            estimate = _M * math.log(_M / zeros)  # linear counting for the small range
        return round(estimate)

    def to_json(self) -> Any:
        if self.exact is not None:
            return sorted(self.exact)
        return b64encode(bytes(self.registers or b"")).decode()

    @classmethod
    def from_json(cls, doc: Any) -> DistinctCounter:
        if isinstance(doc, str):
            return cls(registers=bytearray(b64decode(doc)))
        return cls(exact=set(doc))


class TermCounter:
    __slots__ = ("capacity", "counts")

    def __init__(self, counts: dict[str, int] | None = None, capacity: int = TERM_CAPACITY) -> None:
        self.counts: dict[str, int] = counts if counts is not None else {}
        self.capacity = capacity

    def add(self, term: str, count: int = 1) -> str | None:
        """Count ``term`` (``count`` times); returns the term it evicted, if any."""
        counts = self.counts
        if term in counts:
            counts[term] += count
        elif len(counts) < self.capacity:
            counts[term] = count
        else:  # Space-Saving: the new term takes over the smallest counter (ties: the greatest term)
            victim = max(counts, key=lambda t: (-counts[t], t))
            floor = counts.pop(victim)
            counts[term] = floor + count
            return victim
        return None

    def top(self, k: int = TOP_TERMS) -> list[tuple[str, int]]:
        """The ``k`` most frequent terms, count descending then term ascending."""
        return sorted(self.counts.items(), key=lambda tc: (-tc[1], tc[0]))[:k]

    def to_json(self) -> dict[str, int]:
        return self.counts

    @classmethod
    def from_json(cls, doc: dict[str, int], capacity: int = TERM_CAPACITY) -> TermCounter:
        return cls(dict(doc), capacity)
