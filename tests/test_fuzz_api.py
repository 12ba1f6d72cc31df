"""Schemathesis against the app's own /openapi.json, in process with the real Analyzer: generated
requests (valid and not) never get a 5xx, every response matches the schema (status code, content
type, headers, body), and schema-invalid requests are refused.

Bounded for CI (300 examples per operation); a longer run for bench/README.md:

    NEWSDESK_FUZZ_EXAMPLES=1500 HF_HUB_OFFLINE=1 .venv/bin/pytest -q tests/test_fuzz_api.py
"""

from __future__ import annotations

import os
import threading
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.api import create_app

EXAMPLES = int(os.environ.get("NEWSDESK_FUZZ_EXAMPLES", "300"))

# Schemathesis reads the schema when this module is imported, before any fixture exists, so the app's
# loader thread waits here for the session's Analyzer instead of loading a second copy of the models.
_shared: dict[str, object] = {}
_given = threading.Event()


def _session_analyzer(config):
    if not _given.wait(timeout=900):
        raise RuntimeError("the session analyzer was never handed over")
    return _shared["analyzer"]


app = create_app(analyzer_factory=_session_analyzer)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def ready_engine(analyzer):
    _shared["analyzer"] = analyzer
    _given.set()
    with get_client(app) as client:
        for _ in range(600):
            if client.get("/readyz").status_code == 200:
                return
            time.sleep(0.05)
    raise AssertionError("the app never became ready")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
def test_api_conforms_to_its_schema(case):
    # Every check but "schema-valid data must get a 2xx": some valid JSON is still not an article
    # (markup with no text, a lone surrogate, a label of spaces) and gets a documented 422.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
