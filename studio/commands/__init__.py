"""Subcommands of the ``imitation-studio`` CLI (one module each)."""
