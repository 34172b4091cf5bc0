"""The web chat: pure HTML rendering (render, timeline, examples) apart from the Gradio layout (blocks).

Importing this package first makes the later ``import gradio`` skip rewriting Gradio's type stubs (`skip_stubs`)."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

# Gradio's module whose `create_or_modify_pyi` rewrites the ``.pyi`` stub of every component class as the class is
# defined, on every import: it parses each component's source file with `ast` (an editor aid for Gradio's own
# developers). Here that is 1.8 s of the 3.4 s `import gradio` takes, paid on every `qa serve` start (issue 23).
STUB_WRITER = "gradio.component_meta"


def _no_stub(*args, **kwargs) -> None:
    """Stands in for Gradio's stub writer: the installed stubs are left as they are."""


class _SkipStubs(importlib.abc.MetaPathFinder):
    """Finds `STUB_WRITER` as Python would, and replaces its stub writer right after it runs (before any component
    class is defined with it). Removes itself once used; does nothing when Gradio no longer has that function."""

    def find_spec(self, name, path, target=None):
        if name != STUB_WRITER:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            run(module)
            if hasattr(module, "create_or_modify_pyi"):
                module.create_or_modify_pyi = _no_stub

        spec.loader.exec_module = exec_module
        return spec


def skip_stubs() -> None:
    """Make the next ``import gradio`` of this process leave Gradio's stubs alone (no effect once it is imported)."""
    if STUB_WRITER not in sys.modules and not any(isinstance(f, _SkipStubs) for f in sys.meta_path):
        sys.meta_path.insert(0, _SkipStubs())


skip_stubs()
