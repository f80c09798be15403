"""deploy/compose.yaml and deploy/Dockerfile checked against the code (no Docker needed):
the settings each service is given exist and start the product, the files the image copies
exist, the commands are real CLI commands, the healthchecks hit real routes, the schema is
migrated before any worker starts, and ports, volumes and URLs agree."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.api.app import create_app
from assistant.cli import app
from assistant.config import Settings
from assistant.drafts.templates import INSTALLED_TEMPLATES, load_templates
from assistant.session_cookie import SessionSigner
from ingest.embedding import HashingEmbedder
from tests.conftest import REPO, make_settings

DEPLOY = REPO / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OURS = {name: s for name, s in SERVICES.items() if s.get("image") == "success-assistant:latest"}
INTERPOLATED = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            for part in shlex.split(arguments):
                key, _, value = part.partition("=")
                env[key] = value
    return env


def copied() -> dict[str, str]:
    """COPY destination (absolute, in the image) -> source (in the build context)."""
    workdir, found = "/", {}
    for instruction, arguments in dockerfile():
        if instruction == "WORKDIR":
            workdir = arguments
        if instruction == "COPY":
            *sources, destination = shlex.split(arguments)
            into = str(PurePosixPath(workdir) / destination)
            for source in sources:
                several = len(sources) > 1 or destination.endswith("/")
                found[str(PurePosixPath(into) / source) if several else into] = source
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment as the container sees it (image ENV, then compose's), with
    compose's ${NAME...} interpolation given a sample value."""
    given = {
        k: INTERPOLATED.sub("sample-value-0123456789abcdef", str(v))
        for k, v in service.get("environment", {}).items()
    }
    return {**image_env(), **given}


def settings_of(service: dict[str, Any]) -> Settings:
    values = {
        k.removeprefix("ASSISTANT_").lower(): v
        for k, v in environment(service).items()
        if k.startswith("ASSISTANT_")
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type, call-arg]


