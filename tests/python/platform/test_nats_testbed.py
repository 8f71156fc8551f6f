"""A tenant-a testbed on NATS with its Keycloak identity, through the real nats-server, the
ingest auth callout and the timeseries writer, with the clients users bring: nats-py and
the `nats` CLI (natscli, built by scripts/services.sh). Readings come back from the query
API exactly; tenant-b's subjects and stream administration are refused."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path

import nats
import pytest
import requests
from nats.errors import NoServersError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from conftest import client_token, env, wait_until

TENANT_STREAM = "TENANT_tenant-a"
INBOX = "_INBOX_tenant-a"


def nats_cli() -> str:
    cache = Path(os.environ.get("IOTWINS_CACHE_DIR", Path.home() / ".cache/iotwins"))
    binary = cache / "bin/nats"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing; scripts/services.sh up builds it")
    return str(binary)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def token_a() -> str:
    return client_token("gateway-tenant-a", env("KEYCLOAK_GATEWAY_TENANT_A_SECRET"))


@pytest.fixture(scope="module")
def platform(apps):
    """ingest (auth callout, request-reply) and timeseries (writer, query API)."""
    return {"ingest": apps("ingest"), "timeseries": apps("timeseries")}


def cli(token: str, *args: str, server: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            nats_cli(),
            "--server",
            server or env("NATS_URL"),
            "--token",
            token,
            "--inbox-prefix",
            INBOX,
            "--no-context",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )


def query(platform, token: str, measurement: str) -> list[dict]:
    response = requests.get(
        f"{platform['timeseries'].base_url}/v1/measurements/{measurement}/points",
        params={"start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["series"]


def stored(platform, token: str, measurement: str, count: int) -> list[dict]:
    def enough() -> list[dict] | None:
        series = query(platform, token, measurement)
        return series if sum(len(s["points"]) for s in series) >= count else None

    return wait_until(f"{count} points of {measurement}", enough)


async def connect_tenant_a(**credentials):
    return await nats.connect(
        servers=[env("NATS_URL")],
        inbox_prefix=INBOX,
        allow_reconnect=False,
        **credentials,
    )


def test_nats_py_readings_come_back_from_the_query_api_exactly(platform, token_a):
    measurement = unique("py-json")

    async def publish() -> dict:
        nc = await connect_tenant_a(
            user="gateway-tenant-a", password=env("KEYCLOAK_GATEWAY_TENANT_A_SECRET")
        )
        try:
            body = {
                "points": [
                    {"tags": {"turbine": "T-07"}, "time": "2026-11-24T10:00:00.123456789Z",
                     "fields": {"power": 1520.25, "state": "generating"}},
                    {"tags": {"turbine": "T-07"}, "time": "2026-11-24T10:00:01Z",
                     "fields": {"power": 1499.5, "state": "generating"}},
                ]
            }
            reply = await nc.request(
                f"ingest.tenant-a.{measurement}", json.dumps(body).encode(), timeout=10
            )
            return json.loads(reply.data)
        finally:
            await nc.close()

    assert asyncio.run(publish()) == {"accepted": 2}
    assert stored(platform, token_a, measurement, 2) == [
        {
            "tags": {"turbine": "T-07"},
            "points": [
                {"time": "2026-11-24T10:00:00.123456789Z",
                 "fields": {"power": 1520.25, "state": "generating"}},
                {"time": "2026-11-24T10:00:01.000000000Z",
                 "fields": {"power": 1499.5, "state": "generating"}},
            ],
        }
    ]


@pytest.mark.parametrize("transport", ["nats", "websocket"])
def test_nats_cli_line_protocol_comes_back_exactly(platform, token_a, transport):
    measurement = unique(f"cli-{transport}")
    server = (
        env("NATS_URL")
        if transport == "nats"
        else f"ws://127.0.0.1:{env('NATS_WS_PORT')}"
    )
    result = cli(
        token_a,
        "request",
        "--raw",
        "-H",
        "Content-Type:text/plain",
        f"ingest.tenant-a.{measurement}",
        f"{measurement},line=L2 torque=812.5,pieces=9i 1795514400000000007",
        server=server,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"accepted": 1}
    assert stored(platform, token_a, measurement, 1) == [
        {
            "tags": {"line": "L2"},
            "points": [
                {"time": "2026-11-24T10:00:00.000000007Z",
                 "fields": {"pieces": {"type": "integer", "value": 9}, "torque": 812.5}}
            ],
        }
    ]


def test_follows_live_telemetry_and_catches_up_after_being_offline(platform, token_a):
    measurement = unique("py-live")
    durable = unique("offline")
    subject = f"telemetry.tenant-a.{measurement}"

    async def live_and_durable() -> tuple[bytes, list[bytes]]:
        nc = await connect_tenant_a(token=token_a)
        js = nc.jetstream()
        await js.add_consumer(
            TENANT_STREAM,
            ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                filter_subject=subject,
            ),
        )
        live = await nc.subscribe(subject)
        await nc.flush()
        reading = json.dumps({"time": 1795514400001, "fields": {"v": 1}})
        first = await asyncio.to_thread(
            cli, token_a, "request", "--raw", f"ingest.tenant-a.{measurement}", reading
        )
        assert first.returncode == 0, first.stderr
        seen = await live.next_msg(timeout=10)
        await nc.close()
        # Offline: a reading arrives while the subscriber is away.
        reading = json.dumps({"time": 1795514400002, "fields": {"v": 2}})
        second = cli(token_a, "request", "--raw", f"ingest.tenant-a.{measurement}", reading)
        assert second.returncode == 0, second.stderr
        nc = await connect_tenant_a(token=token_a)
        try:
            pull = await nc.jetstream().pull_subscribe_bind(durable, stream=TENANT_STREAM)
            messages = await pull.fetch(2, timeout=10)
            for message in messages:
                await message.ack()
            await nc.jetstream().delete_consumer(TENANT_STREAM, durable)
            return seen.data, [m.data for m in messages]
        finally:
            await nc.close()

    seen, caught_up = asyncio.run(live_and_durable())
    assert seen == f"{measurement} v=1 1795514400001000000".encode()
    assert caught_up == [
        f"{measurement} v=1 1795514400001000000".encode(),
        f"{measurement} v=2 1795514400002000000".encode(),
    ]


def test_nats_cli_durable_consumer_catches_up(platform, token_a):
    """The CLI steps of docs/nats.md: a durable pull consumer of the tenant's own stream."""
    measurement = unique("cli-durable")
    durable = unique("cli")
    added = cli(
        token_a, "consumer", "add", TENANT_STREAM, durable, "--pull", "--deliver", "new",
        "--ack", "explicit", "--filter", f"telemetry.tenant-a.{measurement}", "--defaults",
    )
    assert added.returncode == 0, added.stderr
    for v in (1, 2):
        reading = json.dumps({"time": 1795514400000 + v, "fields": {"v": v}})
        sent = cli(token_a, "request", "--raw", f"ingest.tenant-a.{measurement}", reading)
        assert json.loads(sent.stdout) == {"accepted": 1}, sent.stderr
    pulled = cli(token_a, "consumer", "next", TENANT_STREAM, durable, "--count", "2", "--raw")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.split() == [
        f"{measurement}", "v=1", "1795514400001000000",
        f"{measurement}", "v=2", "1795514400002000000",
    ]
    removed = cli(token_a, "consumer", "rm", "-f", TENANT_STREAM, durable)
    assert removed.returncode == 0, removed.stderr


