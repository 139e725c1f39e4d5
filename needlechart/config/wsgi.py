"""WSGI entry point (gunicorn needlechart.config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needlechart.config.settings")
application = get_wsgi_application()
