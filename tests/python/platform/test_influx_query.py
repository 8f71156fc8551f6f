"""The InfluxDB v1 Python client (influxdb 5.3.2) against the platform: it writes through
ingest's /write and reads through timeseries' /query, as it would against InfluxDB, with a
Keycloak client id and secret as user name and password. InfluxDB itself keeps the tenants
apart, because /query runs as the tenant's read-only InfluxDB user."""

import uuid
from urllib.parse import urlparse

import pytest
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError

from conftest import env, wait_until


def client(base_url: str, tenant: str, database: str) -> InfluxDBClient:
    url = urlparse(base_url)
    secret = env(f"KEYCLOAK_GATEWAY_{tenant.upper().replace('-', '_')}_SECRET")
    return InfluxDBClient(
        host=url.hostname, port=url.port, username=f"gateway-{tenant}", password=secret,
        database=database, timeout=15,
    )


def test_v1_client_creates_its_database_writes_and_reads_back(apps):
    measurement = f"pyclient_{uuid.uuid4().hex[:10]}"
    writer = client(apps("ingest").base_url, "tenant-a", "tenant-a")
    reader = client(apps("timeseries").base_url, "tenant-a", "tenant-a")

    # What Telegraf and the v1 clients do first: CREATE DATABASE of their own database.
    reader.create_database("tenant-a")
    assert reader.get_list_database() == [{"name": "tenant-a"}]

    assert writer.write_points(
        [{"measurement": measurement, "tags": {"site": "north"}, "fields": {"v": 1.5},
          "time": 1_795_514_400_000_000_000}],
        time_precision="n",
    )
    points = wait_until(
        "the point through /query",
        lambda: list(reader.query(f'SELECT "v", "site" FROM "{measurement}"', epoch="ns")
                     .get_points()),
    )
    assert points == [{"time": 1_795_514_400_000_000_000, "v": 1.5, "site": "north"}]
    measurements = [m["name"] for m in reader.get_list_measurements()]
    assert measurement in measurements


def test_v1_client_of_tenant_a_cannot_read_or_drop_tenant_b(apps):
    reader = client(apps("timeseries").base_url, "tenant-a", "tenant-a")
    with pytest.raises(InfluxDBClientError, match="not authorized"):
        reader.query('SHOW MEASUREMENTS', database="tenant-b")
    with pytest.raises(InfluxDBClientError, match="not authorized"):
        reader.query('SELECT * FROM "iotwins_tenant-b"."iotwins"./.*/ LIMIT 1')
    with pytest.raises(InfluxDBClientError, match="not authorized|requires admin"):
        reader.drop_database("tenant-b")
    with pytest.raises(InfluxDBClientError, match="not authorized|requires admin"):
        reader.create_database("tenant-b")


def test_v1_client_with_a_wrong_secret_is_refused(apps):
    url = urlparse(apps("timeseries").base_url)
    wrong = InfluxDBClient(host=url.hostname, port=url.port, username="gateway-tenant-a",
                           password="a-wrong-guess", database="tenant-a", timeout=15)
    with pytest.raises(InfluxDBClientError) as refused:
        wrong.query("SHOW MEASUREMENTS")
    assert refused.value.code == 401
