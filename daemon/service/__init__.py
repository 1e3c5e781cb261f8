"""The long-running daemon: the socket, connected browser profiles, and when to sync.

Read in this order:

- ``protocol``: the messages of docs/ipc.md and their validation (pure);
- ``connection``: one peer on the socket, with requests in both directions;
- ``server``: the single-instance lock, the private socket and the peer check;
- ``profiles``: a connected browser profile as the engine's ``BrowserEndpoint``;
- ``status`` and ``clock``: the status object, and time the scheduler can be tested with;
- ``scheduler``: debounce, polling, backoff and pause (pure logic around a clock);
- ``jobs``: the work itself, done with the account, the Sync client and the engine;
- ``signin`` and ``web_signin``: password sign-in, and sign-in on the account page;
- ``app``: all of it put together, and the IPC methods;
- ``client``: the command line's way to ask the running daemon.
"""
