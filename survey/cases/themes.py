"""Comment themes: free-text answers classified into the root-cause categories, in zh-CN and en.

The classifier is a set of keyword rules that quality staff edit (``themekeyword``, seeded from
``survey.cases.theme_keywords``): each rule adds its weight to a theme when all its terms appear in
one clause of a comment, close together. Chinese comments are cut into words with jieba (loaded
on first use, quietly); English words are stemmed. A theme with a score of at least 1 is named
by the comment; a repeated fault supersedes a plain fault repair (it is the more specific
cause). A comment that names none is "other" (praise, suggestions, anything else).

Results are stored per answer (``commenttheme``) with the version of the keyword rules that
made them: ``refresh`` classifies new comments and, after the rules change, all of them again,
in batches; counting themes per period and group is then one grouped query
(``theme_counts``, also meant for the executive page's drivers view).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from survey.cases.theme_keywords import DEFAULT_KEYWORDS
from survey.core import db as database
from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.filters import conditions
from survey.models import Answer, CaseSetting, CommentTheme, Question, Response, ThemeKeyword, utcnow

THEMES = ("network_quality", "billing", "business_handling", "fault_repair", "repeated_fault", "staff_attitude")
OTHER = "other"
CATEGORIES = (*THEMES, OTHER)
SUPERSEDES = {"repeated_fault": ("fault_repair",)}
THRESHOLD = 1.0
MAX_GAP = 6  # words between the terms of one phrase
LANGUAGES = ("zh-CN", "en")
VERSION_KEY = "theme_version"
BATCH = 2000
PERIODS = ("week", "month", "quarter")
GROUPS = {
    "region": Response.region,
    "tier": Response.tier,
    "touch_point": Response.touch_point,
    "survey_id": Response.survey_id,
}

CLAUSE_BREAK = re.compile(r"[，。！？；：、,.!?;:\n\r…~～()（）\[\]【】\"“”]+")
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[a-z0-9]+")
NEGATORS = ("不", "没", "未", "无")
_jieba_lock = threading.Lock()


# ---------------------------------------------------------------- words


@functools.cache
def _jieba():
    """A private jieba tokenizer, built on first use with its start-up chatter silenced."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def stem(word: str) -> str:
    """A light English stemmer, applied alike to keywords and comments (so only consistency
    matters): charged/charges/charge -> charg, dropping/dropped -> drop."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith(("ed", "es")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ly"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def clauses(text: str) -> list[str]:
    return [part for part in CLAUSE_BREAK.split(text or "") if part.strip()]


def words(clause: str, language: str) -> list[str]:
    if language == "zh-CN":
        return [w.lower() for w in _jieba().cut(clause) if w.strip()]
    return [stem(w) for w in LATIN_WORD.findall(clause.lower())]


# ---------------------------------------------------------------- the classifier


@dataclass(frozen=True)
class Keyword:
    theme: str
    language: str
    phrase: str
    weight: float = 1.0

    def terms(self) -> tuple[str, ...]:
        parts = self.phrase.lower().split()
        return tuple(parts) if self.language == "zh-CN" else tuple(stem(p) for p in parts)


@dataclass(frozen=True)
class Classification:
    themes: tuple[str, ...]  # complaint themes named, strongest first
    scores: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)  # theme -> phrases found

    @property
    def labels(self) -> tuple[str, ...]:
        """The categories of the comment: its themes, or "other"."""
        return self.themes or (OTHER,)


def _chinese_match(term: str, word: str) -> bool:
    """A term within a word, unless the word negates it ("好" is not in "不好")."""
    return term in word and not any(negator + term in word for negator in NEGATORS if not term.startswith(negator))


def _found(terms: Sequence[str], clause_words: Sequence[str], chinese: bool) -> bool:
    """All terms in the clause within MAX_GAP words of the first one (any order)."""
    joined = "\x00".join(clause_words)
    if not all(term in joined for term in terms):
        return False  # most rules miss most clauses: one substring test each, before the word-by-word search

    def positions(term: str) -> list[int]:
        return [i for i, w in enumerate(clause_words) if (_chinese_match(term, w) if chinese else term == w)]

    anchors = positions(terms[0])
    others = [positions(term) for term in terms[1:]]
    return any(all(any(abs(q - p) <= MAX_GAP for q in places) for places in others) for p in anchors)


class Classifier:
    def __init__(self, keywords: Iterable[Keyword]):
        self.rules: dict[str, list[tuple[Keyword, tuple[str, ...]]]] = {lang: [] for lang in LANGUAGES}
        for keyword in keywords:
            terms = keyword.terms()
            if terms and keyword.language in self.rules:
                self.rules[keyword.language].append((keyword, terms))
        chinese_terms = {t for _, terms in self.rules["zh-CN"] for t in terms if len(t) > 1}
        if chinese_terms:
            with _jieba_lock:  # keep each term whole when jieba cuts a comment
                for term in chinese_terms:
                    _jieba().add_word(term)

    def classify(self, text: str | None) -> Classification:
        if not text or not text.strip():
            return Classification(())
        language = "zh-CN" if is_chinese(text) else "en"
        chinese = language == "zh-CN"
        cut = [words(clause, language) for clause in clauses(text)]
        scores: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        for keyword, terms in self.rules[language]:
            if any(_found(terms, clause_words, chinese) for clause_words in cut):
                scores[keyword.theme] = scores.get(keyword.theme, 0.0) + keyword.weight
                evidence.setdefault(keyword.theme, []).append(keyword.phrase)
        named = {theme for theme, score in scores.items() if score >= THRESHOLD and theme in THEMES}
        for theme, weaker in SUPERSEDES.items():
            if theme in named:
                named -= set(weaker)
        ordered = tuple(sorted(named, key=lambda theme: (-scores[theme], THEMES.index(theme))))
        return Classification(ordered, scores, {t: tuple(evidence[t]) for t in ordered})


def default_keywords() -> list[Keyword]:
    return [
        Keyword(theme, language, phrase, float(weight))
        for theme, by_language in DEFAULT_KEYWORDS.items()
        for language, entries in by_language.items()
        for phrase, weight in entries
    ]


# ---------------------------------------------------------------- the stored rules


def ensure_defaults(db: Session) -> None:
    """Seed the default keywords (and version 1) into an empty rule table."""
    if db.execute(sa.select(ThemeKeyword.id).limit(1)).first() is None:
        db.add_all(
            ThemeKeyword(theme=k.theme, language=k.language, phrase=k.phrase, weight=k.weight)
            for k in default_keywords()
        )
    if db.get(CaseSetting, VERSION_KEY) is None:
        db.add(CaseSetting(key=VERSION_KEY, value={"version": 1}))
    db.flush()


def version(db: Session) -> int:
    ensure_defaults(db)
    return int(db.get(CaseSetting, VERSION_KEY).value["version"])


def stored_keywords(db: Session) -> list[ThemeKeyword]:
    ensure_defaults(db)
    return list(
        db.execute(
            sa.select(ThemeKeyword).order_by(ThemeKeyword.theme, ThemeKeyword.language, ThemeKeyword.phrase)
        ).scalars()
    )


_classifiers: dict[tuple, Classifier] = {}


def classifier(db: Session) -> Classifier:
    """The classifier of the stored, enabled rules (built once per database and rule version;
    the version's save time tells it from the same number in a database built again)."""
    ensure_defaults(db)
    setting = db.get(CaseSetting, VERSION_KEY)
    key = (db.get_bind().url.render_as_string(hide_password=True), int(setting.value["version"]), setting.updated_at)
    if key not in _classifiers:
        _classifiers[key] = Classifier(
            Keyword(k.theme, k.language, k.phrase, k.weight) for k in stored_keywords(db) if k.enabled
        )
    return _classifiers[key]


def check_keyword(entry: dict) -> list[str]:
    """What is wrong with one edited rule (empty when it can be saved)."""
    problems = []
    if entry.get("theme") not in THEMES:
        problems.append(f"theme must be one of {', '.join(THEMES)}")
    if entry.get("language") not in LANGUAGES:
        problems.append(f"language must be {' or '.join(LANGUAGES)}")
    phrase = str(entry.get("phrase") or "").strip()
    if not phrase or len(phrase) > 100:
        problems.append("a phrase needs 1-100 characters")
    try:
        weight = float(entry.get("weight"))
    except (TypeError, ValueError):
        weight = None
    if weight is None or not -5 <= weight <= 5 or weight == 0:
        problems.append("weight must be a number from -5 to 5, not 0")
    return problems


def save_keywords(db: Session, entries: Sequence[dict], *, actor=None) -> int:
    """Replace the keyword rules with ``entries`` (theme, language, phrase, weight, enabled);
    nothing changes when any entry is wrong. Comments are classified again by ``refresh``."""
    problems = [
        f"rule {i} ({e.get('phrase') or '?'}): {p}" for i, e in enumerate(entries, start=1) for p in check_keyword(e)
    ]
    keys = [(e.get("language"), e.get("theme"), str(e.get("phrase") or "").strip()) for e in entries]
    duplicates = sorted({k[2] for k in keys if keys.count(k) > 1})
    if duplicates:
        problems.append(f"repeated rules: {', '.join(duplicates)}")
    if problems:
        raise Refused(key="errors.cases.keywords_invalid", problems="; ".join(problems))
    current = version(db)
    db.execute(sa.delete(ThemeKeyword))
    now = utcnow()
    db.add_all(
        ThemeKeyword(
            theme=e["theme"],
            language=e["language"],
            phrase=str(e["phrase"]).strip(),
            weight=float(e["weight"]),
            enabled=bool(e.get("enabled", True)),
            updated_at=now,
            updated_by_id=getattr(actor, "id", None),
        )
        for e in entries
    )
    setting = db.get(CaseSetting, VERSION_KEY)
    setting.value, setting.updated_at, setting.updated_by_id = {"version": current + 1}, now, getattr(actor, "id", None)
    db.add(setting)
    db.flush()
    record(db, actor, "themes.keywords", "themekeyword", None, {"rules": len(entries), "version": current + 1})
    return current + 1


# ---------------------------------------------------------------- classifying stored comments


def free_text_answers():
    """Answers to free-text questions (the question type of the version the response answered)."""
    return (
        sa.select(Answer.id, Answer.response_id, Answer.value_text)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, sa.and_(Question.version_id == Response.version_id, Question.code == Answer.question_code))
        .where(Question.type == "text", Answer.value_text.is_not(None), Answer.value_text != "")
    )


