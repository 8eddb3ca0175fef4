"""Speech-text -> legal topic classifier (jieba + weighted lexicon + naive Bayes)."""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jieba
import yaml

jieba.setLogLevel(logging.WARNING)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_DIR = PACKAGE_DIR.parent / "config"
DEFAULT_LEXICON = PACKAGE_DIR / "lexicon.yaml"

MAX_CHARS = 500  # longer input is truncated before anything else
NB_ALPHA = 0.1  # additive smoothing of the naive Bayes counts
NB_WEIGHT = 0.15  # weight of the naive Bayes score next to the keyword score
BIGRAM_WEIGHT = 0.5  # character bigrams count half as much as jieba words
TEMPERATURE = 1.0  # softmax temperature over the combined scores
EVIDENCE_SCALE = 2.0  # evidence needed for ~63% of the softmax probability to survive
MIN_EVIDENCE = 0.6  # below this much evidence we fall back to the default topic

# Phone-call filler, greetings and politeness that carry no topic information.
FILLERS = (
    "我想问一下", "我想咨询一下", "想咨询一下", "想问一下", "请问一下", "咨询一下", "问一下",
    "您好", "你好", "请问", "谢谢", "麻烦", "那个", "就是说", "就是", "然后", "怎么办",
    "怎么样", "怎么处理", "应该", "可以", "能不能", "是不是", "有没有", "的话", "这个",
    "喂", "嗯", "啊", "呃", "哦",
)
_FILLER_RE = re.compile("|".join(sorted(map(re.escape, FILLERS), key=len, reverse=True)))
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_SPACE = re.compile(r"\s+")
STOPWORDS = frozenset(
    "我们 你们 他们 她们 自己 现在 已经 还是 但是 因为 所以 如果 什么 这样 那样 这种 一个 "
    "没有 不是 知道 需要 问题 情况 法律 一下 时候 时间 一直 出来 起来 多少 对方 要求".split()
)


@dataclass(frozen=True)
class Classification:
    """One classification result: topic, its routing group and a confidence in [0, 1]."""

    topic: str
    group: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a plain dict (JSON-ready)."""
        return asdict(self)


def normalize(text: Any) -> str:
    """NFKC-normalise, lower-case, truncate and strip whitespace from raw input."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])[:MAX_CHARS].lower()
    return _SPACE.sub("", text)


