"""The pydantic models of the JSON API: one declaration per request, query and response shape.

Request bodies end in `In`, query strings in `Query`, answers in `Out` (Error is the shared
error answer). The glue (hotline.web.api.contract) validates with them and the OpenAPI
document (hotline.web.api.openapi) is generated from them.
"""
