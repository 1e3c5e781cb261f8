"""The installer's errors: plain messages, no tracebacks."""

from daemon.errors import FoxbridgeError


class InstallError(FoxbridgeError):
    pass
