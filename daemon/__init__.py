"""foxbridge's background service: Firefox Accounts, Firefox Sync and the bookmark engine.

Sub-packages, with imports flowing one way only (service → bookmarks → sync → fxa):

- ``fxa``: signing in to a Firefox Account, keys, OAuth tokens, device registration.
- ``sync``: the Firefox Sync 1.5 protocol: tokenserver, storage, record crypto.
- ``bookmarks``: the bookmark model, the three-way merge and the local state.
- ``service``: the long-running daemon: socket, browser profiles, scheduling.
- ``cli``: the ``foxbridge`` command.
"""

__version__ = "0.1.0"
