"""The conformance suite against every driver ctid ships (see ``ctid.testing.conformance``)."""

import pytest

# The scenarios' asserts live in ctid.testing.conformance: let pytest explain them.
pytest.register_assert_rewrite("ctid.testing.conformance")
