"""GET /v1/models and GET /v1/models/{id}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmconform.reference import create_app

if TYPE_CHECKING:
    from unit.reference.conftest import Caller, Kit


def test_list_models(ref: Caller, kit: type[Kit]) -> None:
    response = ref.request("GET", "/v1/models")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "list"
    [model] = body["data"]
    assert set(model) == {"id", "object", "created", "owned_by"}
    assert model["id"] == kit.MODEL
    assert model["object"] == "model"
    assert isinstance(model["created"], int) and 1e9 < model["created"] < 1e10  # seconds
    assert isinstance(model["owned_by"], str)


def test_list_is_reproducible(ref: Caller) -> None:
    assert ref.request("GET", "/v1/models").content == ref.request("GET", "/v1/models").content


def test_configured_models_in_order(kit: type[Kit]) -> None:
    caller = kit.Caller(create_app(models=("b-model", "org/a-model")))
    ids = [m["id"] for m in caller.request("GET", "/v1/models").json()["data"]]
    assert ids == ["b-model", "org/a-model"]
    # ids with a slash are retrievable too
    response = caller.request("GET", "/v1/models/org/a-model")
    assert response.status_code == 200
    assert response.json()["id"] == "org/a-model"


def test_retrieve_model(ref: Caller, kit: type[Kit]) -> None:
    response = ref.request("GET", f"/v1/models/{kit.MODEL}")
    assert response.status_code == 200
    assert response.json() == ref.request("GET", "/v1/models").json()["data"][0]


def test_retrieve_unknown_model_is_404(ref: Caller) -> None:
    response = ref.request("GET", "/v1/models/gpt-nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found"
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "model"
    assert "gpt-nope" in error["message"]
