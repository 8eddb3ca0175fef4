"""Speech-text -> legal topic classifier (weighted lexicon + naive Bayes, group-first decision)."""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jieba
import yaml

from hotline.config_files import load_config
from hotline.taxonomy import TopicsFile

jieba.setLogLevel(logging.WARNING)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_DIR = PACKAGE_DIR.parent / "config"
DEFAULT_LEXICON = PACKAGE_DIR / "lexicon.yaml"

MAX_CHARS = 500  # longer input is truncated before anything else
NB_ALPHA = 0.1  # additive smoothing of the naive Bayes counts
NB_WEIGHT = 0.15  # weight of the naive Bayes score when no keyword matched
NB_TIEBREAK_WEIGHT = 0.05  # its weight when keywords matched: it only breaks near-ties
BIGRAM_WEIGHT = 0.5  # character bigrams count half as much as words
TEMPERATURE = 1.0  # softmax temperature over the combined scores
EVIDENCE_SCALE = 2.0  # evidence needed for ~63% of the softmax probability to survive
MIN_EVIDENCE = 0.6  # below this much evidence we fall back to the default topic

# Phone-call filler, greetings and politeness that carry no topic information.
FILLERS = (
    "我想问一下", "我想咨询一下", "想咨询一下", "想问一下", "请问一下", "咨询一下", "问一下",
    "您好", "你好", "请问", "谢谢", "麻烦", "那个", "就是说", "就是", "然后", "怎么办",
    "怎么样", "怎么处理", "应该", "可以", "能不能", "是不是", "有没有", "的话", "这个",
    "喂", "嗯", "啊", "呃", "哦",
)  # fmt: skip
_FILLER_RE = re.compile("|".join(sorted(map(re.escape, FILLERS), key=len, reverse=True)))
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