class TopicClassifier:
    """Classify caller speech text into one topic of config/topics.yaml."""

    def __init__(self, topics_path: Path, lexicon_path: Path) -> None:
        """Load the taxonomy and the lexicon and train the naive Bayes part."""
        taxonomy = _load_yaml(topics_path)
        self.default_topic: str = taxonomy["default_topic"]
        self.topic_group: dict[str, str] = {}
        for group, spec in taxonomy["groups"].items():
            for topic in spec["topics"]:
                self.topic_group[str(topic)] = str(group)
        if self.default_topic not in self.topic_group:
            raise ValueError(f"default topic {self.default_topic!r} is in no group")
        self.topics: tuple[str, ...] = tuple(self.topic_group)  # taxonomy order, for ties

        lexicon = _load_yaml(lexicon_path)["topics"]
        unknown = sorted(set(lexicon) - set(self.topic_group))
        if unknown:
            raise ValueError(f"lexicon names unknown topics: {unknown}")
        self.keywords: dict[str, dict[str, float]] = {}  # keyword -> {topic: weight}
        examples: dict[str, list[str]] = {t: [] for t in self.topics}
        for topic in self.topics:
            entry = lexicon.get(topic) or {}
            for word, weight in (entry.get("keywords") or {}).items():
                word = normalize(str(word))
                if word:
                    self.keywords.setdefault(word, {})[topic] = float(weight)
            examples[topic] = [str(e) for e in entry.get("examples") or []]

        self._tokenizer = jieba.Tokenizer()
        for word in sorted(self.keywords):
            if len(word) >= 2:
                self._tokenizer.add_word(word, freq=2000)
        self._train(examples)

    def _train(self, examples: dict[str, list[str]]) -> None:
        """Build per-topic log-likelihood ratios from examples and keywords."""
        counts: dict[str, Counter[str]] = {t: Counter() for t in self.topics}
        for topic, phrases in examples.items():
            for phrase in phrases:
                counts[topic].update(self._features(phrase))
        for word, weights in self.keywords.items():
            for topic, weight in weights.items():
                for feature, n in self._features(word).items():
                    counts[topic][feature] += n * weight / 3.0
        vocab = sorted(set().union(*counts.values()))
        size = len(vocab)
        totals = {t: sum(counts[t].values()) for t in self.topics}
        # ratio[f][t] = log P(f|t) - log mean_t' P(f|t'): zero for uninformative features.
        self.ratio: dict[str, list[float]] = {}
        for feature in vocab:
            logp = [
                math.log((counts[t][feature] + NB_ALPHA) / (totals[t] + NB_ALPHA * size))
                for t in self.topics
            ]
            mean = _logsumexp(logp) - math.log(len(logp))
            self.ratio[feature] = [lp - mean for lp in logp]

    def _features(self, text: str) -> Counter[str]:
        """Return jieba word and character-bigram features of normalised text."""
        text = _FILLER_RE.sub(" ", normalize(text))
        feats: Counter[str] = Counter()
        for token in self._tokenizer.lcut(text):
            token = token.strip()
            if len(token) >= 2 and token not in STOPWORDS and not token.isdigit():
                feats["w:" + token] += 1.0
        for run in _CJK_RUN.findall(text):
            for i in range(len(run) - 1):
                feats["b:" + run[i : i + 2]] += BIGRAM_WEIGHT
        return feats

    def keyword_scores(self, text: str) -> dict[str, float]:
        """Sum keyword weights per topic; a keyword inside a longer matched one is ignored."""
        found = [w for w in self.keywords if w in text]
        spans: list[tuple[int, int]] = []
        scores = dict.fromkeys(self.topics, 0.0)
        for word in sorted(found, key=lambda w: (-len(w), w)):
            starts = _find_all(text, word)
            free = [s for s in starts if not any(a <= s and s + len(word) <= b for a, b in spans)]
            spans.extend((s, s + len(word)) for s in starts)
            if free:
                for topic, weight in self.keywords[word].items():
                    scores[topic] += weight
        return scores

    def nb_scores(self, text: str) -> dict[str, float]:
        """Return the centred naive Bayes log-likelihood of the text per topic."""
        scores = [0.0] * len(self.topics)
        for feature, n in self._features(text).items():
            ratios = self.ratio.get(feature)
            if ratios:
                for i, r in enumerate(ratios):
                    scores[i] += n * r
        return dict(zip(self.topics, scores, strict=True))

    def classify(self, text: str) -> Classification:
        """Classify caller speech text; never raises on str input."""
        clean = normalize(text)
        if not any(ch.isalnum() for ch in clean):
            return self._default(0.0)
        kw = self.keyword_scores(clean)
        nb = self.nb_scores(clean)
        logits = [kw[t] + NB_WEIGHT * nb[t] for t in self.topics]
        best = max(range(len(self.topics)), key=lambda i: (logits[i], -i))
        topic = self.topics[best]
        evidence = kw[topic] + NB_WEIGHT * max(nb[topic], 0.0)
        if evidence < MIN_EVIDENCE:
            return self._default(0.0)
        top = logits[best]
        probs = [math.exp((x - top) / TEMPERATURE) for x in logits]
        confidence = (1.0 / sum(probs)) * (1.0 - math.exp(-evidence / EVIDENCE_SCALE))
        return Classification(topic, self.topic_group[topic], round(confidence, 4))

    def _default(self, confidence: float) -> Classification:
        """Return the default topic with the given confidence."""
        return Classification(
            self.default_topic, self.topic_group[self.default_topic], confidence
        )


def _load_yaml(path: Path) -> Any:
    """Parse a UTF-8 YAML file (with the C loader when available)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def _logsumexp(values: list[float]) -> float:
    """Numerically stable log(sum(exp(values)))."""
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _find_all(text: str, word: str) -> list[int]:
    """Return every start index of word in text (overlaps included)."""
    starts, i = [], text.find(word)
    while i >= 0:
        starts.append(i)
        i = text.find(word, i + 1)
    return starts


@functools.lru_cache(maxsize=4)
def load_classifier(config_dir: Path | None = None) -> TopicClassifier:
    """Return the process-wide classifier for config_dir (default: the repo's config/)."""
    config_dir = Path(config_dir) if config_dir is not None else DEFAULT_CONFIG_DIR
    return TopicClassifier(config_dir / "topics.yaml", DEFAULT_LEXICON)
