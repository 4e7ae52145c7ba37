"""The page fixtures of tests/web (``site``, ``as_user``) for the pages of the teacher's year."""

from tests.web.conftest import as_user, compiled_catalog, site  # noqa: F401
