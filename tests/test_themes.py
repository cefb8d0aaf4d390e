"""Comment themes: the classifier on a hand-labelled set of Chinese and English comments
(precision and recall printed per category), editable keyword rules, and counts per period."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest
from sqlmodel import select

from survey.cases import service, themes
from survey.cases.workflow import CaseError
from survey.core import db as database
from survey.core.errors import SurveyError
from survey.core.filters import Filters
from survey.models import CommentTheme
from tests.cases_support import customer, repair_survey, respond, staff, user
from tests.theme_labelled_set import LABELLED

MIN_PRECISION = 0.8  # per category; one slip in five examples still passes
MIN_RECALL = 0.75


def scores(pairs) -> dict[str, tuple[float, float, int]]:
    """Per category: (precision, recall, support) of predicted label sets against true ones."""
    result = {}
    for category in themes.CATEGORIES:
        tp = sum(category in got and category in want for want, got in pairs)
        fp = sum(category in got and category not in want for want, got in pairs)
        fn = sum(category not in got and category in want for want, got in pairs)
        result[category] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, tp + fn)
    return result


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_default_rules_classify_the_labelled_comments(language):
    classifier = themes.Classifier(themes.default_keywords())
    subset = [(text, want) for text, want in LABELLED if themes.is_chinese(text) == (language == "zh-CN")]
    pairs = [(want, set(classifier.classify(text).labels)) for text, want in subset]
    table = scores(pairs)
    print(f"\ncomment themes, {language}, {len(subset)} labelled comments")
    print(f"{'category':<18} precision  recall  support")
    for category, (precision, recall, support) in table.items():
        print(f"{category:<18} {precision:9.2f} {recall:7.2f} {support:8d}")
    for category, (precision, recall, support) in table.items():
        assert support >= 3, f"the labelled set needs examples of {category}"
        assert precision >= MIN_PRECISION and recall >= MIN_RECALL, (category, precision, recall)


def test_a_comment_can_name_several_themes_and_praise_names_none():
    classifier = themes.Classifier(themes.default_keywords())
    both = classifier.classify("宽带又坏了，这是第三次报修，客服还推诿")
    assert set(both.labels) == {"repeated_fault", "staff_attitude"}  # repeated fault supersedes repair
    assert "推诿" in both.evidence["staff_attitude"]
    assert classifier.classify("态度很好，办理也快").labels == ("other",)
    assert classifier.classify("").labels == ("other",)


def test_staff_edit_the_keywords_and_comments_are_classified_again(db_url):
    with database.session() as db:
        repair_survey(db)
        staff(db, "lead", "quality")
        respond(db, *customer(db, "C1", "standard"), comment="套餐资费太贵了")
    assert themes.refresh() == 1
    with database.session() as db:
        assert db.exec(select(CommentTheme.theme)).all() == ["other"]
        rules = [
            {"theme": k.theme, "language": k.language, "phrase": k.phrase, "weight": k.weight, "enabled": k.enabled}
            for k in themes.stored_keywords(db)
        ]
        with pytest.raises(ValueError, match="weight"):
            themes.save_keywords(
                db, [*rules, {"theme": "billing", "language": "zh-CN", "phrase": "资费", "weight": "heavy"}]
            )
        version = themes.save_keywords(
            db,
            [*rules, {"theme": "billing", "language": "zh-CN", "phrase": "资费 贵", "weight": 1, "enabled": True}],
            actor=user(db, "lead"),
        )
    assert version == 2
    assert themes.refresh() == 1
    with database.session() as db:
        assert db.exec(select(CommentTheme.theme, CommentTheme.version)).all() == [("billing", 2)]


def test_theme_counts_per_month_and_region_with_examples(db_url):
    with database.session() as db:
        repair_survey(db)
        for i, (region, text) in enumerate(
            [
                ("Hangzhou", "账单看不懂，乱扣费"),
                ("Hangzhou", "网速太慢了"),
                ("Ningbo", "The bill has a fee I never agreed to"),
                ("Ningbo", "Thank you, all good"),
            ]
        ):
            respond(db, *customer(db, f"C{i}", "standard", region=region), comment=text)
        respond(db, *customer(db, "NOCOMMENT", "gold"))
    themes.refresh()
    with database.session() as db:
        counts = themes.theme_counts(db, Filters(), period="month", by="region")
        ningbo = themes.theme_counts(db, Filters(regions=("Ningbo",)), period="week")
        billing = themes.examples(db, Filters(), "billing")
        nothing = themes.theme_counts(db, Filters(start=date(2001, 1, 1), end=date(2001, 1, 31)))
    table = {(row.region, row.theme): (row.comments, row.total) for row in counts.itertuples()}
    assert table == {
        ("Hangzhou", "billing"): (1, 2),
        ("Hangzhou", "network_quality"): (1, 2),
        ("Ningbo", "billing"): (1, 2),
        ("Ningbo", "other"): (1, 2),
    }
    assert sorted(ningbo["theme"]) == ["billing", "other"] and set(ningbo["share"]) == {0.5}
    assert {e.text for e in billing} == {"账单看不懂，乱扣费", "The bill has a fee I never agreed to"}
    assert nothing.empty


def test_only_quality_staff_and_admins_change_the_rules_and_a_new_rule_classifies_at_once(db_url):
    with database.session() as db:
        lead, agent = staff(db, "lead", "quality").id, staff(db, "ag", "agent").id
    rules = [asdict(rule) for rule in service.keyword_rules()]  # the defaults, seeded on first use
    grumpy = {"theme": "staff_attitude", "language": "en", "phrase": "grumpy", "weight": 1.0, "enabled": True}
    assert rules and "staff_attitude" not in service.classify_comment("The engineer was grumpy").labels
    with pytest.raises(CaseError, match="only quality staff and admins"):
        service.save_keyword_rules(agent, [*rules, grumpy])
    with pytest.raises(SurveyError, match="weight must be"):  # all or nothing
        service.save_keyword_rules(lead, [*rules, grumpy, {**grumpy, "phrase": "rude", "weight": 0}])
    assert len(service.keyword_rules()) == len(rules)
    assert service.save_keyword_rules(lead, [*rules, grumpy]) == 2
    assert "staff_attitude" in service.classify_comment("The engineer was grumpy").labels
