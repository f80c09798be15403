"""A bounded schemathesis run over the whole OpenAPI spec against real servers on loopback,
without and with an API keys file (then with a valid key): all checks (no server error,
status codes, content types, headers and bodies as documented, bad data rejected, good data
accepted, 405s and their Allow headers). It is the README's full run (`st run --checks all`)
through schemathesis' engine, with fewer examples per operation and a fixed seed. The rules
JSON Schema cannot state are in schemathesis.toml."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from tests.accounts.keys import ADMIN_KEY, bearer
from tests.api.conftest import Served

CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
EXAMPLES = 4  # per operation and phase; the full run has 100


def run(server: Served, headers: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Cases run and failures found (`METHOD path: check: title`) by a bounded run."""
    config = SchemathesisConfig.from_path(CONFIG)
    project = config.projects.override
    if headers:
        project.update(headers=headers)
    project.checks.update(included_check_names=["all"])
    project.phases.update(phases=["examples", "coverage", "fuzzing"])
    project.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config)
    cases, failures = 0, []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                failures.extend(
                    f"{event.recorder.label}: {check.name}: {check.failure_info.failure.title}"
                    f" ({check.failure_info.failure.message.splitlines()[0][:200]};"
                    f" {check.failure_info.code_sample})"
                    for check in checks
                    if check.failure_info is not None
                )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"engine error: {event}")
    return cases, sorted(set(failures))


def test_the_api_without_keys_conforms(open_server: Served) -> None:
    cases, failures = run(open_server)
    assert failures == []
    assert cases > 200  # every operation was exercised


def test_the_api_with_a_key_conforms(keyed_server: Served) -> None:
    cases, failures = run(keyed_server, bearer(ADMIN_KEY))
    assert failures == []
    assert cases > 200
