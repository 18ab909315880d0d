"""Uploaded files → files on disk for the importers, under the names the user gave them.

Nothing in an upload decides where a file is written: each uploaded file and each archive
member goes to <temporary folder>/<number>/<its base name>, the base name cleaned of path
separators and control characters (the stored post keeps it as its source name, as the
command line keeps the dump file's name). Archives are read member by member through
zipfile.open, never extracted by their own paths; a member whose path climbs out (`..`, an
absolute path, a drive) or is a link refuses the whole archive. The members' total size and
number are capped before anything is unpacked, and the bytes are counted again while
unpacking (a zip's declared sizes may lie).
"""
import errno
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import PayloadTooLarge, UnsupportedMediaType, ValidationError, human_size

DUMP, ARCHIVE, NATIVE = ".txt", ".zip", ".jsonl"
KINDS = {DUMP: "dumps", ARCHIVE: "dumps", NATIVE: "native"}
CHUNK = 1 << 20
WHAT = "dump files (.txt), a .zip of dump files, or one native export (.jsonl)"
NOTHING = "nothing was imported"
# What a damaged archive raises (found by mutating a good one: tests/unit/imports/test_uploads.py): bad headers,
# truncated data, a broken deflate stream, a made-up "version needed", a negative offset.
DAMAGED = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, ValueError)


@dataclass
class Staged:
    kind: str                                             # "dumps" or "native"
    files: list[tuple[Path, str]] = field(default_factory=list)   # (where on disk, the name to show)
    notes: list[str] = field(default_factory=list)        # archive members left out, and why

    def display(self) -> dict[str, str]:
        return {str(path): name for path, name in self.files}


@dataclass
class Upload:
    """One uploaded file: the name the browser sent and its content (a file-like object)."""
    name: str
    stream: object


def stage(uploads: list[Upload], folder: Path, *, max_unpacked: int, max_members: int) -> Staged:
    """Check the upload and write its files below folder; refuses (4xx) before the database is touched."""
    uploads = [u for u in uploads if u.name]   # a form with no file chosen sends one nameless part
    if not uploads:
        raise ValidationError(f"Choose the files to import: {WHAT}.", field="files")
    for u in uploads:
        if _ext(u.name) not in KINDS:
            raise UnsupportedMediaType(
                f"{u.name}: this page imports {WHAT}, not {_ext(u.name) or 'files without an extension'}; "
                f"{NOTHING}.", field="files")
    native = [u for u in uploads if _ext(u.name) == NATIVE]
    if native and len(native) < len(uploads):
        raise ValidationError(f"A native export (.jsonl) is imported on its own, not together with dump files: "
                              f"upload {native[0].name} by itself, then the dump files; {NOTHING}.", field="files")
    if len(native) > 1:
        raise ValidationError(f"One native export (.jsonl) at a time, please ({len(native)} were chosen); "
                              f"{NOTHING}.", field="files")
    staged = Staged(KINDS[_ext(uploads[0].name)])
    slots = _Slots(folder)
    budget = _Budget(max_unpacked)
    for u in uploads:
        path = slots.new(u.name)
        with open(path, "wb") as out:
            _copy(u.stream, out)
        _sniff(path, u.name)
        if _ext(u.name) == ARCHIVE:
            _unpack(path, u.name, slots, staged, budget, max_members)
            path.unlink()
        else:
            staged.files.append((path, u.name))
    return staged


def _ext(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1]
    return ("." + base.rsplit(".", 1)[1].lower()) if "." in base.strip(".") else ""


