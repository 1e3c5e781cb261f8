"""Firefox Accounts: signing in, the account's keys, and OAuth tokens for Sync.

Reading order: ``credentials`` (what Sync needs) → ``crypto`` and ``hawk`` (the pure
protocol) → ``wire`` and ``errors`` (the server's answers) → ``client`` (HTTP) →
``secrets`` (the keyring) → ``account`` (the signed-in account) → ``login`` (password
sign-in with its confirmation codes). ``scoped_keys`` is the web sign-in's key exchange.
"""
