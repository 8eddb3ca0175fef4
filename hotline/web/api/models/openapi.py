"""The OpenAPI document itself."""

from __future__ import annotations

from typing import Any

from hotline.web.api.models.common import OutModel


class OpenApiDocumentOut(OutModel):
    """An OpenAPI 3.1 document."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
