"""``python -m distillshield`` runs the CLI."""

from distillshield.cli.main import main

main()
