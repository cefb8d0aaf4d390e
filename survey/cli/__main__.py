"""`python -m survey.cli`."""

from survey.cli import main

main()
