"""Parquet through ingest's file connectors, checked with pyarrow (the library data scientists
read and write Parquet with): a file pyarrow writes into an import folder comes back exactly
from the query API, and the files the platform writes (a parquet-export and an
object-batch-sink window) read back in pyarrow with the same values, types and timestamps."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from conftest import client_token, env, wait_until

BASE = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
BASE_NS = int(BASE.timestamp()) * 1_000_000_000


@pytest.fixture(scope="module")
def token() -> str:
    return client_token("gateway-tenant-a", env("KEYCLOAK_GATEWAY_TENANT_A_SECRET"))


@pytest.fixture(scope="module")
def platform(apps, token):
    ingest, timeseries, objectstore = apps("ingest"), apps("timeseries"), apps("objectstore")
    headers = {"Authorization": f"Bearer {token}"}
    bucket = f"pq-{uuid.uuid4().hex[:12]}"
    created = requests.post(
        f"{objectstore.base_url}/v1/buckets", headers=headers,
        json={"name": bucket, "acl": "tenant-write"}, timeout=15,
    )
    assert created.status_code == 201, created.text
    connectors: list[str] = []

    class Platform:
        def connector(self, type_: str, config: dict) -> str:
            response = requests.post(
                f"{ingest.base_url}/v1/connectors", headers=headers,
                json={"name": f"py-{uuid.uuid4().hex[:8]}", "type": type_, "config": config},
                timeout=15,
            )
            assert response.status_code == 201, response.text
            connectors.append(response.json()["id"])
            return response.json()["id"]

        def put(self, key: str, body: bytes, content_type: str) -> None:
            response = requests.put(
                f"{objectstore.base_url}/v1/buckets/{bucket}/objects/{quote(key)}",
                headers={**headers, "Content-Type": content_type}, data=body, timeout=30,
            )
            assert response.status_code == 200, response.text

        def get(self, key: str) -> bytes | None:
            response = requests.get(
                f"{objectstore.base_url}/v1/buckets/{bucket}/objects/{quote(key)}",
                headers=headers, timeout=30,
            )
            return response.content if response.status_code == 200 else None

        def keys(self, prefix: str) -> list[str]:
            response = requests.get(
                f"{objectstore.base_url}/v1/buckets/{bucket}/objects",
                headers=headers, params={"prefix": prefix}, timeout=15,
            )
            return [item["key"] for item in response.json()["objects"]]

        def points(self, measurement: str) -> list[dict]:
            response = requests.get(
                f"{timeseries.base_url}/v1/measurements/{measurement}/points",
                headers=headers, timeout=15,
                params={"start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z",
                        "limit": "10000"},
            )
            assert response.status_code == 200, response.text
            rows = [
                {"tags": series["tags"], **point}
                for series in response.json()["series"] for point in series["points"]
            ]
            return sorted(rows, key=lambda row: (row["time"], sorted(row["tags"].items())))

        def write(self, points: list[dict]) -> None:
            response = requests.post(
                f"{ingest.base_url}/v1/points", headers=headers, json={"points": points},
                params={"precision": "ns"}, timeout=15,
            )
            assert response.status_code == 202, response.text

    platform = Platform()
    platform.bucket = bucket
    yield platform
    for connector in connectors:
        requests.delete(f"{ingest.base_url}/v1/connectors/{connector}", headers=headers, timeout=15)


def table_of_turbines(rows: int) -> pa.Table:
    """A table as a gateway's pandas/pyarrow job would write it: plain column names."""
    return pa.table(
        {
            "time": pa.array([BASE_NS + i * 1_000_000_123 for i in range(rows)],
                             type=pa.timestamp("ns", tz="UTC")),
            "site": pa.array(["north" if i % 2 else "south" for i in range(rows)]),
            "power": pa.array([1000.5 + i for i in range(rows)], type=pa.float64()),
            "rpm": pa.array([9_007_199_254_740_993 - i for i in range(rows)], type=pa.int64()),
            "ok": pa.array([i % 3 != 0 for i in range(rows)], type=pa.bool_()),
            "state": pa.array([None if i == 4 else f"s{i}" for i in range(rows)], type=pa.string()),
        }
    )


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)  # pyarrow's defaults: snappy, dictionary pages, v2.6
    return sink.getvalue()


def iso_ns(ns: int) -> str:
    seconds, fraction = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


