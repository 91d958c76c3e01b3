"""Sign-in: the OpenID Connect client, tokens, server-side sessions, drafts, and binding a
subject to its contact."""