def theme_rows(answer_id: int, response_id: int, result: Classification, current: int) -> list[dict]:
    return [
        {
            "answer_id": answer_id,
            "theme": theme,
            "response_id": response_id,
            "version": current,
            "score": result.scores.get(theme, 0.0),
        }
        for theme in result.labels
    ]


def refresh(url: str | None = None, *, batch: int = BATCH) -> int:
    """Classify the comments not classified with the current rules; returns how many. Each batch
    commits on its own, so a long first run can be interrupted and resumed."""
    with database.session(url) as db:
        current = version(db)
        db.execute(sa.delete(CommentTheme).where(CommentTheme.version != current))
    done = 0
    while True:
        with database.session(url) as db:
            rows = db.execute(
                free_text_answers()
                .where(
                    ~sa.select(CommentTheme.answer_id).where(CommentTheme.answer_id == Answer.id).exists(),
                )
                .order_by(Answer.id)
                .limit(batch)
            ).all()
            if not rows:
                return done
            model = classifier(db)
            values = [
                row for a in rows for row in theme_rows(a.id, a.response_id, model.classify(a.value_text), current)
            ]
            db.execute(database.upsert_insert(db)(CommentTheme).values(values).on_conflict_do_nothing())
            done += len(rows)


# ---------------------------------------------------------------- counting


