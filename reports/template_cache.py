"""Compiled report templates kept between commands, in the user's cache folder.

Compiling the scorecard's template is a tenth of a second of every ``report``, ``demo``
and ``simulate --report``; jinja2 can keep the compiled code (its bytecode cache) and
load it in a millisecond. It goes to ``$XDG_CACHE_HOME/drillbit/templates`` (else
``~/.cache/drillbit/templates``), a folder that must be a real directory of this user,
closed to others: the cache holds code that is run. Where there is no such folder, or
a file cannot be read or written, templates are compiled as without a cache; the
report is the same either way.

A cached template is used only for the same source text (jinja2 checks its checksum),
the same Python, and the same environment: the file name carries a digest of the
environment's options and jinja2's version, since those change the compiled code and
jinja2's key does not include them.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Mapping

import jinja2
from jinja2.bccache import Bucket


class _Cache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache, which a folder or file gone wrong never makes fail."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, or cut short (jinja2 lets a truncated pickle's error through)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def cache_folder(env: Mapping[str, str] | None = None) -> Path | None:
    """Where compiled templates go, or None without a home to put them in."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    # The XDG spec ignores a relative path: it would put the cache wherever drillbit ran.
    if not (base and os.path.isabs(base)):
        home = env.get("HOME", "")
        if not (home and os.path.isabs(home)):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "drillbit" / "templates"


def use_cache(env: jinja2.Environment, name: str, folder: Path | None = None) -> jinja2.Environment:
    """``env`` (called ``name``) with its compiled templates kept in ``folder`` (default
    :func:`cache_folder`), when that folder can be made private to this user."""
    folder = cache_folder() if folder is None else folder
    if folder is not None and _private(folder):
        digest = hashlib.sha256(repr((_options(env), jinja2.__version__)).encode()).hexdigest()[:16]
        env.bytecode_cache = _Cache(str(folder), f"{name}-{digest}-%s.cache")
    return env


#: The settings of an environment that its compiled code depends on.
_COMPILE_OPTIONS = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
                    "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
                    "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "optimized",
                    "autoescape", "finalize", "undefined", "is_async")


def _options(env: jinja2.Environment) -> tuple:
    def named(value: object) -> object:
        return f"{value.__module__}.{value.__qualname__}" if callable(value) else value

    return (tuple(named(getattr(env, option, None)) for option in _COMPILE_OPTIONS),
            tuple(sorted(env.extensions)), tuple(sorted(env.filters)), tuple(sorted(env.tests)))


def _private(folder: Path) -> bool:
    """Whether ``folder`` is (made, 0700) a real directory of this user that no one else may write to."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):  # a symlink is refused, not followed
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & 0o022
