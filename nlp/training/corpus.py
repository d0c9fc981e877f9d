"""Labelled review CSVs for training and evaluation.

A corpus file has a header with at least ``text`` and ``label``; ``split`` (train/dev/test)
and ``domain`` are used when present. Labels may be written ``1``/``0``, ``positive``/
``negative`` (``pos``/``neg``) or ``neutral``. A ``label3`` column (negative / neutral /
positive, the three-way human labelling of ``more_domains_labeled.csv``) is kept on each row;
a row whose ``label`` is empty takes its label from ``label3`` (so the neutral rows are read),
and a row with neither (an emotion outside the three ways) is counted in ``unlabelled``, not
reported. A bad row (unknown label, empty text) is reported as ``file:line: problem`` and
skipped; the rows around it are kept. Several files can be read as one corpus
(``read_corpora``): by default every labelled sentiment file of the shared data.
"""
from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from nlp.exceptions import TrainingDataError

DATA_ENV = "KOUBEI_TRAINING_DATA"
SHARED_SENTIMENT = Path(__file__).resolve().parents[3] / "shared" / "data" / "sentiment"
REPO_DATA = SHARED_SENTIMENT / "reviews_labeled.csv"
# Every labelled sentiment file of the shared data, read together for training and LODO.
REPO_DATA_FILES = (REPO_DATA, SHARED_SENTIMENT / "more_domains_labeled.csv")
LABELS = {"1": "positive", "positive": "positive", "pos": "positive",
          "0": "negative", "negative": "negative", "neg": "negative",
          "neutral": "neutral"}


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    label: str          # negative | neutral | positive
    line: int           # where the row starts in the file (1 = header)
    split: str | None = None
    domain: str | None = None
    label3: str | None = None  # the three-way human label, where the file has one


@dataclass
class Corpus:
    path: Path
    rows: list[LabelledText]
    problems: list[str] = field(default_factory=list)  # "file:line: what was wrong"
    has_splits: bool = False
    paths: list[Path] = field(default_factory=list)      # every file read (path is the first)
    unlabelled: int = 0  # rows with neither label nor label3 (e.g. the "surprise" emotion)

    def split(self, name: str) -> list[LabelledText]:
        """Rows of split ``name``; ``all`` (or a file without a split column) gives every row."""
        if name == "all" or not self.has_splits:
            return list(self.rows)
        return [row for row in self.rows if row.split == name]

    def require(self, name: str) -> list[LabelledText]:
        rows = self.split(name)
        if not rows:
            raise TrainingDataError(f"{self.path}: no usable rows in split {name!r}")
        return rows


def default_data_path() -> Path:
    """``$KOUBEI_TRAINING_DATA``, else the project's shared labelled CSV when it exists."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    if REPO_DATA.exists():
        return REPO_DATA
    raise TrainingDataError(
        f"no training data: pass --data CSV or set {DATA_ENV} (looked for {REPO_DATA})")


def default_data_paths() -> list[Path]:
    """``$KOUBEI_TRAINING_DATA`` (one file, or several joined by ``os.pathsep``), else every
    file of ``REPO_DATA_FILES`` that exists."""
    if os.environ.get(DATA_ENV):
        return [Path(p) for p in os.environ[DATA_ENV].split(os.pathsep) if p]
    found = [p for p in REPO_DATA_FILES if p.exists()]
    if found:
        return found
    raise TrainingDataError(
        f"no training data: pass --data CSV or set {DATA_ENV} (looked for {REPO_DATA})")


def read_corpora(paths) -> Corpus:
    """Several labelled CSVs read as one corpus (rows in file order; ``path`` is the first
    file, ``paths`` all of them). ``paths`` may be one path."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    corpora = [read_corpus(p) for p in paths]
    if not corpora:
        raise TrainingDataError("no training data files given")
    merged = Corpus(corpora[0].path, [], [], all(c.has_splits for c in corpora),
                    [c.path for c in corpora], sum(c.unlabelled for c in corpora))
    for corpus in corpora:
        merged.rows += corpus.rows
        merged.problems += corpus.problems
    return merged


def corpus_hash(corpus: Corpus) -> str:
    """``file_hash`` of a one-file corpus; a hash of the files' hashes for several."""
    paths = corpus.paths or [corpus.path]
    if len(paths) == 1:
        return file_hash(paths[0])
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(file_hash(path).encode())
    return digest.hexdigest()


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_corpus(path: str | Path) -> Corpus:
    """Read a labelled CSV. Raises ``TrainingDataError`` when the file cannot be read or lacks
    the ``text``/``label`` columns; bad rows become ``problems``."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return _parse(path, handle)
    except FileNotFoundError:
        raise TrainingDataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TrainingDataError(f"{path}: cannot read labelled CSV: {exc}") from exc


def _parse(path: Path, handle) -> Corpus:
    reader = csv.DictReader(handle)
    columns = set(reader.fieldnames or ())
    missing = {"text", "label"} - columns
    if missing:
        found = ", ".join(sorted(columns)) or "nothing"
        raise TrainingDataError(
            f"{path}:1: missing column(s) {', '.join(sorted(missing))} (found: {found})")
    corpus = Corpus(path, [], has_splits="split" in columns, paths=[path])
    three_way = "label3" in columns
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        text = (record.get("text") or "").strip()
        raw_label = (record.get("label") or "").strip().lower()
        label3 = LABELS.get((record.get("label3") or "").strip().lower()) if three_way else None
        if not raw_label and three_way:
            if label3 is None:
                corpus.unlabelled += 1
                continue
            raw_label = label3
        label = LABELS.get(raw_label)
        if label is None:
            corpus.problems.append(f"{path}:{line}: unknown label {raw_label!r} "
                                   "(expected 1/0, positive/negative or neutral)")
        elif not text:
            corpus.problems.append(f"{path}:{line}: empty text")
        else:
            split = (record.get("split") or "").strip() or None
            domain = (record.get("domain") or "").strip() or None
            corpus.rows.append(LabelledText(text, label, line, split, domain, label3))
    return corpus
