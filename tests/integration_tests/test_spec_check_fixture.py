"""The suite's spec check itself: a request that breaks the published spec fails the test that sent it."""

from __future__ import annotations

import pytest

# The inner sessions send invalid requests on purpose; the outer check would see them too.
pytestmark = pytest.mark.spec_exempt(reason="runs inner test sessions that send invalid requests")

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nmarkers =\n    spec_exempt(reason): exempt\n"
CONFTEST = "from tests.conftest import _spec_check_every_request, emulator, emulator_factory, spec_validator"
TEST_FILE = """
import pytest
from tests.support.http import call

def test_sends_{name}(emulator):
    call(emulator, body={body})
"""


@pytest.mark.parametrize(
    ("name", "body", "outcome"),
    [
        ("valid", {"messages": [{"role": "user", "content": "hi"}]}, {"passed": 1}),
        ("empty_stop", {"messages": [{"role": "user", "content": "hi"}], "stop": []}, {"passed": 1, "errors": 1}),
        ("chat_role", {"messages": [{"role": "chat", "content": "hi"}]}, {"passed": 1, "errors": 1}),
    ],
)
def test_the_spec_check_fails_tests_that_send_invalid_requests(
    pytester: pytest.Pytester, name: str, body: dict, outcome: dict[str, int]
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(**{f"test_{name}": TEST_FILE.format(name=name, body=body)})
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**outcome)
    if "errors" in outcome:
        result.stdout.fnmatch_lines(["*requests that break the published spec*"])


def test_the_exempt_marker_skips_the_check(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(
        test_exempt=TEST_FILE.format(name="exempt", body={"messages": []}).replace(
            "def test_", "@pytest.mark.spec_exempt(reason='on purpose')\ndef test_"
        )
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
