"""Editing a copy of the knowledge data in a test, then reading what the loader refuses: shared by the
tests of each data file's validation."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlechart.knowledge.errors import KnowledgeError
from needlechart.knowledge.loader import DATA_DIR, load


def copy_data(tmp_path: Path) -> Path:
    """A copy of the whole data folder to edit."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_yaml(data_dir: Path, name: str, change: Callable[[Any], object]) -> None:
    """Load `name` from the copy, let `change` edit it in place, write it back."""
    path = data_dir / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def load_problems(data_dir: Path) -> list[str]:
    """Every problem the loader lists for the copy (it must refuse it)."""
    load.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as caught:
            load(data_dir)
    finally:
        load.cache_clear()
    return caught.value.problems
