"""The real mlflow client (mlflow-skinny) against the registry's MLflow REST subset:
MLFLOW_TRACKING_URI is the registry, MLFLOW_TRACKING_TOKEN a Keycloak access token."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from conftest import env, user_token


@pytest.fixture(scope="module")
def registry(apps):
    return apps("model-registry").base_url


@pytest.fixture(scope="module")
def alice_token():
    return user_token("alice", env("KEYCLOAK_ALICE_PASSWORD"))


@pytest.fixture(scope="module")
def bob_token():
    return user_token("bob", env("KEYCLOAK_BOB_PASSWORD"))


@pytest.fixture
def as_user(monkeypatch, registry):
    """Points the mlflow client at the registry with the given user's token."""

    def use(token: str):
        from mlflow import MlflowClient

        monkeypatch.setenv("MLFLOW_TRACKING_URI", registry)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        return MlflowClient(tracking_uri=registry, registry_uri=registry)

    return use


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_model(directory: Path, weights: bytes) -> dict[str, str]:
    """A model directory as mlflow writes one: MLmodel, weights in a subfolder."""
    (directory / "data").mkdir(parents=True)
    (directory / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: m\n")
    (directory / "data" / "model.onnx").write_bytes(weights)
    return {
        "MLmodel": hashlib.sha256((directory / "MLmodel").read_bytes()).hexdigest(),
        "data/model.onnx": hashlib.sha256(weights).hexdigest(),
    }


def upload_through_proxy(local_dir: Path, artifact_path: str) -> str:
    """Uploads a directory through the registry's artifact proxy, as a tracking client
    does for mlflow-artifacts:/ locations, and returns the source URI to register."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    source = f"mlflow-artifacts:/{artifact_path}"
    get_artifact_repository(source).log_artifacts(str(local_dir))
    return source


def test_create_version_alias_search_and_download_by_alias(as_user, alice_token, tmp_path):
    import mlflow
    from mlflow.exceptions import MlflowException

    client = as_user(alice_token)
    name = unique("turbine-anomaly")
    created = client.create_registered_model(
        name, tags={"testbed": "7"}, description="vibration anomalies"
    )
    assert created.name == name
    assert created.tags == {"testbed": "7"}

    digests = write_model(tmp_path / "v1", b"weights of version one")
    source = upload_through_proxy(tmp_path / "v1", f"experiments/{name}/run-1/model")
    version = client.create_model_version(
        name, source, run_id="run-1", tags={"framework": "onnx"}, description="first"
    )
    assert version.version == "1"
    assert version.status == "READY"
    assert version.run_id == "run-1"
    assert version.tags["framework"] == "onnx"

    write_model(tmp_path / "v2", b"weights of version two")
    source2 = upload_through_proxy(tmp_path / "v2", f"experiments/{name}/run-2/model")
    assert client.create_model_version(name, source2, run_id="run-2").version == "2"

    client.set_registered_model_alias(name, "production", "1")
    by_alias = client.get_model_version_by_alias(name, "production")
    assert by_alias.version == "1"
    assert by_alias.aliases == ["production"]
    assert client.get_registered_model(name).aliases == {"production": "1"}

    found = client.search_registered_models(filter_string=f"name LIKE '{name[:18]}%'")
    assert [m.name for m in found] == [name]
    assert [m.name for m in client.search_registered_models(filter_string=f"name = '{name}'")] == [name]
    versions = client.search_model_versions(filter_string=f"name = '{name}'")
    assert sorted(v.version for v in versions) == ["1", "2"]

    target = tmp_path / "downloaded"
    target.mkdir()
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@production", dst_path=str(target)))
    got = {
        str(path.relative_to(local)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in local.rglob("*")
        if path.is_file() and path.name != "registered_model_meta"
    }
    assert got == digests

    # Moving the alias changes what models:/name@production downloads.
    client.set_registered_model_alias(name, "production", "2")
    again = tmp_path / "again"
    again.mkdir()
    moved = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@production", dst_path=str(again)))
    assert (moved / "data" / "model.onnx").read_bytes() == b"weights of version two"

    client.delete_registered_model_alias(name, "production")
    with pytest.raises(MlflowException) as missing:
        client.get_model_version_by_alias(name, "production")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_another_tenants_model_is_not_there(as_user, alice_token, bob_token, tmp_path):
    from mlflow.exceptions import MlflowException

    alice = as_user(alice_token)
    name = unique("private-model")
    alice.create_registered_model(name)
    write_model(tmp_path / "m", b"alice's weights")
    alice.create_model_version(name, upload_through_proxy(tmp_path / "m", f"{name}/model"))
    alice.set_registered_model_alias(name, "production", "1")

    bob = as_user(bob_token)
    for call in (
        lambda: bob.get_registered_model(name),
        lambda: bob.get_model_version(name, "1"),
        lambda: bob.get_model_version_by_alias(name, "production"),
        lambda: bob.set_registered_model_alias(name, "production", "1"),
        lambda: bob.get_model_version_download_uri(name, "1"),
    ):
        with pytest.raises(MlflowException) as refused:
            call()
        assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert bob.search_registered_models(filter_string=f"name = '{name}'") == []
    # Alice's uploads are not a source bob can register from either.
    bob.create_registered_model(name)
    with pytest.raises(MlflowException) as no_files:
        bob.create_model_version(name, f"mlflow-artifacts:/{name}/model")
    assert no_files.value.error_code == "INVALID_PARAMETER_VALUE"


def test_errors_name_what_is_wrong(as_user, alice_token):
    from mlflow.exceptions import MlflowException

    client = as_user(alice_token)
    name = unique("errors")
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as exists:
        client.create_registered_model(name)
    assert exists.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as no_version:
        client.set_registered_model_alias(name, "production", "7")
    assert no_version.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "has no version 7" in no_version.value.message
    with pytest.raises(MlflowException) as bad_source:
        client.create_model_version(name, "s3://elsewhere/model")
    assert bad_source.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "artifact proxy" in bad_source.value.message
    with pytest.raises(MlflowException) as stages:
        client.transition_model_version_stage(name, "1", "Production")
    assert stages.value.error_code == "NOT_IMPLEMENTED"
