"""The routing model: load the persisted pipeline and turn a citizen's words into a Suggestion."""

from __future__ import annotations

import json
import os
import pickle
import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier import rules
from classifier.features import CHARS, RoutingPipeline
from classifier.places import PlaceMatch, extract_places, is_place_suffix
from classifier.segment import segment
from classifier.text import normalize, stop_words, warm_up

MODEL_ENV = "HOTLINE_CLASSIFIER_MODEL"
REPO_ROOT = Path(__file__).resolve().parents[1]
# Longer input is cut before normalising; a 12345 call summary or transcript rarely needs more
# and the cut bounds the time one prediction may take.
MAX_TEXT_CHARS = 3000
DEFAULT_THRESHOLD = 0.4
MODEL_CONFIG = "model.json"
# The fitted RoutingPipeline, pickled whole and zlib-compressed (plain pickle + zlib instead
# of joblib, whose import alone took ~0.5 s on the busy bench machine). Like any pickle,
# load only model files you made or trust.
MODEL_FILE = "model.pickle.z"
MODEL_FORMAT = 6  # 6 adds the opening blocks, which code made for format 5 would silently skip
OUTPUTS = ("department", "type", "urgency", "emergency")
NO_EMERGENCY = "none"
UNKNOWN = "未知"  # type/urgency when the model directory has no pipeline for them
UTILITY_DEPARTMENT_LINES = {"GS": "WATER", "GD": "95598", "RQ": "GAS", "RL": "HEAT"}
# Recall first: the emergency head raises an alarm when all lines together reach this. Chosen
# by 5-fold cross-validation on the training split, twice (docs/classifier.md): with the rules,
# 0.98 of emergencies for 1.9 % false alarms, which an operator dismisses with one key.
EMERGENCY_MODEL_MIN_PROBABILITY = 0.10
# From this probability on, a guard word elsewhere in the call ("吐了好几回", "喘气跟拉风箱似的",
# "不知道有没有毒") no longer silences the model: by the same cross-validation, 0.982 of
# emergencies raise an alarm instead of 0.977, for 0.06 % more false alarms.
EMERGENCY_MODEL_OVERRULES_GUARDS = 0.7
UTILITY_MODEL_MIN_PROBABILITY = 0.5
EVIDENCE_SIZE = 8
# The words that raised an alarm lead the evidence; a trigger told over several clauses ("痴呆，
# 夜里出去了到现在还没回") gives its clauses' short pieces, not the whole stretch.
MAX_ALARM_EVIDENCE_CHARS = 8
# Fewer characters of meaning than this (after stop words, fillers and quantities) is no request:
# one left over ("嗯，好") says nothing, two can ("犬证怎么办").
MIN_REQUEST_CHARS = 2
_READABLE = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
_CHINESE = re.compile(r"[\u3400-\u9fff]")
_NOT_WORD = re.compile(r"[\W_]+")
# A number with an optional measure word is a quantity, never evidence ("十二个", "好几米",
# "三百多块", "12345"): jieba's dictionary, which the stop-word list comes from, cannot list them all.
_QUANTITY = re.compile(
    r"[第每好近约]?(?:[0-9.]+|[零〇一二两三四五六七八九十百千万亿几多半俩仨]+)[多余来]?"
    r"(?:[个家下次辆天年月日号点岁回趟遍件条只张间套层栋楼户人口块元米斤吨亩度分秒周位名台"
    r"盏棵根瓶包盒碗袋片段道声步头场群批份本颗截堆]|分钟|小时|公里|平方)?[多余来半]?"
)


def is_said(word: str) -> bool:
    """Whether ``word`` carries meaning of its own, even as a single character (犬 in "犬证怎么办"):
    not a stop word (single-character ones too: 的, 喂, 哈, 我) and not a quantity."""
    return word not in stop_words() and not _QUANTITY.fullmatch(word)


def is_content_word(word: str) -> bool:
    """Whether ``word`` can say what a call is about: two characters or more (a lone character
    explains nothing), not a stop word (:func:`classifier.text.stop_words`: 我们, 已经, 现在,
    好几 …) and not a quantity (一家, 十二个)."""
    return len(word) >= 2 and is_said(word)


