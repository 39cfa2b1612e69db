"""The container image and compose.yaml, tested without a container engine (none runs on the CI machine):

* the Containerfile's commands, user, environment and HEALTHCHECK agree with the package (real CLI
  commands, real settings, a route that exists), and its final stage has no build tools and no root user;
* compose.yaml's services use real commands and settings, the read nodes are read-only, and the load
  balancer's configuration names the services;
* the image's entrypoint runs here as it would in the image: its ENV, ``vardterm db upgrade`` (compose's
  migrate service), ``vardterm serve``, and the HEALTHCHECK command, which fails until an edition is loaded;
* nginx (Debian's package; ``.ci/run`` installs it) runs deploy/nginx.conf in front of a writer and a
  read-only node and sends reads and writes where they belong.
"""

from __future__ import annotations

import json
import os
import ipaddress
import re
import shlex
import shutil
import subprocess
import time

import httpx
import pytest
import yaml
from click.testing import CliRunner

from api import Settings
from scripts.cli import main

from .conftest import MINI, REPO
from .serving import VARDTERM, free_port, vardterm_server, wait_for_answer

CONTAINERFILE = REPO / "Containerfile"
COMPOSE = REPO / "compose.yaml"
NGINX = REPO / "deploy" / "nginx.conf"


def stages() -> list[list[tuple[str, str]]]:
    """The Containerfile as stages of (instruction, argument), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE.read_text("utf-8"))
    out: list[list[tuple[str, str]]] = [[]]
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            out.append([])
        out[-1].append((word.upper(), rest.strip()))
    return out[1:]


def final() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for word, rest in stages()[-1]:
        found.setdefault(word, []).append(rest)
    return found


def image_env() -> dict[str, str]:
    env = {}
    for rest in final()["ENV"]:
        for item in shlex.split(rest):
            name, _, value = item.partition("=")
            env[name] = value
    return env


def exec_form(rest: str) -> list[str]:
    return json.loads(rest)


def cli_accepts(args: list[str]) -> bool:
    """Whether ``vardterm <args>`` is a real command with real options (asked with --help, so nothing runs)."""
    result = CliRunner().invoke(main, [*args, "--help"])
    return result.exit_code == 0


def test_two_stages_and_a_final_stage_without_build_tools_or_root():
    assert len(stages()) == 2
    build, last = stages()
    assert any(w == "COPY" and "--from=build" in r for w, r in last)
    text = " ".join(r for _, r in last).lower()
    for tool in ("gcc", "build-essential", "make ", "apt-get install", "pip install"):
        assert tool not in text, tool
    assert "pip uninstall" in text  # and no pip left in the base image either
    user = final()["USER"][-1]
    assert user.split(":")[0] not in ("root", "0")
    assert "--without-pip" in " ".join(r for _, r in build)


def test_entrypoint_command_and_healthcheck_are_real():
    entrypoint, command = exec_form(final()["ENTRYPOINT"][-1]), exec_form(final()["CMD"][-1])
    assert entrypoint == ["vardterm"] and cli_accepts(command)
    check = final()["HEALTHCHECK"][-1]
    probe = exec_form(check[check.index("CMD") + 3:].strip())
    assert probe[0] == "vardterm" and cli_accepts(probe[1:])
    assert probe[1:] == ["probe", "ready"]  # GET /health/ready (the HEALTHCHECK runs it; see the test below)
    from api.health import router
    assert "/health/ready" in {r.path for r in router.routes}


def test_image_environment_and_port_are_settings():
    env = image_env()
    for name in env:
        if name.startswith("VARDTERM_"):
            assert name[len("VARDTERM_"):].lower() in Settings.model_fields, name
    assert final()["EXPOSE"] == [env["VARDTERM_PORT"]]
    assert Settings(**{k[9:].lower(): v for k, v in env.items() if k.startswith("VARDTERM_")}).host == "0.0.0.0"
    for word, rest in stages()[0]:
        if word == "COPY":
            for source in rest.split()[:-1]:
                assert (REPO / source).exists(), source


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text("utf-8"))


def test_compose_has_postgresql_a_writer_read_only_nodes_and_a_balancer():
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "writer", "reader", "lb"}
    assert services["db"]["image"].startswith("docker.io/library/postgres:")
    for name in ("migrate", "writer", "reader"):
        assert cli_accepts(services[name]["command"]), name
        env = services[name]["environment"]
        for key in env:
            assert key[len("VARDTERM_"):].lower() in Settings.model_fields, key
        assert env["VARDTERM_DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:5432/" in env[
            "VARDTERM_DATABASE_URL"]
        assert services[name]["build"]["dockerfile"] == "Containerfile"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("writer", "reader"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    reader = services["reader"]
    assert reader["environment"]["VARDTERM_READ_ONLY"] == "true" and reader["environment"]["VARDTERM_WRITER_URL"]
    assert reader["deploy"]["replicas"] == 2
    assert "VARDTERM_READ_ONLY" not in services["writer"]["environment"]
    lb = services["lb"]
    assert lb["image"].startswith("docker.io/library/nginx:")
    mount = next(v for v in lb["volumes"] if v.endswith(":/etc/nginx/nginx.conf:ro"))
    assert (REPO / mount.split(":")[0]).resolve() == NGINX
    conf = NGINX.read_text("utf-8")
    port = image_env()["VARDTERM_PORT"]
    assert f"server writer:{port};" in conf and re.search(rf"server reader:{port}\b", conf)
    # the nodes believe the balancer's forwarded headers (else every login counts against the balancer's address)
    assert "X-Forwarded-For" in conf
    for name in ("writer", "reader"):
        trusted = re.sub(r"\$\{\w+:-(.*)\}", r"\1", services[name]["environment"]["VARDTERM_TRUSTED_PROXIES"])
        nets = [ipaddress.ip_network(n) for n in trusted.split(",")]
        assert any(ipaddress.ip_address("172.18.0.5") in n for n in nets), name  # docker's default bridge range


def _run(args, env, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([VARDTERM, *args], env=env, capture_output=True, text=True, timeout=300, **kw)


def test_the_images_commands_run_as_the_image_runs_them(tmp_path):
    """ENV of the image, the database path moved to a temporary folder and the port to a free one: compose's
    migrate command, then ENTRYPOINT + CMD, then the HEALTHCHECK command before and after a load."""
    env = {**os.environ, **image_env()}
    env.update({"VARDTERM_HOST": "127.0.0.1", "VARDTERM_PORT": str(free_port()),
                "VARDTERM_DATABASE_URL": f"sqlite:///{tmp_path / 'vardterm.db'}"})
    upgrade = _run(_compose()["services"]["migrate"]["command"], env, cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    command = exec_form(final()["ENTRYPOINT"][-1]) + exec_form(final()["CMD"][-1])
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([VARDTERM, *command[1:]], env=env, cwd=tmp_path, stdout=out,
                                  stderr=subprocess.STDOUT)
    check = final()["HEALTHCHECK"][-1]
    probe = exec_form(check[check.index("CMD") + 3:].strip())
    try:
        base = f"http://127.0.0.1:{env['VARDTERM_PORT']}"
        wait_for_answer(f"{base}/health/live", server, timeout=120, output=log)
        not_ready = _run(probe[1:], env, cwd=tmp_path)
        assert not_ready.returncode == 1 and "no SNOMED CT edition is loaded" in not_ready.stderr
        assert _run(["load", "rf2", str(MINI)], env, cwd=tmp_path).returncode == 0
        deadline = time.monotonic() + 10
        while (ready := _run(probe[1:], env, cwd=tmp_path)).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ready.returncode == 0, ready.stderr
        httpx.get(f"{base}/fhir/r4/CodeSystem/$lookup?system=http://snomed.info/sct&code=609588000",
                  headers={"X-Request-ID": "image-1"})
    finally:
        server.terminate()
        server.wait(30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("request_id") == "image-1" and line.get("route") == "/fhir/r4/CodeSystem/$lookup"
               and line.get("status") == 200 for line in lines), log.read_text()[-2000:]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")
def test_the_balancer_sends_reads_to_readers_and_writes_to_the_writer(tmp_path, mini_dbs):
    from terminology import Accounts

    db = mini_dbs("sqlite")
    url = db.url.render_as_string(hide_password=False)
    key = Accounts(db).add_key("lb-test", ("informatiker",), None)
    common = {"VARDTERM_ACCESS_LOG": "true", "VARDTERM_LOG_FORMAT": "json"}
    with vardterm_server(["--database-url", url, "serve"], cwd=tmp_path, log=tmp_path / "writer.log",
                         env=common, timeout=120) as writer, \
         vardterm_server(["--database-url", url, "serve"], cwd=tmp_path, log=tmp_path / "reader.log",
                         env={**common, "VARDTERM_READ_ONLY": "true", "VARDTERM_WRITER_URL": "http://lb"},
                         timeout=120) as reader:
        port = free_port()
        conf = NGINX.read_text("utf-8").replace("server writer:8080;", f"server {writer[7:]};")
        conf = conf.replace("server reader:8080 ", f"server {reader[7:]} ").replace("listen 8080;", f"listen {port};")
        conf = conf.replace("events {", f"pid {tmp_path}/nginx.pid;\nevents {{")
        (tmp_path / "nginx.conf").write_text(conf)
        for d in ("logs", "temp"):
            (tmp_path / d).mkdir()
        nginx = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g",
                                  "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lb = f"http://127.0.0.1:{port}"
            wait_for_answer(f"{lb}/health/live", nginx, timeout=20)
            vs = {"resourceType": "ValueSet", "url": "http://example.org/vs/lb", "status": "active",
                  "compose": {"include": [{"system": "http://snomed.info/sct", "concept": [{"code": "609588000"}]}]}}
            calls = {
                "put": httpx.put(f"{lb}/fhir/r4/ValueSet/lb", json=vs, headers={"X-API-Key": key}),
                "get": httpx.get(f"{lb}/fhir/r4/ValueSet/lb"),
                "expand": httpx.post(f"{lb}/fhir/r4/ValueSet/$expand", json={"resourceType": "Parameters",
                                     "parameter": [{"name": "url", "valueUri": vs["url"]}]}),
                "search": httpx.post(f"{lb}/api/care/search", json={"text": "knä"}),
                "page": httpx.get(f"{lb}/app/login"),
            }
        finally:
            nginx.terminate()
            nginx.wait(10)
    assert calls["put"].status_code == 201 and calls["get"].status_code == 200
    assert calls["expand"].status_code == 200
    served = {}
    for node in ("writer", "reader"):
        for line in (tmp_path / f"{node}.log").read_text().splitlines():
            if line.startswith("{") and "route" in line:
                entry = json.loads(line)
                served[entry["request_id"]] = node
    where = {name: served.get(r.headers.get("x-request-id")) for name, r in calls.items()}
    assert where == {"put": "writer", "get": "reader", "expand": "reader", "search": "reader", "page": "writer"}
