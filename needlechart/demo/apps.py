from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "needlechart.demo"
    label = "demo"
