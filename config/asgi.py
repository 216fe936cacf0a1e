"""The application `make run` serves (gunicorn with uvicorn workers, an ASGI server).

Three kinds of request, three ways through:

- Async views (the live pages' stream, `events/views.py`) go to Django's ASGI handler:
  a stream then waits on the event loop for as long as the page stays open, holding no
  thread and no database connection.
- Every other view is synchronous and goes to Django's WSGI handler, run in a pool of
  `WEB_THREADS` threads per process (as gunicorn's threaded workers would), with the
  request body streamed to it as it arrives. So a page or an API call costs one hand-over
  to a thread, each thread keeps its database connection between requests
  (`CONN_MAX_AGE`), and upload limits stop an upload while it is still coming in.
  Django's ASGI handler would instead read the whole body to disk first, and run each
  request in a new thread of its own, with a new connection.
- Static files are answered before Django, from WhiteNoise's own index of them (the same
  files, headers, compressed variants and caching as its middleware under WSGI), read in
  a thread a chunk at a time.
"""

import asyncio
import functools
import inspect
import os

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve
from whitenoise.middleware import WhiteNoiseMiddleware

from config.process import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi = get_asgi_application()

CHUNK_BYTES = 64 * 1024
WEB_THREADS = int(os.environ.get("WEB_THREADS", "4"))


@functools.lru_cache(maxsize=4096)
def is_async_view(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return inspect.iscoroutinefunction(match.func)


class StaticFiles:
    def __init__(self):
        self.whitenoise = WhiteNoiseMiddleware(get_response=None)

    def find(self, path: str):
        if not path.startswith(self.whitenoise.static_prefix):
            return None
        if self.whitenoise.autorefresh:
            return self.whitenoise.find_file(path)
        return self.whitenoise.files.get(path)

    @staticmethod
    async def serve(static_file, scope, send) -> None:
        request_headers = {
            "HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        response = static_file.get_response(scope["method"], request_headers)
        await send(
            {
                "type": "http.response.start",
                "status": int(response.status),
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.headers
                ],
            }
        )
        file = response.file
        try:
            while file is not None and (chunk := await asyncio.to_thread(file.read, CHUNK_BYTES)):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            if file is not None:
                file.close()
        await send({"type": "http.response.body", "body": b""})


class Application:
    def __init__(self):
        self.static = StaticFiles()
        self.pages = WSGIMiddleware(get_wsgi_application(), workers=WEB_THREADS)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self.pages(scope, receive, send)  # answers startup and shutdown
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if (static_file := self.static.find(path)) is not None:
            await self.static.serve(static_file, scope, send)
        elif is_async_view(path):
            await django_asgi(scope, receive, send)
        else:

            async def receive_body():
                # A coroutine, which a2wsgi hands over from its threads (some servers'
                # `receive` returns another kind of awaitable).
                return await receive()

            await self.pages(scope, receive_body, send)


application = Application()
settle()
