"""The JSON API (/api/v1): one authentication, one error handler, one OpenAPI description."""
