"""Fixtures of the web tests: the browser tests' chromium (``browser``, see :mod:`tests.web.browsing`)."""

from .browsing import browser  # noqa: F401 - a fixture
