"""Upload size limits, one per kind of import, enforced while the body streams in.

A view that takes a file puts `CappedUpload` first among the request's upload
handlers before anything reads the body (so it is exempt from the CSRF middleware,
which reads the body, and checks CSRF itself once the cap has passed it: see
`sources.views`). The cap refuses at once a body whose declared length is over the
limit, without reading the file; otherwise it counts the file's bytes as they arrive
and stops the upload once they pass the limit. Either way the handlers after it
(which spool the file to memory or a temporary file) close and delete what they
started, and the view answers with a plain message; nothing is stored.

The browser is still sending when the answer is ready, and a connection closed
under it shows as "connection reset" instead of the message. So a refused body that
is at most `DRAIN_PAST_LIMIT` over the limit is read to its end and dropped, never
kept; a larger one is left unread and the connection closes.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from .providers.limits import size_in_words

#: Room in a request body for the form's other fields and the multipart framing.
FORM_ALLOWANCE = 64 * 1024
#: How far past the limit a refused body is still read (and dropped) so that the
#: browser shows the answer.
DRAIN_PAST_LIMIT = 1 << 30
_DRAIN_CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadLimit:
    """The limit of one kind of upload: the setting that holds it, and how the
    refusal names the import ("a CSV import")."""

    setting: str
    import_name: str

    @property
    def max_bytes(self) -> int:
        return getattr(settings, self.setting)

    def refusal(self) -> str:
        return (
            f"The file is larger than {size_in_words(self.max_bytes)}, "
            f"the most {self.import_name} takes."
        )


CSV_IMPORT = UploadLimit("UPLOAD_MAX_CSV_BYTES", "a CSV import")
HEALTH_IMPORT = UploadLimit("UPLOAD_MAX_HEALTH_BYTES", "an Apple Health import")


class CappedUpload(FileUploadHandler):
    """Passes the files' chunks on to the handlers after it until more than `limit`
    bytes have come (all files of the request together), then stops the upload.
    `received` counts the file bytes it saw; `refused` says whether it stopped the
    upload."""

    def __init__(self, request, limit: UploadLimit):
        super().__init__(request)
        self.max_bytes = limit.max_bytes
        self.received = 0
        self.refused = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length <= self.max_bytes + FORM_ALLOWANCE:
            return None
        self.refused = True
        if content_length <= self.max_bytes + DRAIN_PAST_LIMIT:
            while input_data.read(_DRAIN_CHUNK):
                pass
        return QueryDict(encoding=encoding), MultiValueDict()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.refused = True
            # The parser then reads what is left of the body (at most
            # FORM_ALLOWANCE past the limit) and drops it.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_refusal(request, limit: UploadLimit) -> str | None:
    """Read the request's body through the cap for `limit`: why the file is refused,
    in words, or None when it is within the limit (and in `request.FILES`). Call it
    before anything else reads the body."""
    cap = CappedUpload(request, limit)
    request.upload_handlers.insert(0, cap)
    request.POST  # noqa: B018  (reads the body now, through the cap)
    return limit.refusal() if cap.refused else None
