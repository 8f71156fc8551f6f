"""Shared fixtures for the pytest suite: the local settings, real Keycloak tokens and the
platform's apps run as processes, as scripts/start.sh runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_local_env() -> None:
    """deploy/local/local.env into os.environ; variables already set win, as in the scripts."""
    for raw in (REPO_ROOT / "deploy/local/local.env").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        os.environ.setdefault(name, value)


_load_local_env()


def env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise RuntimeError(f"{name} is not set; deploy/local/local.env should define it")
    return value


def _token(form: dict[str, str]) -> str:
    response = requests.post(
        f"{env('AUTH_ISSUER')}/protocol/openid-connect/token", data=form, timeout=30
    )
    response.raise_for_status()
    return response.json()["access_token"]


def client_token(client_id: str, secret: str) -> str:
    """A machine token (client-credentials grant), as an edge gateway gets one."""
    return _token(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )


def user_token(username: str, password: str) -> str:
    """A person's token through the public CLI client (password grant, test realm only)."""
    return _token(
        {
            "grant_type": "password",
            "client_id": "iotwins-cli",
            "username": username,
            "password": password,
        }
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppProcess:
    def __init__(
        self, name: str, process: subprocess.Popen, base_url: str, log: Path, mqtt_port: int
    ):
        self.name = name
        self.process = process
        self.base_url = base_url
        self.log = log
        # The port of ingest's own MQTT endpoint (ADR 0009).
        self.mqtt_port = mqtt_port

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_app(name: str, tmp_dir: Path, overrides: dict[str, str] | None = None) -> AppProcess:
    """Runs apps/<name>/dist/main.js (built by `pnpm build`) with its own NATS login and
    waits until /health/ready answers 200."""
    port = _free_port()
    mqtt_port = _free_port()
    nats_password = env(f"NATS_{name.upper().replace('-', '_')}_PASSWORD")
    child_env = {
        **os.environ,
        "NATS_USER": name,
        "NATS_PASSWORD": nats_password,
        "PORT": str(port),
        "GRPC_PORT": str(_free_port()),
        "MQTT_SERVER_PORT": str(mqtt_port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "warn",
        **(overrides or {}),
    }
    log = tmp_dir / f"{name}.log"
    process = subprocess.Popen(
        ["node", str(REPO_ROOT / f"apps/{name}/dist/main.js")],
        env=child_env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited while starting:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return AppProcess(name, process, base_url, log, mqtt_port)
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{name} was not ready within 60 s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], AppProcess]]:
    """Starts an app once per session on first use: `apps("ingest").base_url`."""
    started: dict[str, AppProcess] = {}
    tmp_dir = tmp_path_factory.mktemp("apps")

    def get(name: str) -> AppProcess:
        if name not in started:
            started[name] = start_app(name, tmp_dir)
        return started[name]

    yield get
    for app in started.values():
        app.stop()


def wait_until(what: str, check: Callable[[], object], timeout: float = 30.0) -> object:
    """Polls check() until it returns something truthy; fails with `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
