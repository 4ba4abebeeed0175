"""The operator console: the issuer's desk in a browser, served at ``/console``.

Server-rendered pages (Jinja2, no script: every page reads without JavaScript), signed in with an
API key turned into a server-side session (:mod:`issuer.console.sessions`). Every action calls
the same service functions as the REST API, through the same idempotent write
(:mod:`issuer.console.forms`), with the same role rules; nothing here writes the database
another way.
"""
