"""A local, protocol-faithful Firefox Accounts + Sync 1.5 server stack.

For tests and manual runs only: it speaks the same HTTP protocol as Mozilla's servers
(onepw login with its confirmation paths, OAuth, scoped keys, tokenserver, Sync 1.5
storage on SQLite), verifies Hawk on every storage request, enforces the published
limits and returns the real error shapes. Faults can be injected to test clients.
"""
