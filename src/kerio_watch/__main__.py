"""``python -m kerio_watch`` runs the command-line interface."""

from kerio_watch.cli import main

main()
