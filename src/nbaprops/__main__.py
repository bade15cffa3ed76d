"""``python -m nbaprops`` runs the CLI."""

from nbaprops.cli import main

main()
