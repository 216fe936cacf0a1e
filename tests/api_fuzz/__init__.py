"""`make api-fuzz`: schemathesis against the API's own OpenAPI schema (see
`__main__.py`). Not a pytest suite: nothing here is collected."""
