"""The clinical knowledge base: YAML data files, a typed loader that validates them, and look-ups."""

from .errors import KnowledgeError
from .loader import load
from .lookup import UnknownName, resolve, resolve_target
from .model import KnowledgeBase

__all__ = ["KnowledgeBase", "KnowledgeError", "UnknownName", "load", "resolve", "resolve_target"]