def period_start(day: pd.Series, period: str) -> pd.Series:
    days = pd.to_datetime(day)
    if period == "week":
        return (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date
    if period == "month":
        return days.dt.to_period("M").dt.start_time.dt.date
    if period == "quarter":
        return days.dt.to_period("Q").dt.start_time.dt.date
    raise ValueError(f"period must be one of {', '.join(PERIODS)}")


def theme_counts(db, filters, *, period: str = "month", by: str | None = None) -> pd.DataFrame:
    """Classified comments per period (and group), one row per theme: ``period``, [``by``],
    ``theme``, ``comments`` (naming the theme), ``total`` (classified comments in the cell) and
    ``share``. ``db`` is a Session or a Connection; ``filters`` a survey.core.filters.Filters.
    Run ``refresh`` (or `survey cases run`) first."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if by is not None and by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    group = [GROUPS[by].label(by)] if by else []
    keys = ["period", *([by] if by else [])]
    base = (
        sa.select(Response.answered_on, *group)
        .join(Response, Response.id == CommentTheme.response_id)
        .where(*conditions(filters))
    )
    themed = db.execute(
        base.add_columns(CommentTheme.theme, sa.func.count().label("comments")).group_by(
            Response.answered_on, *group, CommentTheme.theme
        )
    ).all()
    totals = db.execute(
        base.add_columns(sa.func.count(sa.distinct(CommentTheme.answer_id)).label("total")).group_by(
            Response.answered_on, *group
        )
    ).all()
    columns = ["answered_on", *([by] if by else [])]
    themed = pd.DataFrame(themed, columns=[*columns, "theme", "comments"])
    totals = pd.DataFrame(totals, columns=[*columns, "total"])
    if themed.empty:
        return pd.DataFrame(columns=[*keys, "theme", "comments", "total", "share"])
    for frame in (themed, totals):
        frame["period"] = period_start(frame["answered_on"], period)
    counts = themed.groupby([*keys, "theme"], as_index=False)["comments"].sum()
    counts = counts.merge(totals.groupby(keys, as_index=False)["total"].sum(), on=keys)
    counts["share"] = counts["comments"] / counts["total"]
    return counts.sort_values([*keys, "comments"], ascending=[True] * len(keys) + [False], ignore_index=True)


@dataclass(frozen=True)
class Example:
    text: str
    answered_on: date
    region: str | None
    tier: str | None
    response_id: int


def examples(db, filters, theme: str, *, limit: int = 5) -> list[Example]:
    """The newest comments of a theme within the filters."""
    rows = db.execute(
        sa.select(Answer.value_text, Response.answered_on, Response.region, Response.tier, Response.id)
        .join(CommentTheme, CommentTheme.answer_id == Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .where(CommentTheme.theme == theme, *conditions(filters))
        .order_by(Response.answered_on.desc(), Answer.id.desc())
        .limit(limit)
    ).all()
    return [Example(*row) for row in rows]
