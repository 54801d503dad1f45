"""The bundled text corpora for character-level language models."""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEXT_CORPORA", "load_text"]

_DATA = Path(__file__).resolve().parent / "_data"
TEXT_CORPORA = {"shakespeare": "tinyshakespeare.txt", "names": "names.txt"}


def load_text(name: str) -> str:
    """The whole text of a bundled corpus: ``"shakespeare"`` (Tiny Shakespeare, 1,115,394
    characters, 65 distinct) or ``"names"`` (makemore's 32,033 names, one a line).
    Sources and licences: ``autograd/data/_data/README.md``."""
    if name not in TEXT_CORPORA:
        raise ValueError(f"load_text: unknown corpus '{name}'; choose one of "
                         f"{', '.join(TEXT_CORPORA)}")
    return (_DATA / TEXT_CORPORA[name]).read_text(encoding="utf-8")
