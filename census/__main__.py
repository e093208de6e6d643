"""``python -m census`` is the ``census`` command."""

from census.cli import main

main()
