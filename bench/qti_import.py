"""QTI (and Moodle XML) import on folders of other tools' files: items read, converted without loss, with losses,
not converted; media stored; the notes by kind. Loose XML files find their pictures in their own folder, zip files
are read as content packages. `python -m bench.qti_import FOLDER… [--format qti|moodle]`."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from importers.converted import NotAnItem, SourceError
from services.lists.library import ListLibrary
from services.platform import Platform
from services.settings import Settings
from services.studio.exchange import convert
from services.studio.items import Studio
from store.embedded import OxigraphStore

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "qti-samples"


def measure(folders: list[Path], fmt: str = "qti") -> dict:
    """Conversion figures of every .xml and .zip file under the folders (files given directly are read too)."""
    with tempfile.TemporaryDirectory(prefix="bench-media-") as folder:
        return _measure(folders, fmt, Path(folder))


def _measure(folders: list[Path], fmt: str, media: Path) -> dict:
    platform = Platform.build(Settings(_env_file=None, store=":memory:", media_dir=str(media)), OxigraphStore())
    platform.ensure_ontology()
    studio = Studio(platform, ListLibrary(platform))
    files = sorted(f for folder in folders for f in ([folder] if folder.is_file() else
                                                      [*folder.rglob("*.xml"), *folder.rglob("*.zip")]))
    rows, not_items, unreadable = [], 0, []
    started = time.perf_counter()
    for path in files:
        try:
            rows += convert(fmt, path.read_bytes(), str(path), path.parent, studio)
        except NotAnItem:
            not_items += 1
        except SourceError as exc:
            unreadable.append(str(exc))
    elapsed = time.perf_counter() - started
    referenced = set()
    for row in rows:
        item = row.item or {}
        for question in [item.get("question")] + item.get("questions", []) if item else []:
            if question:
                referenced |= {question.get("image")} | set(question.get("attachments", [])) | \
                    {o.get("image") for o in question.get("options", [])}
        referenced |= set(item.get("attachments", [])) | {item.get("article")}
    referenced -= {None}
    return {"files": len(files), "not_items": not_items, "unreadable": unreadable, "rows": rows,
            "status": Counter(r.status for r in rows),
            "notes": Counter((n.outcome, n.kind) for r in rows for n in r.notes),
            "media_files": sum(1 for _ in media.iterdir()), "media_referenced": len(referenced), "seconds": elapsed}


def main() -> None:
    """Print the figures of some folders."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--format", choices=["qti", "moodle"], default="qti")
    parser.add_argument("--list", action="store_true", help="print every item's status and notes")
    args = parser.parse_args()
    f = measure(args.folders, args.format)
    print(f"{f['files']} files read in {f['seconds']:.2f} s: {len(f['rows'])} items, {f['not_items']} other documents "
          f"(tests, passages, manifests), {len(f['unreadable'])} unreadable")
    print(f"items: {f['status']['converted']} converted, {f['status']['converted with losses']} converted with "
          f"losses, {f['status']['not converted']} not converted")
    print(f"media stored: {f['media_files']} files ({f['media_referenced']} distinct IRIs referenced by the items)")
    print(f"notes: {sum(f['notes'].values())}")
    for (outcome, kind), count in sorted(f["notes"].items()):
        print(f"  {outcome:11} {kind:16} {count:5}")
    for line in f["unreadable"]:
        print(f"  unreadable: {line}")
    if args.list:
        for row in f["rows"]:
            print(f"{row.source}: {row.status}")
            for note in row.notes:
                print(f"    {note.outcome}: {note.text}")


if __name__ == "__main__":
    main()
