"""NeedleChart: clinical software for dry needling and acupuncture care."""

__version__ = "0.1.0"
