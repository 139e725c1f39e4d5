"""The clinical core: pure functions over the knowledge base.

Nothing here imports Django; every rule runs and is tested without a database.
"""
