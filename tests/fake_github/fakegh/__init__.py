"""A fake GitHub for tests: REST shapes from GitHub's published API
description, git smart HTTP through `git http-backend`, fault switches.

Standard library only. Start it with ../fake_github.py; see ../README.md.
"""
