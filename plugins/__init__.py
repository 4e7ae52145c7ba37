"""The built-in activity types. Each module is registered through the ``portal.plugins``
entry point in ``pyproject.toml``, exactly as a third-party package would be, and imports
only the public contract: ``portal.hookspecs``, ``portal.activity_types``, ``workflows``
and WTForms."""
