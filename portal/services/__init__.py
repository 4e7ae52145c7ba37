"""The domain services: every rule the pages, the API and the CLI share lives here.

Views parse input, call a service, render. A service validates, writes in one
transaction (``portal.database.write_transaction``) and raises ``portal.errors`` on refusal.
"""