def _alarm_words(words: str) -> list[str]:
    pieces = _NOT_WORD.split(words)
    return [
        piece
        for piece in pieces
        if len(piece) <= MAX_ALARM_EVIDENCE_CHARS and is_content_word(piece)
    ]


def default_model_dir() -> Path:
    """``$HOTLINE_CLASSIFIER_MODEL`` if set, else ``<repo>/models/routing``."""
    override = os.environ.get(MODEL_ENV)
    return Path(override) if override else REPO_ROOT / "models" / "routing"


@dataclass
class Suggestion:
    """What the classifier suggests for one text; the operator may accept or overrule it."""

    department: str | None
    top3: list[tuple[str, float]]
    type: str
    urgency: str
    emergency: str | None
    utility: str | None
    division: str | None
    place: str | None
    uncertain: bool
    reason: str | None
    evidence: list[str] = field(default_factory=list)
    truncated: bool = False
    # Every line to alert, primary (``emergency``) first; [] when there is no emergency.
    emergency_lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top3"] = [[code, round(prob, 4)] for code, prob in self.top3]
        return data


class ModelDirectoryError(ValueError):
    """The model directory is missing or does not hold a trained routing model."""


@dataclass
class RoutingModel:
    """A fitted :class:`RoutingPipeline` plus the rules, places and the uncertainty threshold."""

    pipeline: RoutingPipeline
    threshold: float = DEFAULT_THRESHOLD
    label_column: str = "department"
    _evidence_terms: np.ndarray = field(init=False, repr=False)
    _is_evidence: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if "department" not in self.pipeline.outputs:
            raise ModelDirectoryError("a routing model needs at least the department output")
        self._evidence_terms = self._readable_terms()
        self._is_evidence = self._evidence_terms != ""

    @property
    def departments(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_["department"]]

    @property
    def outputs(self) -> list[str]:
        return self.pipeline.outputs

    @classmethod
    def load(cls, path: Path | None = None) -> RoutingModel:
        """Load a model directory written by :meth:`save` (``model.json`` + ``MODEL_FILE``)."""
        directory = Path(path) if path is not None else default_model_dir()
        config_path = directory / MODEL_CONFIG
        if not config_path.is_file():
            raise ModelDirectoryError(
                f"no routing model in {directory} (missing {MODEL_CONFIG}); "
                "train one with `hotline classifier train DATA.csv --out DIR`"
            )
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if config.get("format") != MODEL_FORMAT or not (directory / MODEL_FILE).is_file():
            raise ModelDirectoryError(
                f"{directory} holds a routing model of format {config.get('format')!r}, "
                f"this version reads format {MODEL_FORMAT} ({MODEL_FILE}); retrain it with "
                "`hotline classifier train DATA.csv --out DIR`"
            )
        warm_up()
        pipeline = pickle.loads(zlib.decompress((directory / MODEL_FILE).read_bytes()))
        return cls(pipeline, config.get("threshold", DEFAULT_THRESHOLD), config["label_column"])

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps(self.pipeline, protocol=pickle.HIGHEST_PROTOCOL)
        (directory / MODEL_FILE).write_bytes(zlib.compress(data, 6))
        config = {
            "format": MODEL_FORMAT,
            "label_column": self.label_column,
            "threshold": self.threshold,
            "outputs": self.outputs,
        }
        (directory / MODEL_CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")

    def predict(self, text: str) -> Suggestion:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Suggestion]:
        """Predict for each text; empty or unreadable texts come back uncertain, never raise."""
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text #{index} is {type(text).__name__}, expected str")
        truncated = [len(text) > MAX_TEXT_CHARS for text in texts]
        normalized = [normalize(text[:MAX_TEXT_CHARS]) for text in texts]
        readable = [i for i, text in enumerate(normalized) if _READABLE.search(text)]
        results: list[Suggestion | None] = [
            self._unreadable(text, truncated[i]) for i, text in enumerate(normalized)
        ]
        if readable:
            batch = [normalized[i] for i in readable]
            for i, suggestion in zip(readable, self._predict_readable(batch), strict=True):
                suggestion.truncated = truncated[i]
                results[i] = suggestion
        return [r for r in results if r is not None]

    def _unreadable(self, normalized: str, truncated: bool) -> Suggestion:
        reason = "文本为空，请接线员补充诉求内容" if not normalized else "文本中没有可识别的文字"
        return Suggestion(
            department=None,
            top3=[],
            type=UNKNOWN,
            urgency="一般",
            emergency=None,
            utility=None,
            division=None,
            place=None,
            uncertain=True,
            reason=reason,
            truncated=truncated,
        )

    def _labels(self, name: str, probabilities: dict[str, np.ndarray], n: int) -> list[str]:
        if name not in probabilities:
            return [UNKNOWN] * n
        classes = self.pipeline.classes_[name]
        return [str(classes[k]) for k in np.argmax(probabilities[name], axis=1)]

    def _predict_readable(self, texts: list[str]) -> list[Suggestion]:
        rows = self.pipeline.vectorize_many(texts)
        probabilities = self.pipeline.probabilities(rows)
        department = probabilities["department"]
        classes = self.pipeline.classes_["department"]
        types = self._labels("type", probabilities, len(texts))
        urgencies = self._labels("urgency", probabilities, len(texts))
        emergency_model = self._model_emergencies(texts, probabilities)
        suggestions = []
        for row, text in enumerate(texts):
            order = np.argsort(-department[row])[:3]
            top3 = [(str(classes[k]), float(department[row, k])) for k in order]
            evidence = self._evidence(*rows.row(row), int(order[0]))
            emergency_hit = rules.detect_emergency(text)
            emergency = emergency_hit.code if emergency_hit else emergency_model[row]
            utility = self._utility(text, top3[0], evidence)
            place = extract_places(text)
            if emergency_hit:
                evidence[:0] = _alarm_words(emergency_hit.words)
            if place.division_text:
                evidence.append(place.division_text)
            best_code, best_probability = top3[0]
            uncertain = best_probability < self.threshold
            reason = None
            # Alarm words ("救命") are a request in themselves; the model's alarm is not proof.
            if not emergency_hit:
                reason = self._not_a_request(text, rows.row(row)[0], place, best_probability)
                uncertain = uncertain or reason is not None
            if uncertain and reason is None:
                runner_up = f"，其次 {top3[1][0]} {top3[1][1]:.2f}" if len(top3) > 1 else ""
                reason = (
                    f"最可能的部门 {best_code} 置信度 {best_probability:.2f}"
                    f" 低于阈值 {self.threshold:.2f}{runner_up}，请派单员判断"
                )
            suggestions.append(
                Suggestion(
                    department=None if uncertain else best_code,
                    top3=top3,
                    type=types[row],
                    urgency="紧急" if emergency else urgencies[row],
                    emergency=emergency,
                    utility=utility,
                    division=place.division,
                    place=place.place,
                    uncertain=uncertain,
                    reason=reason,
                    evidence=list(dict.fromkeys(evidence))[:EVIDENCE_SIZE],
                    emergency_lines=rules.emergency_lines(emergency, text),
                )
            )
        return suggestions

    def _not_a_request(
        self, text: str, indices: np.ndarray, place: PlaceMatch, probability: float
    ) -> str | None:
        """Why ``text`` reads as no request at all, or None when it says something: no Chinese
        ("hello", "123456", keyboard mash); nothing but greetings, fillers and function words
        ("喂喂喂", "哈哈哈", "你好"); a division's name alone ("红旗区"); or, where the model is
        unsure too, only what the place finder took for a street or estate ("金桂园小区")."""
        if not _CHINESE.search(text):
            return "文本中没有中文内容（像是测试、号码或乱码），请接线员核实来电诉求"
        named = [part for part in (place.division_text, place.place) if part]
        terms = self._evidence_terms[indices[self._is_evidence[indices]]]
        if any(not any(term in part for part in named) for term in terms):
            return None  # the usual case: a content word the model knows, outside any place
        dictionary = self.pipeline.dictionary
        words = segment(dictionary, [text]).words()[0] if dictionary else list(text)
        said = [word for word in words if _CHINESE.search(word) and is_said(word)]
        if sum(map(len, said)) < MIN_REQUEST_CHARS:
            return "文本只有问候、语气词或无意义的字，没有可识别的诉求，请接线员补充"
        beyond_places = [word for word in said if not any(word in part for part in named)]
        if beyond_places:
            return None
        # A street or estate ends in its suffix cut as a word of its own ("胜利|路", "桂园|小区"),
        # where "出租车|绕路" ends in a word that merely holds one; a place the model is unsure
        # of is taken for a place and nothing more either way.
        ends_in_suffix = bool(words) and is_place_suffix(words[-1])
        if (
            (place.division_text and not place.place)
            or ends_in_suffix
            or probability < self.threshold
        ):
            return f"文本只有地名（{'、'.join(named)}），没有说明诉求，请接线员补充"
        return None

    def _model_emergencies(
        self, texts: list[str], probabilities: dict[str, np.ndarray]
    ) -> list[str | None]:
        """The emergency head's likeliest line where an emergency of any line is likely enough
        and the call is not guarded (or the head is sure enough to overrule the guard)."""
        if "emergency" not in probabilities:
            return [None] * len(texts)
        classes = list(self.pipeline.classes_["emergency"])
        none = classes.index(NO_EMERGENCY)
        lines = probabilities["emergency"].copy()
        lines[:, none] = -1.0
        found: list[str | None] = []
        for row, text in enumerate(texts):
            probability = 1.0 - probabilities["emergency"][row, none]
            line = str(classes[int(np.argmax(lines[row]))])
            if probability >= EMERGENCY_MODEL_MIN_PROBABILITY and (
                probability >= EMERGENCY_MODEL_OVERRULES_GUARDS or not rules.emergency_guarded(text)
            ):
                found.append(None if rules.model_alarm_excused(line, text) else line)
            else:
                found.append(None)
        return found

    def _utility(self, text: str, best: tuple[str, float], evidence: list[str]) -> str | None:
        hit = rules.detect_utility(text)
        if hit:
            evidence.append(hit.words)
            return hit.code
        code, probability = best
        if probability >= UTILITY_MODEL_MIN_PROBABILITY:
            return UTILITY_DEPARTMENT_LINES.get(code)
        return None

    def _evidence(self, indices: np.ndarray, values: np.ndarray, class_index: int) -> list[str]:
        """The features that pushed this text towards the chosen class the most."""
        if not len(indices):
            return []
        weights = self.pipeline.head_weights("department")
        if weights.shape[1] > 1:
            class_weights = weights[:, class_index]
        else:  # binary head: its one column speaks for the second class, against the first
            class_weights = weights[:, 0] if class_index == 1 else -weights[:, 0]
        contributions = values * class_weights[indices]
        contributions[~self._is_evidence[indices]] = 0.0
        considered = min(len(contributions), EVIDENCE_SIZE)
        strongest = np.argpartition(-contributions, considered - 1)[:considered]
        chosen: list[str] = []
        for position in strongest[np.argsort(-contributions[strongest])]:
            if contributions[position] <= 0 or len(chosen) >= EVIDENCE_SIZE - 2:
                break
            term = str(self._evidence_terms[indices[position]])
            if any(term in earlier for earlier in chosen):
                continue
            # A longer term takes the place of the shorter ones it holds ("有人", "拿刀" → "有人拿刀").
            held = [index for index, earlier in enumerate(chosen) if earlier in term]
            if held:
                chosen[held[0]] = term
                chosen = [earlier for earlier in chosen if earlier not in term or earlier == term]
            else:
                chosen.append(term)
        return chosen

    def _readable_terms(self) -> np.ndarray:
        """Each feature column's term as evidence an operator can read, or "" where it is none:
        a content word (:func:`is_content_word`), and a character n-gram only where it is a
        dictionary word ("拿刀", not "刀在")."""
        terms = np.full(self.pipeline.n_features, "", dtype=object)
        dictionary = self.pipeline.dictionary
        for block in self.pipeline.blocks:
            names = [_NOT_WORD.sub("", term) for term in block.vocabulary]
            readable = np.array([is_content_word(name) for name in names], dtype=bool)
            if block.analyzer == CHARS and dictionary is not None:
                readable &= dictionary.are_words(list(block.vocabulary))
            columns = np.fromiter(block.vocabulary.values(), dtype=np.int64) + block.offset
            terms[columns[readable]] = np.array(names, dtype=object)[readable]
        return terms
