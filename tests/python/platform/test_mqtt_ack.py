"""A PUBACK from ingest's MQTT endpoint means stored; a refused payload says why (ADR 0009).
Driven with paho-mqtt, the Python client gateways use."""

import threading

import paho.mqtt.client as mqtt

from conftest import env


def _publish_all(port: int, messages: list[tuple[str, str]]) -> list[int]:
    """Publishes each (topic, payload) with QoS 1 and answers the PUBACK reason codes."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set("gateway-tenant-a", env("KEYCLOAK_GATEWAY_TENANT_A_SECRET"))
    codes: dict[int, int] = {}
    acked = threading.Condition()

    def on_publish(_client, _userdata, mid, reason_code, _properties):
        with acked:
            codes[mid] = reason_code.value
            acked.notify_all()

    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        mids = [client.publish(topic, payload, qos=1).mid for topic, payload in messages]
        with acked:
            assert acked.wait_for(lambda: all(mid in codes for mid in mids), timeout=30)
        return [codes[mid] for mid in mids]
    finally:
        client.disconnect()
        client.loop_stop()


def test_puback_reason_codes_tell_stored_from_refused(apps):
    ingest = apps("ingest")
    topic = "iotwins/tenant-a/telemetry/pytest_mqtt_ack"
    codes = _publish_all(
        ingest.mqtt_port,
        [
            (topic, '{"fields": {"v": 1.5}}'),
            (topic, '{"fields":'),
            (topic, '0 \\\\="="'),
            ("iotwins/tenant-b/telemetry/x", "x v=1"),
        ],
    )
    # 0 stored, 0x99 payload format invalid (twice: bad JSON, a line that crashes InfluxDB),
    # 0x87 not authorized (another tenant's topic).
    assert codes == [0x00, 0x99, 0x99, 0x87]
