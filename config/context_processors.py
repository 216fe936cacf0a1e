from .request_context import correlation_id, current_phase


def request_context(request):
    return {"correlation_id": correlation_id(), "phase": current_phase()}
