"""Which files an ingest run looks at, and which it refuses before reading them.

- Hidden files and folders, and the configured exclude globs, are left out silently.
- Symbolic links are followed only when their target lies inside one of the ingested roots;
  a file is then named by the link's own path (so it goes when the link goes). A link out
  of the roots, a broken link, or a link to a file already indexed under its own path is
  reported as skipped.
- Account exports are reported as skipped (`ingest.account_exports`), wherever they are.
- Metadata files (`ingest.sidecars`) are read with their documents, not indexed.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.account_exports import AccountExports
from ingest.loaders import is_supported
from ingest.sidecars import is_metadata_file


@dataclass(frozen=True)
class SourceFile:
    path: Path  # as found: the link's path when reached through a link
    source: str  # the name stored in metadata: relative to the working directory when inside
    folders: tuple[Path, ...] = ()  # from the file's folder up to the ingested root


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    root_names: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # never to be indexed: chunks are removed


def source_name(path: Path) -> str:
    """Absolute (symbolic links in it kept), relative to the working directory when inside."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _inside(real: str, real_roots: Sequence[str]) -> bool:
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in real_roots)


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)


class _Walker:
    def __init__(self, roots: Sequence[Path], exclude: Sequence[str]) -> None:
        self.real_roots = [os.path.realpath(root) for root in roots if root.exists()]
        self.exclude = list(exclude)
        self.exports = AccountExports()
        self.result = Discovery()

    def refuse(self, path: Path, reason: str) -> None:
        source = source_name(path)
        self.result.skipped.append((source, reason))
        self.result.refused.add(source)

    def walk(self, root: Path) -> Iterator[tuple[Path, Path]]:
        """(file, root) pairs under `root`, links within the roots followed, loops cut."""
        if not root.is_dir():
            yield root, root
            return
        # each folder with the real paths above it: a link back up (a loop) is not walked;
        # a folder reached twice is, and `_without_duplicates` keeps one name per file
        stack: list[tuple[Path, frozenset[str]]] = [(root, frozenset())]
        while stack:
            folder, above = stack.pop()
            real = os.path.realpath(folder)
            if real in above:
                self.result.skipped.append(
                    (source_name(folder), "symbolic link to a folder above it: not followed")
                )
                continue
            above = above | {real}
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name, reverse=True)
            except OSError as error:
                self.result.skipped.append((source_name(folder), f"cannot list: {error}"))
                continue
            for entry in entries:
                path = Path(entry.path)
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink() and not self._link_allowed(path):
                    continue
                if entry.is_dir():
                    stack.append((path, above))
                elif entry.is_file():
                    yield path, root

    def _link_allowed(self, link: Path) -> bool:
        target = os.path.realpath(link)
        if not os.path.exists(target):
            self.refuse(link, "broken symbolic link")
            return False
        if not _inside(target, self.real_roots):
            self.refuse(
                link,
                f"symbolic link to {target}, outside the folders being ingested: not followed",
            )
            return False
        return True

    def add(self, path: Path, root: Path) -> None:
        relative = path.relative_to(root).as_posix() if path != root else path.name
        if path != root and _excluded(relative, self.exclude):
            return
        if is_metadata_file(path):
            return
        source = source_name(path)
        if not is_supported(path):
            self.result.skipped.append((source, f"unsupported file type '{path.suffix}'"))
            return
        folders = [path.parent]
        while folders[-1] != root and root in folders[-1].parents:
            folders.append(folders[-1].parent)
        reason = self.exports.reason(path, folders)
        if reason is not None:
            self.refuse(path, reason)
            return
        self.result.files.append(SourceFile(path, source, tuple(folders)))


def discover(roots: Sequence[Path], exclude: Sequence[str]) -> Discovery:
    """The files under `roots` an ingest run indexes, and what it skipped and why."""
    walker = _Walker(roots, exclude)
    for root in roots:
        if root.is_symlink() and root.exists():
            root = Path(os.path.abspath(root))  # named by the user: followed
        walker.result.root_names.append(source_name(root))  # a root gone: its files go too
        if not root.exists():
            walker.result.skipped.append((root.as_posix(), "no such file or directory"))
            continue
        for path, base in walker.walk(root):
            walker.add(path, base)
    return _without_duplicates(walker.result)


def _without_duplicates(result: Discovery) -> Discovery:
    """One name per file: a file reached both directly and through a link (to it or to a
    folder above it) keeps its direct name; the other names are reported and refused."""
    by_target: dict[str, list[SourceFile]] = {}
    for file in {f.source: f for f in result.files}.values():
        by_target.setdefault(os.path.realpath(file.path), []).append(file)
    files: list[SourceFile] = []
    for target, names in by_target.items():
        names.sort(key=lambda f: (os.path.abspath(f.path) != target, f.source))
        files.append(names[0])
        for other in names[1:]:
            result.skipped.append(
                (other.source, f"symbolic link to {names[0].source}, indexed under that name")
            )
            result.refused.add(other.source)
    result.files = sorted(files, key=lambda f: f.source)
    return result
