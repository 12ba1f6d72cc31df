"""The API's contract is tests/openapi.json, committed: a change to a route, a field or an error
response fails here until the file is regenerated on purpose (and the change reviewed in its diff).

    .venv/bin/python -m tests.test_openapi_snapshot    # rewrite tests/openapi.json from the app
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parent / "openapi.json"
REGENERATE = ".venv/bin/python -m tests.test_openapi_snapshot"


def current_openapi() -> dict[str, Any]:
    from service.api import create_app
    from service.settings import DEFAULT_CONFIG

    spec = create_app(DEFAULT_CONFIG).openapi()
    spec["info"].pop("version", None)  # the model version; its own change is not an API change
    return spec


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_openapi_matches_the_committed_copy():
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    current = current_openapi()
    if current != committed:
        changed = sorted(set(current["paths"]) ^ set(committed["paths"]))
        raise AssertionError(
            f"the API changed (paths added or removed: {changed or 'none'}; else a schema, parameter or "
            f"response changed). If that was meant, run `{REGENERATE}` and commit tests/openapi.json.")


def test_no_request_can_name_a_file_a_model_or_a_path():
    schemas = current_openapi()["components"]["schemas"]
    fields = set(schemas["AnalyzeRequest"]["properties"]) | set(schemas["AnalyzeOptions"]["properties"])
    assert not {f for f in fields if any(w in f.lower() for w in ("path", "file", "model", "dir", "url"))}


if __name__ == "__main__":
    SNAPSHOT.write_text(render(current_openapi()), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
