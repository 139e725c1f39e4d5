from django.apps import AppConfig


class LearnConfig(AppConfig):
    """Public patient education at /learn/: plain-language pages from knowledge/data/education.yaml."""

    name = "needlechart.learn"
    label = "learn"
    verbose_name = "Patient education"
