"""Benchmark: texts/s of vaderSentiment against brandpulse's own VADER (``streams.vader``), and the tight loop.

    .venv/bin/python bench/sentiment.py [--posts 20000] [--repeat 5] [--profile] [--top 25]

What it measures, interleaved, median (min-max) of ``--repeat`` runs, in texts (posts) per CPU second of
this process (``time.process_time``: on a busy machine the other processes' share of the cores does not
count, as it would in wall-clock time):

* **scorers**, over two inputs: the texts of ``bench/ingest.py``'s generated canonical posts (``--posts``
  of them) and the texts of the bundled real tweets (``agents/samples/tweets-2015-cc0.jsonl.gz``, the
  text the decoder gives a post, so a retweet's is "RT @handle: " plus the original's full text; 10
  passes per run, a fresh scorer for each):

  - vaderSentiment's ``polarity_scores``, and ``streams.vader.Vader.polarity_scores``;
  - ``SentimentScorer.score`` before (the former wrapper around vaderSentiment, kept here as
    ``VaderSentimentScorer``) and now, and now behind an 8,192-entry LRU cache keyed by text (fresh
    for each pass, so only repeats within the input hit it).

* **tight loop**: ``decode_post`` + ``enrich`` per raw post, as ``bench/ingest.py``'s ``tight_loop``, with
  the former scorer and the new one, then the CPU time per post of each stage alone (decode,
  extraction, sentiment) and what is left for the record construction and glue of ``enrich``.

``--profile`` also runs the tight loop under cProfile with each scorer and prints the top functions by own
time. It asserts nothing (the parity tests hold the scores equal); it does print whether both scorers
agreed on every text here.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import generate_canonical  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from schemas.decode import decode_post  # noqa: E402
from schemas.records import Sentiment  # noqa: E402
from streams import extract  # noqa: E402
from streams.enrich import enrich  # noqa: E402
from streams.sentiment import SentimentScorer, label_of  # noqa: E402
from streams.vader import Vader  # noqa: E402

SAMPLE = ROOT / "agents" / "samples" / "tweets-2015-cc0.jsonl.gz"
CACHE_SIZE = 8192


class VaderSentimentScorer:
    """``streams.sentiment.SentimentScorer`` as it was before ``streams.vader``: vaderSentiment itself,
    neutral words popped from its lexicon for the call and put back."""

    __slots__ = ("_lexicon", "_polarity")

    def __init__(self) -> None:
        analyzer = SentimentIntensityAnalyzer()
        self._polarity = analyzer.polarity_scores
        self._lexicon: dict[str, float] = analyzer.lexicon

    def scores_any(self, text: str, words: frozenset[str]) -> bool:
        lowered = None
        for w in words:
            if w in self._lexicon:
                lowered = lowered if lowered is not None else text.lower()
                if w in lowered:
                    return True
        return False

    def score(self, text: str, neutral_words: frozenset[str] = frozenset()) -> Sentiment:
        removed = {w: self._lexicon.pop(w) for w in neutral_words if w in self._lexicon} if neutral_words else None
        try:
            s = self._polarity(text)
        finally:
            if removed:
                self._lexicon.update(removed)
        compound = s["compound"]
        return Sentiment(compound=compound, pos=s["pos"], neu=s["neu"], neg=s["neg"], label=label_of(compound))


def real_messages() -> list[bytes]:
    with gzip.open(SAMPLE, "rb") as f:
        return [line for line in f if line.strip()]


#: The clock: this process's CPU time, so that other processes on a busy machine do not count.
clock = time.process_time


def rate(make: Callable[[], Callable[[str], object]], texts: list[str], passes: int = 1) -> float:
    """Texts per CPU second over ``passes`` passes, each with a fresh scorer (and so a cold cache)."""
    spent = 0.0
    for _ in range(passes):
        fn = make()
        t = clock()
        for text in texts:
            fn(text)
        spent += clock() - t
    return passes * len(texts) / spent


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):>9,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def scorer_table(inputs: dict[str, tuple[list[str], int]], repeat: int) -> None:
    vs = SentimentIntensityAnalyzer()
    fast = Vader()
    systems: dict[str, Callable[[], Callable[[str], object]]] = {
        "vaderSentiment polarity_scores": lambda: vs.polarity_scores,
        "streams.vader Vader.polarity_scores": lambda: fast.polarity_scores,
        "SentimentScorer.score, before (vaderSentiment)": lambda: VaderSentimentScorer().score,
        "SentimentScorer.score, now (streams.vader)": lambda: SentimentScorer().score,
        f"  the same behind an LRU cache of {CACHE_SIZE:,}": lambda: lru_cache(maxsize=CACHE_SIZE)(
            SentimentScorer().score
        ),
    }
    for name, (texts, passes) in inputs.items():
        agree = sum(vs.polarity_scores(t) == fast.polarity_scores(t) for t in texts)
        repeats = len(texts) - len(set(texts))
        print(f"\n{name}: {len(texts):,} texts, {sum(map(len, texts)) / len(texts):,.0f} characters on average, "
              f"{repeats:,} repeated texts ({repeats / len(texts):.1%}); identical scores on {agree:,}; "
              f"{passes} pass(es) per run")
        for make in systems.values():  # warm up
            rate(make, texts[:200])
        results: dict[str, list[float]] = {k: [] for k in systems}
        for _ in range(repeat):  # interleaved, so a busy moment hits every system alike
            for label, make in systems.items():
                results[label].append(rate(make, texts, passes))
        base = statistics.median(results["vaderSentiment polarity_scores"])
        print(f"  {'scorer':<48} {'texts per CPU s, median (min-max)':>34}  speed-up")
        for label, values in results.items():
            print(f"  {label:<48} {spread(values):>34}  {statistics.median(values) / base:6.2f}x")


def tight_loop(messages: list[bytes], scorer: object) -> float:
    """bench/ingest.py's ``tight_loop`` with the scorer given (posts per CPU second)."""
    for raw in messages[:50]:
        enrich(decode_post(raw), scorer)  # type: ignore[arg-type]
    t = clock()
    for raw in messages:
        enrich(decode_post(raw), scorer)  # type: ignore[arg-type]
    return len(messages) / (clock() - t)


