"""`python -m buildwright` runs the CLI."""

from buildwright.cli.app import main

main()
