"""The one way a CLI command reports a domain error: ``Error: <text>`` and exit status 1, no traceback
(STYLE.md principle 15)."""

from __future__ import annotations

import functools

import click

from terminology import TerminologyError


def domain_errors(fn):
    """Decorate a click command so that TerminologyError becomes a clean ``click.ClickException``."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TerminologyError as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper
