"""`python -m podsync`, the same as the `podsync` command."""

from podsync.cli import main

main()