def test_a_parquet_file_written_by_pyarrow_is_imported_exactly(platform):
    measurement = f"pq_import_{uuid.uuid4().hex[:8]}"
    platform.connector("file-import", {
        "bucket": platform.bucket, "prefix": "incoming/", "measurement": measurement,
        "tags": ["site"],
    })
    table = table_of_turbines(6)
    platform.put("incoming/turbines.parquet", parquet_bytes(table), "application/vnd.apache.parquet")
    report = wait_until(
        "the import report",
        lambda: platform.get("incoming/turbines.parquet.import-report.json"), timeout=60,
    )
    import json
    report = json.loads(report)
    assert report["format"] == "parquet"
    assert report["outcome"] == "completed"
    assert (report["pointsStored"], report["recordsRefused"]) == (6, 0)

    stored = wait_until("6 points", lambda: (p := platform.points(measurement)) and len(p) >= 6 and p,
                        timeout=60)
    expected = []
    for i in range(6):
        fields = {"power": 1000.5 + i, "rpm": {"type": "integer", "value": str(9_007_199_254_740_993 - i)},
                  "ok": i % 3 != 0}
        if i != 4:
            fields["state"] = f"s{i}"
        expected.append({"tags": {"site": "north" if i % 2 else "south"},
                         "time": iso_ns(BASE_NS + i * 1_000_000_123), "fields": fields})
    # Integers beyond 2^53 come as decimal strings, exact; smaller ones as JSON numbers.
    for row in stored:
        rpm = row["fields"]["rpm"]
        rpm["value"] = str(rpm["value"])
    assert stored == expected


def test_a_parquet_export_reads_back_equal_in_pyarrow(platform):
    measurement = f"pq_export_{uuid.uuid4().hex[:8]}"
    points = [
        {"measurement": measurement, "tags": {"line": "L1" if i % 2 else "L2"},
         "fields": {"temp": 20.25 + i, "count": {"type": "integer", "value": str(2**60 + i)},
                    "ok": bool(i % 2), "mode": f"m{i}"},
         "time": str(BASE_NS + i * 1_000_000_001)}
        for i in range(5)
    ]
    platform.write(points)
    wait_until("5 points", lambda: len(platform.points(measurement)) >= 5, timeout=60)
    key = f"exports/{measurement}.parquet"
    platform.connector("parquet-export", {
        "measurement": measurement, "start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z",
        "bucket": platform.bucket, "key": key,
    })
    body = wait_until("the export", lambda: platform.get(key), timeout=60)
    table = pq.read_table(io.BytesIO(body))
    assert table.schema.field("time").type == pa.timestamp("ns", tz="UTC")
    assert table.schema.field("line").type == pa.string()
    assert table.schema.field("temp").type == pa.float64()
    assert table.schema.field("count").type == pa.int64()
    assert table.schema.field("ok").type == pa.bool_()
    assert table.schema.field("mode").type == pa.string()
    rows = table.drop_columns(["time"]).to_pylist()
    times = table.column("time").cast(pa.int64()).to_pylist()
    assert times == [BASE_NS + i * 1_000_000_001 for i in range(5)]
    assert rows == [
        {"line": "L1" if i % 2 else "L2", "temp": 20.25 + i, "count": 2**60 + i,
         "ok": bool(i % 2), "mode": f"m{i}"}
        for i in range(5)
    ]
    metadata = table.schema.metadata
    assert metadata[b"iotwins.measurement"].decode() == measurement


def test_an_object_batch_sink_window_reads_back_equal_in_pyarrow(platform):
    measurement = f"pq_sink_{uuid.uuid4().hex[:8]}"
    sink = platform.connector("object-batch-sink", {
        "source": {"filter": measurement},
        "bucket": platform.bucket,
        "keyTemplate": "sink/{measurement}/{windowStart}-{firstSeq}.{format}",
        "windowSeconds": 2,
    })
    # TELEMETRY keeps a message only for the consumers that exist when it arrives: write once
    # the sink's durable (made at its first run) is there, as NATS monitoring lists it.
    monitor = f"http://127.0.0.1:{env('NATS_MONITOR_PORT')}/jsz?accounts=true&consumers=true"
    wait_until(
        "the sink's durable consumer",
        lambda: f'"connector-{sink}"' in requests.get(monitor, timeout=5).text,
        timeout=30,
    )
    points = [
        {"measurement": measurement, "tags": {"unit": str(i % 3)},
         "fields": {"v": 0.5 * i, "n": {"type": "integer", "value": str(-(2**62) + i)}},
         "time": str(BASE_NS + i * 999)}
        for i in range(12)
    ]
    # Two requests: two messages, one window.
    platform.write(points[:7])
    platform.write(points[7:])
    keys = wait_until(
        "the window's file",
        lambda: [k for k in platform.keys(f"sink/{measurement}/") if k.endswith(".parquet")],
        timeout=60,
    )
    tables = [pq.read_table(io.BytesIO(platform.get(key))) for key in keys]
    table = pa.concat_tables(tables).sort_by("time")
    assert table.schema.field("time").type == pa.timestamp("ns", tz="UTC")
    assert table.schema.field("v").type == pa.float64()
    assert table.schema.field("n").type == pa.int64()
    assert table.column("time").cast(pa.int64()).to_pylist() == [BASE_NS + i * 999 for i in range(12)]
    assert table.column("v").to_pylist() == [0.5 * i for i in range(12)]
    assert table.column("n").to_pylist() == [-(2**62) + i for i in range(12)]
    assert table.column("unit").to_pylist() == [str(i % 3) for i in range(12)]
