"""Mixed load with Locust: a district's morning against gunicorn (``make bench-load``)."""
