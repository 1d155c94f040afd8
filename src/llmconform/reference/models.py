"""`GET /v1/models` and `GET /v1/models/{model}`: the OpenAI Models API."""

from __future__ import annotations

from typing import Any

from llmconform.reference.asgi import HttpRequest, JsonResponse, Response
from llmconform.reference.errors import model_not_found
from llmconform.reference.settings import MODEL_CREATED, MODEL_OWNER


def model_object(model_id: str) -> dict[str, Any]:
    """The model object for a served model id."""
    return {"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_OWNER}


async def list_models(request: HttpRequest) -> Response:
    """Every served model, in configuration order."""
    data = [model_object(m) for m in request.settings.models]
    return JsonResponse({"object": "list", "data": data})


async def retrieve_model(request: HttpRequest) -> Response:
    """One served model, or a 404 `model_not_found`."""
    model_id = request.params["model"]
    if model_id not in request.settings.models:
        raise model_not_found(model_id, param="model")
    return JsonResponse(model_object(model_id))