def safe_base(name: str, number: int) -> str:
    """The last part of a name, without control characters, short enough for any file system."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    while len(base.encode("utf-8")) > 200:
        base = base[:-1]
    return base if base not in ("", ".", "..") else f"upload-{number}"


class _Slots:
    """A new folder of our own for every file: <folder>/000001/<base name>, …"""

    def __init__(self, folder: Path):
        self.folder, self.number = folder, 0

    def new(self, name: str) -> Path:
        self.number += 1
        home = self.folder / f"{self.number:06d}"
        home.mkdir()
        return home / safe_base(name, self.number)


class _Budget:
    """What the archives of one upload may still unpack to, in bytes."""

    def __init__(self, limit: int):
        self.limit = self.left = limit

    def too_big(self, name: str, declared: int | None = None) -> PayloadTooLarge:
        said = f"; its entries declare {human_size(declared)}" if declared is not None else ""
        return PayloadTooLarge(f"{name} unpacks to more than the limit of {human_size(self.limit)} per upload "
                               f"(IMPORT_MAX_UNPACKED_BYTES{said}); {NOTHING}.", field="files")


def _copy(stream, out) -> None:
    while chunk := stream.read(CHUNK):
        out.write(chunk)


def _sniff(path: Path, name: str) -> None:
    """The content must be what the name says; an empty file is refused up front."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head:
        raise ValidationError(f"{name} is empty (0 bytes); {NOTHING}.", field="files")
    is_zip = head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06")
    ext = _ext(name)
    if ext == ARCHIVE and not is_zip:
        raise ValidationError(f"{name} is not a zip archive (it does not start like one); {NOTHING}.", field="files")
    if ext != ARCHIVE and is_zip:
        raise ValidationError(f"{name} is a zip archive, not {'a text dump' if ext == DUMP else 'JSON Lines'}: "
                              f"name it .zip; {NOTHING}.", field="files")
    if ext == DUMP and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        raise ValidationError(f"{name} looks like a native export (JSON Lines), not a blog dump: name it .jsonl "
                              f"and upload it on its own; {NOTHING}.", field="files")


def _unsafe(member: zipfile.ZipInfo) -> str | None:
    name = member.filename
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if ".." in parts:
        return "a path that climbs out of the archive (..)"
    if "\x00" in name:
        return "a NUL character in its name"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "a symbolic link"
    return None


def _skipped(member: zipfile.ZipInfo) -> str | None:
    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
    if parts and parts[0] == "__MACOSX" or (parts and parts[-1].startswith("._")):
        return "macOS metadata"
    if _ext(member.filename) != DUMP:
        return "not a .txt dump file"
    return None


def _unpack(path: Path, name: str, slots: _Slots, staged: Staged, budget: _Budget, max_members: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > max_members:
                raise PayloadTooLarge(f"{name} holds {len(members):,} entries; the limit is {max_members:,} per "
                                      f"archive (IMPORT_MAX_ARCHIVE_FILES); {NOTHING}.", field="files")
            for m in members:
                why = _unsafe(m)
                if why:
                    raise ValidationError(f"{name}: the entry {m.filename!r} has {why}; the archive is refused and "
                                          f"{NOTHING}.", field="files")
            wanted = []
            for m in members:
                if m.is_dir():
                    continue
                why = _skipped(m)
                if why:
                    staged.notes.append(f"{name}/{m.filename}: left out ({why})")
                else:
                    wanted.append(m)
            if not wanted:
                raise ValidationError(f"{name} holds no .txt dump files; {NOTHING}.", field="files")
            declared = sum(m.file_size for m in wanted)
            if declared > budget.left:
                raise budget.too_big(name, declared)
            for m in wanted:
                target = slots.new(m.filename)
                _extract(archive, m, target, name, budget)
                staged.files.append((target, f"{name}/{m.filename}"))
    except DAMAGED as exc:
        raise ValidationError(f"{name} is not a readable zip archive ({exc or type(exc).__name__}); {NOTHING}.",
                              field="files")
    except OSError as exc:
        if exc.errno != errno.EINVAL:   # a seek to an offset that is not there; anything else is ours
            raise
        raise ValidationError(f"{name} is not a readable zip archive (an entry points outside the file); "
                              f"{NOTHING}.", field="files")


def _extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, name: str, budget: _Budget) -> None:
    try:
        with archive.open(member) as src, open(target, "wb") as out:
            while chunk := src.read(CHUNK):
                budget.left -= len(chunk)
                if budget.left < 0:   # the declared sizes lied: a bomb
                    raise budget.too_big(name)
                out.write(chunk)
    except RuntimeError as exc:    # encrypted
        raise ValidationError(f"{name}/{member.filename} cannot be unpacked ({exc}); {NOTHING}.", field="files")
    except DAMAGED as exc:
        raise ValidationError(f"{name}/{member.filename} is damaged ({exc or type(exc).__name__}); {NOTHING}.",
                              field="files")
