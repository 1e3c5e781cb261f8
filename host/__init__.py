"""The native-messaging host: relays frames between the browser and the daemon.

Standard library only, and nothing from ``daemon``: the browser starts it for every
connection, so it must start fast.
"""

# The extension's id follows from the public key in extension/manifest.json ("key"), so
# it is the same on every machine and the host's allowed origin is known in advance.
EXTENSION_ID = "cknbndjhkemjlbbmempflnjfealonpia"
EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}/"
HOST_NAME = "org.foxbridge.host"

# Sent to the daemon in ``host.hello``; equal to the distribution's version (a test
# checks), written out so the host need not read package metadata at start-up.
HOST_VERSION = "0.1.0"
