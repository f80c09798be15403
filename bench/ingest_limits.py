"""Hostile files against the ingestion limits (issue 11, finding 8): time and peak memory.

Writes into a temporary folder a DOCX of about half a megabyte whose members inflate to
`--inflate-mb` (a zip bomb), a `--text-mb` plain-text file, and one ordinary Markdown file,
then runs one ingest (deterministic hashing embedder, real Chroma) with the default limits
and prints, per file, skipped or indexed with the reason, the run's wall time and the
process's peak RSS. Without the limits the same DOCX pushed ingest past 2 GB.

    .venv/bin/python bench/ingest_limits.py [--inflate-mb 143] [--text-mb 200]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import zipfile
from pathlib import Path

from assistant.config import Settings
from assistant.services import build_services
from ingest.embedding import HashingEmbedder


def zip_bomb(path: Path, inflate_mb: int) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("A tiny visible paragraph.")
    document.save(str(path))
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("word/media/filler.xml", b"<w:t>a</w:t>" * (inflate_mb * 1024 * 1024 // 12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflate-mb", type=int, default=143)
    parser.add_argument("--text-mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "docs"
        root.mkdir()
        zip_bomb(root / "bomb.docx", args.inflate_mb)
        with (root / "huge.txt").open("w") as out:
            line = "The renewal review starts 120 days before the end date.\n"
            for _ in range(args.text_mb * 1024 * 1024 // len(line)):
                out.write(line)
        (root / "guide.md").write_text("# Guide\n\nRenewals start 120 days out.\n")
        for name in ("bomb.docx", "huge.txt"):
            print(f"{name}: {(root / name).stat().st_size / 2**20:.1f} MB on disk")
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        services = build_services(settings, HashingEmbedder())
        start = time.perf_counter()
        report = services.ingestor().run([root])
        seconds = time.perf_counter() - start
        services.close()
    for source, reason in report.skipped:
        print(f"skipped {Path(source).name}: {reason}")
    print(report.summary())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ingest wall time {seconds:.2f}s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
