"""Work on a clock: the tasks (``tasks``) and the scheduler that runs them every minute (``scheduler``)."""

from survey.jobs.tasks import JobsReport, run

__all__ = ["JobsReport", "run"]
