"""The question-type registry: the one place that knows what each question type is.

Each type says whether its answers are numbers on a scale (and so feed means, top-box and
rank statistics), which scales it allows, and whether it carries options or matrix items.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionType:
    name: str
    numeric: bool  # answers stored in Answer.value_num
    scales: tuple[tuple[int, int], ...] = ()  # allowed (min, max); empty = no scale
    default_scale: tuple[int, int] | None = None
    has_options: bool = False
    has_items: bool = False
    multiple: bool = False  # several options may be chosen
    free_text: bool = False


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t
    for t in (
        QuestionType("rating", numeric=True, scales=((1, 5), (1, 7), (0, 10)), default_scale=(1, 5)),
        QuestionType("nps", numeric=True, scales=((0, 10),), default_scale=(0, 10)),
        QuestionType("ces", numeric=True, scales=((1, 7), (1, 5)), default_scale=(1, 7)),
        QuestionType("matrix", numeric=True, scales=((1, 5), (1, 7), (0, 10)), default_scale=(1, 5), has_items=True),
        QuestionType("yes_no", numeric=True, scales=((0, 1),), default_scale=(0, 1)),
        QuestionType("single", numeric=False, has_options=True),
        QuestionType("multi", numeric=False, has_options=True, multiple=True),
        QuestionType("text", numeric=False, free_text=True),
    )
}

DEFAULT_TEXT_LIMIT = 500
CONDITION_OPERATORS = ("<=", "<", ">=", ">", "==", "!=", "in", "not_in")


def question_type(name: str) -> QuestionType:
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown question type '{name}'; choose one of: {', '.join(QUESTION_TYPES)}") from None