def stage_times(messages: list[bytes], scorer: object) -> dict[str, float]:
    """Microseconds per post of each stage of the tight loop, each timed alone over all posts."""
    posts = [decode_post(raw) for raw in messages]
    t0 = clock()
    for raw in messages:
        decode_post(raw)
    t1 = clock()
    for p in posts:
        extract.extract(p.text, p.hashtags, p.mentions)
    t2 = clock()
    score = scorer.score  # type: ignore[attr-defined]
    for p in posts:
        score(p.text)
    t3 = clock()
    for p in posts:
        enrich(p, scorer)  # type: ignore[arg-type]
    t4 = clock()
    per = 1e6 / len(messages)
    decode, extraction, sentiment, whole = (t1 - t0) * per, (t2 - t1) * per, (t3 - t2) * per, (t4 - t3) * per
    return {"decode_post": decode, "extract.extract": extraction, "scorer.score": sentiment,
            "rest of enrich (records, strip_urls, glue)": whole - extraction - sentiment,
            "decode_post + enrich": decode + whole}


def loop_table(name: str, messages: list[bytes], repeat: int) -> None:
    scorers = {"before (vaderSentiment)": VaderSentimentScorer(), "now (streams.vader)": SentimentScorer()}
    results: dict[str, list[float]] = {k: [] for k in scorers}
    stages: dict[str, list[dict[str, float]]] = {k: [] for k in scorers}
    for _ in range(repeat):
        for label, scorer in scorers.items():
            results[label].append(tight_loop(messages, scorer))
            stages[label].append(stage_times(messages, scorer))
    print(f"\ntight loop, decode_post + enrich, {name}: {len(messages):,} posts")
    for label, values in results.items():
        print(f"  {label:<26} posts per CPU s {spread(values)}")
    print(f"  µs per post, median of {repeat}: {'':<27}" + "".join(f"{k:>26}" for k in scorers))
    for stage in stages[next(iter(scorers))][0]:
        print(f"  {stage:<58}" + "".join(f"{statistics.median(s[stage] for s in stages[k]):>26.1f}" for k in scorers))


def profile(messages: list[bytes], top: int) -> None:
    scorers = {"before (vaderSentiment)": VaderSentimentScorer(), "now (streams.vader)": SentimentScorer()}
    for label, scorer in scorers.items():
        tight_loop(messages[:200], scorer)
        prof = cProfile.Profile()
        prof.enable()
        tight_loop(messages, scorer)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        total = next(line for line in lines if "function calls" in line)
        print(f"\ncProfile of the tight loop, {label}, {len(messages):,} posts: {total.strip()}")
        print("\n".join(lines[start:start + top + 1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also profile the tight loop with cProfile")
    parser.add_argument("--top", type=int, default=25, help="functions to print per profile")
    parser.add_argument("--skip-loop", action="store_true", help="only the scorers")
    args = parser.parse_args()

    generated = generate_canonical(args.posts)
    real = real_messages()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}")
    scorer_table({"generated (bench/ingest.py generate_canonical)": ([decode_post(m).text for m in generated], 1),
                  "real tweets (agents/samples)": ([decode_post(m).text for m in real], 10)}, args.repeat)
    if not args.skip_loop:
        loop_table("generated canonical posts", generated, args.repeat)
        loop_table("the real sample tweets (Twitter v1.1), 10 times over", real * 10, args.repeat)
    if args.profile:
        profile(generated, args.top)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
