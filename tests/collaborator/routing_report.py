"""Routing on the suite, per Korean tokenizer and threshold: `uv run python tests/collaborator/routing_report.py`.

Prints precision and recall of picks and of ask-backs for each (tokenizer, NETOPS_ROUTE_MIN_SCORE,
NETOPS_ROUTE_TIE_RATIO), the misses at the defaults, and on its last line the defaults' scores.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from routing_metrics import measure
from routing_suite import BOTH, SUITE

from agents.i18n import detect_language
from agents.settings import Settings

KOREAN = [(q, e) for q, e in SUITE if detect_language(q) == "ko"]
ENGLISH = [(q, e) for q, e in SUITE if detect_language(q) == "en"]


def main() -> None:
    defaults = Settings()
    print(f"{len(SUITE)} questions ({len(KOREAN)} Korean)")
    for korean in ("rule", "kiwi"):
        started = time.perf_counter()
        for min_score in (1.0, 1.25, 1.5, 1.75, 2.0, 2.5):
            for tie in (0.7, 0.8, 0.9):
                s = measure(SUITE, BOTH, min_score=min_score, tie_ratio=tie, korean=korean)
                print(
                    f"{korean:5} min {min_score:3.1f} tie {tie:3.1f}: "
                    f"pick P {s.pick_precision:.3f} R {s.pick_recall:.3f}"
                    f" | ask P {s.ask_precision:.3f} R {s.ask_recall:.3f} | misses {len(s.misses)}"
                )
        print(f"{korean}: {time.perf_counter() - started:.1f} s for the grid")
    for korean in ("rule", "kiwi"):
        for language, part in (("en", ENGLISH), ("ko", KOREAN)):
            s = measure(
                part, BOTH, min_score=defaults.route_min_score, tie_ratio=defaults.route_tie_ratio, korean=korean
            )
            print(
                f"defaults, {korean}, {language} ({len(part)}): pick P {s.pick_precision:.3f} R {s.pick_recall:.3f}"
                f" | ask P {s.ask_precision:.3f} R {s.ask_recall:.3f}"
            )
    s = measure(SUITE, BOTH, min_score=defaults.route_min_score, tie_ratio=defaults.route_tie_ratio)
    for question, expected, got in s.misses:
        print(f"  miss: {question!r}: expected {expected}, got {got}")
    print(
        f"defaults (min {defaults.route_min_score}, tie {defaults.route_tie_ratio}, rule): "
        f"pick P {s.pick_precision:.3f} R {s.pick_recall:.3f}, ask P {s.ask_precision:.3f} R {s.ask_recall:.3f}"
    )


if __name__ == "__main__":
    main()
