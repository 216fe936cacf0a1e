"""The login throttle's backend for the test suite: the same as production's, except
that an authentication without a request passes it. Only `Client.login()` does that
(it calls `authenticate()` without one); every login page passes the request, so the
throttle tests, which log in through the pages, meet the real throttle."""

from axes.backends import AxesStandaloneBackend


class RequestOptionalAxesBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
