"""Entry point for a production server: `gunicorn wsgi:app`."""

from outcomes import create_app

app = create_app()
