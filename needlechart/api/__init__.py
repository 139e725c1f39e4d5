"""The JSON API at /api/v1/: a thin layer over the same selectors and services as the pages.

Every endpoint needs a signed-in clinic user (session cookie, CSRF on unsafe methods), sees only its
own clinic (another clinic's object is a 404), and reads or writes through the services, so the
audit trail and the charting rules are the ones the pages use.
"""
