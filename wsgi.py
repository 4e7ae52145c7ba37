"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from portal import create_app, settle_for_serving

app = create_app()
settle_for_serving()  # the objects of the built app out of the garbage collector's full collections