def test_tenant_b_subjects_and_stream_administration_are_refused(platform, token_a):
    async def refused_with_nats_py() -> list[str]:
        errors: list[str] = []

        async def on_error(error: Exception) -> None:
            errors.append(str(error))

        nc = await connect_tenant_a(token=token_a, error_cb=on_error)
        try:
            await nc.subscribe("telemetry.tenant-b.>")
            await nc.publish("ingest.tenant-b.x", b'{"fields":{"v":1}}')
            await nc.subscribe("_INBOX_tenant-b.>")
            await nc.flush()
            await asyncio.sleep(0.2)
        finally:
            await nc.close()
        return errors

    errors = asyncio.run(refused_with_nats_py())
    assert len(errors) == 3, errors
    assert all("permissions violation" in e.lower() for e in errors), errors
    assert any('"telemetry.tenant-b.>"' in e for e in errors), errors
    assert any('"ingest.tenant-b.x"' in e for e in errors), errors

    stream = unique("MINE").replace("-", "_")
    for args in (
        ["stream", "add", stream, "--subjects", f"{stream}.>", "--defaults"],
        ["stream", "rm", "-f", TENANT_STREAM],
        ["stream", "purge", "-f", "TELEMETRY"],
        ["consumer", "add", "TELEMETRY", unique("peek"), "--pull", "--defaults"],
        ["consumer", "next", "TENANT_tenant-b", "any"],
    ):
        result = cli(token_a, *args, "--timeout", "2s")
        assert result.returncode != 0, (args, result.stdout)
        assert "permissions violation" in result.stderr.lower(), (args, result.stderr)


def test_a_bad_token_is_refused_at_connect(platform, token_a):
    async def attempt() -> None:
        await connect_tenant_a(token=token_a + "x")

    with pytest.raises((NoServersError, nats.errors.Error, OSError)) as caught:
        asyncio.run(attempt())
    assert "authorization" in str(caught.value).lower() or isinstance(
        caught.value, NoServersError
    )
    result = cli(token_a + "x", "pub", "ingest.tenant-a.m", "{}")
    assert result.returncode != 0
    assert "authorization violation" in result.stderr.lower()
