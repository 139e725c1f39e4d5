"""Rendered markup cached by everything it is made from: drawn once per distinct input, then reused.

A fragment here is a pure function of its key (plus the knowledge base, which is immutable once loaded):
the body map for one drawing, a chart for one series of scores, a form's fields for one set of initial
values, the explorer's results for one set of painful areas. The key must therefore name every input
that changes the markup; anything that differs per request (the CSRF token, the user, a row's address)
stays out of cached markup and is rendered around it.

Each process keeps its own bounded, least-recently-used store (a few hundred entries of a few to a
hundred kilobytes): nothing is pickled or sent anywhere, and a fragment is never stale, because a
changed input is a different key. A store empties itself when the knowledge base object changes (a
test loading another data folder), and every store empties when a setting changes (a test's
`override_settings`: row ids in markup depend on the id key, links on the URL prefix).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.signals import setting_changed
from django.urls import get_script_prefix
from django.utils import timezone

T = TypeVar("T")
_stores: weakref.WeakSet[FragmentCache] = weakref.WeakSet()  # every store, to empty them all


class FragmentCache:
    """A bounded LRU of rendered markup. `get(kb, key, render)` answers the value for `key`, calling
    `render()` (which must return the same value for the same key, every time: markup, usually a
    SafeString, or a tuple holding it) only on a miss. Values are shared: never change one."""

    def __init__(self, name: str, maxsize: int = 256):
        self.name = name
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._kb: object = None
        self.hits = self.misses = 0
        _stores.add(self)

    def get(self, kb: object, key: Hashable, render: Callable[[], T]) -> T:
        # The address prefix (a deployment under a sub-path) is part of every link in the markup.
        full_key = (get_script_prefix(), key)
        with self._lock:
            if self._kb is not kb:
                self._items.clear()
                self._kb = kb
            found = self._items.get(full_key)
            if found is not None:
                self._items.move_to_end(full_key)
                self.hits += 1
                return found
        markup = render()
        with self._lock:
            self.misses += 1
            if self._kb is kb:
                self._items[full_key] = markup
                if len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
        return markup

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


def clear_all(**_: object) -> None:
    for store in _stores:
        store.clear()


setting_changed.connect(clear_all, dispatch_uid="needlechart-fragments")


def zone_key() -> str:
    """The active time zone's name: part of the key of any fragment that shows a date or time."""
    return timezone.get_current_timezone_name()
