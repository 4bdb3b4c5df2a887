"""WSGI entry point: `flask --app wsgi ...` or `gunicorn wsgi:app`."""
from web import create_app

app = create_app()
