"""The pytest tier reaches the platform like any Python client: a real token, a running app."""

from conftest import client_token, env


def test_me_names_the_tenant_of_the_gateway_token(apps):
    import requests

    token = client_token("gateway-tenant-a", env("KEYCLOAK_GATEWAY_TENANT_A_SECRET"))
    response = requests.get(
        f"{apps('ingest').base_url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["tenant"] == "tenant-a"


def test_me_refuses_a_call_without_token(apps):
    import requests

    response = requests.get(f"{apps('ingest').base_url}/v1/me", timeout=10)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
