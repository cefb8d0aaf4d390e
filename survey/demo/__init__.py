"""Demo data with known truth (`survey demo`): the generator lives in ``survey.demo.generate``."""

from survey.demo.generate import DemoExistsError, DemoSummary, generate

__all__ = ["DemoExistsError", "DemoSummary", "generate"]
