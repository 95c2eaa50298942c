"""Korean words for routing: Hangul split into content words, mapped onto the English terms cards use.

Agent cards are written in English, so a Korean question routes by mapping its content words
onto English words ("재전송" → "retransmission") before stemming. Korean glues particles and
endings to words ("재전송이", "느려요", "app과"), so the words must be found first. Two ways:

- `rule` (the default): the lighter rule. Each Hangul run is scanned left to right for the
  longest lexicon entry starting at each position; whatever is not an entry (particles such as
  과/이/가/사이에, endings such as 요/나요) is dropped. It needs no model and costs microseconds.
- `kiwi`: the kiwipiepy morphological analyser (its model ships as the `kiwipiepy-model`
  package). Its nouns, verb and adjective stems are looked up in the same lexicon. It costs about
  3 s to load and a few hundred MB of memory.

On the routing suite (`tests/collaborator/routing_suite.py`, report in
`tests/collaborator/routing_report.py`) both route every Korean question the same way, so the
rule is what routing uses; kiwi stays available (`english_words(text, "kiwi")`) to measure against.
"""

from __future__ import annotations

import functools
import re

# Korean word (or word stem, as kiwi returns it, and surface forms the rule meets) → English words.
# Only words that tell agents apart or carry intent are here; everything else is dropped.
LEXICON: dict[str, str] = {
    # symptoms of the TCP path
    "재전송": "retransmission",
    "재송신": "retransmission",
    "손실": "loss",
    "유실": "loss",
    "드롭": "drop",
    "누락": "drop",
    "지연": "latency",
    "레이턴시": "latency",
    "지터": "jitter",
    "응답시간": "latency",
    "왕복": "round trip",
    "느리": "slow",
    "느려": "slow",
    "느린": "slow",
    "느림": "slow",
    "느립": "slow",
    "늦": "slow",
    "버벅": "slow",
    "끊기": "drop",
    "끊김": "drop",
    "끊겨": "drop",
    "끊어": "drop",
    "끊긴": "drop",
    "처리량": "throughput",
    "대역폭": "bandwidth",
    "속도": "throughput",
    "리셋": "reset",
    "중복": "duplicate",
    "타임아웃": "timeout",
    "시간초과": "timeout",
    "패킷": "packet",
    "세그먼트": "segment",
    "윈도우": "window",
    "버퍼": "buffer",
    "혼잡": "congestion",
    # what is looked at
    "네트워크": "network",
    "연결": "connection",
    "커넥션": "connection",
    "트래픽": "traffic",
    "흐름": "flow",
    "플로우": "flow",
    "캡처": "capture",
    "캡쳐": "capture",
    "미러링": "mirroring",
    "지표": "metric",
    "메트릭": "metric",
    "모니터": "monitor",
    "상태": "health",
    "건강": "healthy",
    "정상": "healthy",
    "괜찮": "ok",
    "성능": "performance",
    "최악": "worst",
    "상위": "top",
    "인스턴스": "instance",
    "서버": "server",
    "데이터베이스": "database",
    "원인": "cause",
    "문제": "problem",
    "장애": "problem",
    # fixes
    "수정": "fix",
    "적용": "apply",
    "튜닝": "tuning",
    "조치": "fix",
    # other domains (so a Korean question about them routes, or is told no agent does it)
    "보안그룹": "security group",
    "보안": "security",
    "그룹": "group",
    "방화벽": "firewall",
    "포트": "port",
    "차단": "blocked",
    "거부": "refused",
    "접근": "reach",
    "접속": "connect",
    "라우팅": "routing",
    "라우트": "route",
    "경로": "route",
    "게이트웨이": "gateway",
    "피어링": "peering",
    "서브넷": "subnet",
    "도메인": "dns",
    "이름풀이": "dns resolution",
    "해석": "resolve",
    "날씨": "weather",
    "비용": "cost",
    "요금": "billing",
    "권한": "permission",
}
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_LONGEST = max(len(word) for word in LEXICON)
# kiwi tags kept: general and proper nouns, verb and adjective stems, roots, foreign words.
_KIWI_CONTENT = ("NNG", "NNP", "VV", "VA", "XR")


def rule_words(text: str) -> list[str]:
    """Lexicon entries found in each Hangul run, longest first at each position (the lighter rule)."""
    found: list[str] = []
    for run in _HANGUL_RUN.findall(text):
        i = 0
        while i < len(run):
            for size in range(min(_LONGEST, len(run) - i), 0, -1):
                if run[i : i + size] in LEXICON:
                    found.append(run[i : i + size])
                    i += size
                    break
            else:
                i += 1
    return found


@functools.cache
def _kiwi():  # kiwipiepy has no type stubs
    from kiwipiepy import Kiwi

    return Kiwi()


def kiwi_words(text: str) -> list[str]:
    """Lexicon entries among kiwi's content morphemes; a prefix (재 + 전송) joins its noun."""
    found: list[str] = []
    prefix = ""
    for token in _kiwi().tokenize(text):
        tag = token.tag.split("-")[0]
        if tag == "XPN":
            prefix = token.form
            continue
        form, prefix = prefix + token.form, ""
        if tag in _KIWI_CONTENT and _HANGUL_RUN.fullmatch(form):
            found += [form] if form in LEXICON else rule_words(form)
    return found


TOKENIZERS = {"rule": rule_words, "kiwi": kiwi_words}
DEFAULT_TOKENIZER = "rule"


def english_words(text: str, tokenizer: str = DEFAULT_TOKENIZER) -> str:
    """The English words that the Korean content words of `text` stand for, space-separated."""
    return " ".join(LEXICON[word] for word in TOKENIZERS[tokenizer](text))
