"""The domain's own error type: a refusal or bad input, with a message fit for the user.

Whatever raises a :class:`SurveyError` has already said, in its message, what is wrong and
what to do about it.  So the CLI prints that message as one line and exits 1, and pages show
it through ``ui/feedback.py``.  Any other exception is a bug and keeps its traceback: catching
``ValueError`` or ``KeyError`` wholesale would also swallow the bugs.

Each capability names its own refusals (``AuthError``, ``CaseError``, ``DefinitionError``,
``ImportRejected``, ...), all derived from :class:`SurveyError`; :class:`Refused` is for the
plain ones that need no type of their own ("no customer with external id 'C9'").
"""

from __future__ import annotations

from typing import Any

from survey.core.i18n import t


class SurveyError(Exception):
    """A refusal or bad input with a message fit for the user.

    Raise it with the catalog ``key`` of its words (and their fields) so that each reader gets
    them in their language: ``CaseError(key="errors.cases.note_empty")``. ``str(error)`` is the
    English text (the CLI's language); ``error.text(lang)`` is what a page shows. A message
    given as plain text (``Refused("...")``) reads the same in every language.
    """

    def __init__(self, message: str = "", *, key: str | None = None, **params: Any) -> None:
        self.key, self.params = key, params
        super().__init__(message or (t(key, "en", **params) if key else ""))

    def text(self, lang: str) -> str:
        """The message in the reader's language."""
        return t(self.key, lang, **self.params) if self.key else str(self)


class Refused(SurveyError, ValueError):
    """A request the domain refuses: bad input, an unknown name, or a state that does not allow it.

    Also a ``ValueError``, so callers written against ``ValueError`` keep working.
    """