def test_our_services_are_the_api_ingest_and_migrate_ones() -> None:
    assert {"migrate", "api-1", "api-2", "ingest-1", "ingest-2"} <= set(OURS)
    build = OURS["api-1"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


@pytest.mark.parametrize("where", ["Dockerfile", *sorted(SERVICES)])
def test_every_assistant_variable_is_a_setting(where: str) -> None:
    env = image_env() if where == "Dockerfile" else SERVICES[where].get("environment", {})
    names = {k.removeprefix("ASSISTANT_").lower() for k in env if k.startswith("ASSISTANT_")}
    assert names <= set(Settings.model_fields), names - set(Settings.model_fields)


@pytest.mark.parametrize("name", sorted(OURS))
def test_each_service_environment_builds_the_settings_the_product_starts_with(name: str) -> None:
    settings = settings_of(OURS[name])
    assert settings.profile == "cluster"
    assert settings.api_keys_file is not None
    SessionSigner.from_settings(settings)  # the API's start-up refuses keys without a secret
    for url, host in (
        (settings.database_url, "postgres"),
        (settings.chroma_url, "chroma"),
        (settings.redis_url, "redis"),
    ):
        assert url is not None and urlsplit(url).hostname == host and host in SERVICES


def test_required_variables_are_documented() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for service in SERVICES.values():
        for value in service.get("environment", {}).values():
            for name in INTERPOLATED.findall(str(value)):
                assert name in readme, f"{name} is interpolated in compose.yaml, not documented"


def test_the_database_url_uses_the_postgres_service_credentials() -> None:
    postgres = SERVICES["postgres"]["environment"]
    url = urlsplit(settings_of(OURS["migrate"]).database_url or "")
    assert (url.username, url.password, url.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )


def test_the_chroma_url_is_the_port_the_chroma_server_listens_on() -> None:
    assert urlsplit(settings_of(OURS["api-1"]).chroma_url or "").port == 8000  # the image's


def test_what_the_dockerfile_copies_exists() -> None:
    sources = list(copied().values())
    assert sources
    for instruction, arguments in dockerfile():
        if instruction == "COPY":
            *files, _ = shlex.split(arguments)
            for source in files:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_directories_the_settings_name_exist_in_the_image() -> None:
    """Every *_DIR / *_FILE setting points into what the image copies or a mounted volume."""
    paths = dict(copied())
    for name, service in OURS.items():
        mounts = [v.split(":")[1] for v in service.get("volumes", [])]
        secrets = [f"/run/secrets/{s}" for s in service.get("secrets", [])]
        for key, value in environment(service).items():
            if key.endswith(("_DIR", "_FILE")) and key.startswith("ASSISTANT_"):
                inside = [*paths, *mounts, *secrets]
                assert any(value == p or value.startswith(p + "/") for p in inside), (
                    f"{name}: {key}={value} is neither copied into the image nor mounted"
                )


def test_the_prompts_dir_is_set_where_the_image_copies_the_prompts() -> None:
    """The package is installed into site-packages, so prompts/ beside it does not exist."""
    target = image_env().get("ASSISTANT_PROMPTS_DIR")
    assert target is not None and copied().get(target) == "prompts"
    assert (REPO / "prompts" / "answer.md").is_file()


def test_volumes_and_secrets_are_declared_and_bind_mounts_exist() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in COMPOSE["volumes"], f"{name}: volume {source} not declared"
        for secret in service.get("secrets", []):
            assert secret in COMPOSE["secrets"], f"{name}: secret {secret} not declared"


def test_every_worker_shares_one_data_volume() -> None:
    data = {settings_of(s).data_dir for s in OURS.values()}
    assert len(data) == 1
    (path,) = data
    for service in OURS.values():
        assert any(v.split(":")[1] == str(path) for v in service["volumes"])


def test_the_schema_is_migrated_before_any_worker_starts() -> None:
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["postgres"]["healthcheck"]
    for name, service in OURS.items():
        if name == "migrate":
            continue
        depends = service["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        for needed, condition in depends.items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[needed], f"{name} waits on {needed}'s health"


def commands() -> list[tuple[str, list[str]]]:
    found = [(name, list(s["command"])) for name, s in OURS.items()]
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    header = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    for text in (readme, header):
        for line in re.findall(r"docker compose [^\n`]*? run --rm \S+ (assistant [^\n#`]*)", text):
            found.append(("documented", shlex.split(line)))
    return found


@pytest.mark.parametrize(("where", "command"), commands())
def test_every_command_is_a_real_cli_command(where: str, command: list[str]) -> None:
    assert command[0] == "assistant", where
    words = [w for w in command[1:] if not w.startswith("-")]
    result = CliRunner().invoke(app, [*command[1:], "--help"])
    assert result.exit_code == 0, f"{where}: {' '.join(command)}: {result.output}"
    options = re.findall(r"--[a-z][a-z-]*", result.output)
    for option in (w.split("=")[0] for w in command[1:] if w.startswith("--")):
        assert option in options, f"{where}: {' '.join(command)}: no option {option}"
    assert words


def test_the_api_serves_on_the_port_its_healthcheck_and_ports_use(tmp_path: Path) -> None:
    served = TestClient(create_app(make_settings(tmp_path / "data"), HashingEmbedder()))
    for name, service in OURS.items():
        command = service["command"]
        if command[:2] != ["assistant", "serve"]:
            continue
        port = int(command[command.index("--port") + 1])
        assert command[command.index("--host") + 1] == "0.0.0.0", name  # reachable by the port map
        assert [int(p.split(":")[1]) for p in service["ports"]] == [port]
        (url,) = re.findall(r"https?://[^'\"\s]+", " ".join(service["healthcheck"]["test"]))
        assert urlsplit(url).port == port, (name, url)
        with served as client:
            assert client.get(urlsplit(url).path).status_code == 200, (name, url)


def test_host_ports_are_unique() -> None:
    host = [p.split(":")[0] for s in SERVICES.values() for p in s.get("ports", [])]
    assert len(host) == len(set(host))


def test_the_installed_package_carries_the_shipped_draft_templates(tmp_path: Path) -> None:
    """The image installs the package into site-packages, where no knowledge/ lies beside it:
    a mounted knowledge folder without templates/ falls back to the shipped templates, which
    the wheel installs under sys.prefix (pyproject's data-files)."""
    source = tmp_path / "src"  # a copy: setuptools builds in the source tree
    for name in ("pyproject.toml", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, source / name)
    for folder in ("assistant", "ingest", "knowledge/templates"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    data = PurePosixPath(INSTALLED_TEMPLATES.as_posix())
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            PurePosixPath(n).name
            for n in archive.namelist()
            if ".data/data/" in n and PurePosixPath(n.split(".data/data/", 1)[1]).parent == data
        }
    expected = {p.name for p in (REPO / "knowledge" / "templates").glob("*.yaml")}
    assert expected and shipped == expected
    load_templates(REPO / "knowledge" / "templates")  # the files the wheel carries are valid
