"""Errors raised by ``nlp``.

    KoubeiError                      (models.exceptions)
     └── NLPError                    anything the text-analysis stage raises on purpose
          ├── ModelNotFound          no sentiment artifact at the given (or shipped) path
          ├── ModelLoadError         the artifact exists but cannot be used: corrupt, not a
          │                          Koubei sentiment artifact, or built by an incompatible
          │                          library version; the message names the file
          └── TrainingDataError      the labelled CSV is missing, unreadable, lacks the
                                     ``text``/``label`` columns or has no usable rows for a
                                     split; the message names the file (and line when known)
"""
from __future__ import annotations

from models.exceptions import KoubeiError


class NLPError(KoubeiError):
    pass


class ModelNotFound(NLPError):
    pass


class ModelLoadError(NLPError):
    pass


class TrainingDataError(NLPError):
    pass