def _is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (basic block or extension A)."""
    return "\u3400" <= ch <= "\u9fff"


class TopicClassifier:
    """Classify caller speech text into one topic of config/topics.yaml."""

    def __init__(self, topics_path: Path, lexicon_path: Path) -> None:
        """Load the taxonomy and the lexicon, train naive Bayes and build the lookup table."""
        topics_path = Path(topics_path)
        taxonomy = load_config(topics_path.parent, topics_path.name, TopicsFile).taxonomy()
        self.default_topic: str = taxonomy.default_topic
        self.topic_group: dict[str, str] = {
            topic: group.digit for group in taxonomy.groups for topic in group.topics
        }
        self.topics: tuple[str, ...] = tuple(self.topic_group)  # taxonomy order, for ties
        self.groups: tuple[str, ...] = tuple(dict.fromkeys(self.topic_group.values()))
        # Topic indices per group, in taxonomy order.
        self._group_members: tuple[tuple[int, ...], ...] = tuple(
            tuple(i for i, t in enumerate(self.topics) if self.topic_group[t] == g)
            for g in self.groups
        )

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

        self._vocab = self._build_vocab(examples)
        self._vocab_maxlen = max(map(len, self._vocab), default=2)
        self._train(examples)
        self._build_table()

    # -- load time -------------------------------------------------------------------------

    def _build_vocab(self, examples: dict[str, list[str]]) -> frozenset[str]:
        """Word features: the keywords plus the jieba words of the example phrases."""
        tokenizer = jieba.Tokenizer()  # private: the global jieba dictionary stays unchanged
        for word in sorted(self.keywords):
            if len(word) >= 2:
                tokenizer.add_word(word, freq=2000)
        vocab = {w for w in self.keywords if len(w) >= 2}
        for topic in self.topics:
            for phrase in examples[topic]:
                for token in tokenizer.lcut(_strip_fillers(normalize(phrase))):
                    token = token.strip()
                    if len(token) >= 2 and token not in STOPWORDS and not token.isdigit():
                        vocab.add(token)
        return frozenset(vocab)

    def _features(self, text: str) -> defaultdict[str, float]:
        """Word features (vocabulary words found as substrings) and CJK character bigrams.

        Used at load time only; classify() computes the same sum through the lookup table.
        """
        text = _strip_fillers(normalize(text))
        # Weights, not counts: a bigram counts BIGRAM_WEIGHT.
        feats: defaultdict[str, float] = defaultdict(float)
        for i in range(len(text)):
            for j in range(i + 2, min(len(text), i + self._vocab_maxlen) + 1):
                if text[i:j] in self._vocab:
                    feats["w:" + text[i:j]] += 1.0
            if i + 1 < len(text) and _is_cjk(text[i]) and _is_cjk(text[i + 1]):
                feats["b:" + text[i : i + 2]] += BIGRAM_WEIGHT
        return feats

    def _train(self, examples: dict[str, list[str]]) -> None:
        """Build per-topic log-likelihood ratios from examples and keywords."""
        counts: dict[str, defaultdict[str, float]] = {t: defaultdict(float) for t in self.topics}
        for topic, phrases in examples.items():
            for phrase in phrases:
                for feature, n in self._features(phrase).items():
                    counts[topic][feature] += n
        for word, weights in self.keywords.items():
            for topic, weight in weights.items():
                for feature, n in self._features(word).items():
                    counts[topic][feature] += n * weight / 3.0
        vocab = sorted(set().union(*counts.values()))
        size = len(vocab)
        totals = {t: sum(counts[t].values()) for t in self.topics}
        # ratio[f][t] = log P(f|t) - log mean_t' P(f|t'): zero for uninformative features.
        self.ratio: dict[str, tuple[float, ...]] = {}
        for feature in vocab:
            logp = [
                math.log((counts[t][feature] + NB_ALPHA) / (totals[t] + NB_ALPHA * size))
                for t in self.topics
            ]
            mean = _logsumexp(logp) - math.log(len(logp))
            self.ratio[feature] = tuple(lp - mean for lp in logp)

    def _build_table(self) -> None:
        """One dict for the single pass over substrings at classification time.

        Every prefix of a keyword or a feature string is a key, so a scan can stop extending a
        substring as soon as it is not a key. A value is (keyword weights per topic or None,
        the summed naive Bayes ratios of the word and bigram features or None).
        """
        strings: set[str] = set(self.keywords)
        strings.update(f[2:] for f in self.ratio)
        table: dict[str, tuple[tuple[float, ...] | None, tuple[float, ...] | None]] = {}
        for s in sorted(strings):
            kw = self.keywords.get(s)
            kw_vec = tuple(kw.get(t, 0.0) for t in self.topics) if kw else None
            nb_vec = None
            for feature, weight in (("w:" + s, 1.0), ("b:" + s, BIGRAM_WEIGHT)):
                ratios = self.ratio.get(feature)
                if ratios is not None:
                    nb_vec = [0.0] * len(self.topics) if nb_vec is None else nb_vec
                    nb_vec = [v + weight * r for v, r in zip(nb_vec, ratios, strict=True)]
            table[s] = (kw_vec, tuple(nb_vec) if nb_vec is not None else None)
            for k in range(1, len(s)):
                table.setdefault(s[:k], (None, None))
        self._table = table
        self._maxlen = max(map(len, strings), default=1)
        self._zero = (0.0,) * len(self.topics)

    # -- classification ------------------------------------------------------------------

    def scores(self, text: str) -> tuple[list[float], list[float]]:
        """Return (keyword score, naive Bayes log-likelihood ratio) per topic for normalised text.

        One pass over the substrings of the text. A keyword inside a longer matched keyword
        is not counted; a keyword counts once however often it occurs.
        """
        text = _strip_fillers(text)
        get, n, maxlen = self._table.get, len(text), self._maxlen
        nb_vecs: list[tuple[float, ...]] = []
        matches: list[tuple[int, int, str]] = []  # (-length, start, keyword)
        for i in range(n):
            for j in range(i + 1, (i + maxlen if i + maxlen < n else n) + 1):
                entry = get(text[i:j])
                if entry is None:  # no keyword or feature starts with text[i:j]
                    break
                if entry[1] is not None:
                    nb_vecs.append(entry[1])
                if entry[0] is not None:
                    matches.append((i - j, i, text[i:j]))
        nb = [sum(col) for col in zip(*nb_vecs, strict=True)] if nb_vecs else list(self._zero)
        if not matches:
            return list(self._zero), nb
        matches.sort()  # longest first, then left to right
        reach: dict[int, int] = {}  # start -> furthest end of a matched keyword starting there
        counted: dict[str, tuple[float, ...]] = {}
        for neg_len, start, word in matches:
            end = start - neg_len
            # A containing keyword starts at most maxlen before this one ends.
            inside = any(reach.get(a, -1) >= end for a in range(max(0, end - maxlen), start + 1))
            if not inside and word not in counted:
                weights = self._table[word][0]
                assert weights is not None  # `matches` holds keywords only
                counted[word] = weights
            if reach.get(start, -1) < end:
                reach[start] = end
        return [sum(col) for col in zip(*counted.values(), strict=True)], nb

    def classify(self, text: str) -> Classification:
        """Classify caller speech text; never raises on str input."""
        clean = normalize(text)
        if not any(ch.isalnum() for ch in clean):
            return self._default(0.0)
        kw, nb = self.scores(clean)
        nb_weight = NB_TIEBREAK_WEIGHT if max(kw) > 0.0 else NB_WEIGHT
        logits = [k + nb_weight * b for k, b in zip(kw, nb, strict=True)]
        top = max(logits)
        probs = [math.exp((x - top) / TEMPERATURE) for x in logits]
        # Decide the routing group by its summed probability (ties: first group in the
        # taxonomy), then take the best topic inside that group (ties: first topic).
        best_group, best_mass = 0, -1.0
        for g, members in enumerate(self._group_members):
            mass = sum(probs[i] for i in members)
            if mass > best_mass:
                best_group, best_mass = g, mass
        best = max(self._group_members[best_group], key=logits.__getitem__)
        evidence = kw[best] + max(nb_weight * nb[best], 0.0)
        if evidence < MIN_EVIDENCE:
            return self._default(0.0)
        # The confidence is the topic's (the IVR confirms the topic by name): its probability,
        # damped when there is little evidence.
        confidence = probs[best] / sum(probs) * (1.0 - math.exp(-evidence / EVIDENCE_SCALE))
        topic = self.topics[best]
        return Classification(topic, self.topic_group[topic], round(confidence, 4))

    def _default(self, confidence: float) -> Classification:
        """Return the default topic with the given confidence."""
        return Classification(self.default_topic, self.topic_group[self.default_topic], confidence)


def _strip_fillers(text: str) -> str:
    """Replace phone filler with a space, so no keyword or feature spans the gap."""
    return _FILLER_RE.sub(" ", text)


def _load_yaml(path: Path) -> Any:
    """Parse a UTF-8 YAML file (with the C loader when available)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def _logsumexp(values: list[float]) -> float:
    """Numerically stable log(sum(exp(values)))."""
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


# One classifier per config directory and process: building one takes seconds and tens of MiB.
_classifiers: dict[Path, TopicClassifier] = {}
_classifiers_lock = threading.Lock()


def load_classifier(config_dir: Path | None = None) -> TopicClassifier:
    """Return the process-wide classifier for config_dir (default: the repo's config/).

    Built once even when several threads ask for it at the same time: the others wait for it.
    """
    config_dir = Path(config_dir) if config_dir is not None else DEFAULT_CONFIG_DIR
    key = config_dir.resolve()
    with _classifiers_lock:
        classifier = _classifiers.get(key)
        if classifier is None:
            classifier = TopicClassifier(config_dir / "topics.yaml", DEFAULT_LEXICON)
            _classifiers[key] = classifier
        return classifier
