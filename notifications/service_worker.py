"""The service worker script, served from the site's root.

A service worker controls only pages under the folder its script is served from, so
`/static/js/service-worker.js` could not show the notifications of the whole app.
This view serves the same file at `/service-worker.js`. It needs no login (the
browser fetches it on its own, to check for updates) and is revalidated on each
check (`no-cache`), so a new release reaches every browser at once.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import etag, require_safe

SCRIPT = "js/service-worker.js"


def _script() -> tuple[bytes, str]:
    path = Path(finders.find(SCRIPT))
    return _read(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _read(path: Path, modified: int) -> tuple[bytes, str]:
    content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:32]


@login_not_required
@require_safe
@etag(lambda request: _script()[1])
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_script()[0], content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
