"""asyncrt from Python: the extension module ``_asyncrt`` over ``libasyncrt.so``.

Both files sit in this package; the extension module finds the library through its
RPATH (``$ORIGIN``). The default runtime's workers are joined at interpreter exit.
"""

from __future__ import annotations

import atexit

from asyncrt_example._asyncrt import completed_count, parallel_sum, shutdown, thread_count, version

__all__ = ["completed_count", "parallel_sum", "shutdown", "thread_count", "version"]

atexit.register(shutdown)
