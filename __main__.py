"""Pulumi entry point: build the platform described by this stack's ``platform`` config."""

from components.program import main

main()
