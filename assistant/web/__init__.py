"""The web chat UI: server-rendered pages and fragments over the same engine and stores as
the API (htmx and its SSE extension, vendored under static/vendor/)."""
