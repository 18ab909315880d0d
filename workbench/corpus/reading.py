"""Read and parse dump files for the importer, in a second process when there are many.

Parsing (a pure-Python state machine) and the content hash cost about as much as writing
and indexing the rows, so a large import parses the next batch of files in a worker process
while this process writes the current one: on two cores the parse disappears behind the
writes. The worker is a fresh interpreter (`python -m workbench.corpus.reading`) that reads
batches of paths as pickles on stdin and answers with the parses on stdout: nothing of this
process (database connections, threads, the caller's __main__) is inherited. The first batch
is parsed here while the worker starts, and at most one batch is ever waiting, so memory
stays flat whatever the corpus size.

Small imports (the seeds, a re-crawled post) are parsed in-process: starting a worker costs
more than it saves.

The parses travel as plain tuples and lists (_pack, _unpack), not as pickled dataclasses:
unpickling 67,471 comment objects cost this process 0.28 s for 2,000 posts, the tuples and
rebuilding the objects from them 0.14 s, and the worker packs them faster than it pickled them.
"""
import os
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import BinaryIO, Iterator

from .parser import CorpusFormatError, ParsedComment, ParsedPost, parse_bytes

PARALLEL_MIN_FILES = 300      # below this, parse in-process
Read = tuple[Path, ParsedPost | None, str]   # (path, the parsed post or None, the error message)


def read_file(path: Path) -> Read:
    """Parse one file; a file that cannot be read or parsed gives its message, with the line."""
    try:
        parsed = parse_bytes(path.read_bytes(), str(path))
    except CorpusFormatError as exc:
        return path, None, f"line {exc.line}: {exc.reason}"
    except OSError as exc:
        return path, None, f"cannot read: {exc.strerror or exc}"
    parsed.content_hash   # computed where the parse runs (a cached property: it travels with the post)
    return path, parsed, ""


def read_batch(paths: list[Path]) -> list[Read]:
    return [read_file(p) for p in paths]


def read_batches(files: list[Path], batch_size: int, parallel: bool | None = None) -> Iterator[list[Read]]:
    """The files' parses, batch by batch, in order. parallel=None decides from the number of
    files and of CPUs; True or False forces it (the tests use both)."""
    batches = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
    if parallel is None:
        parallel = len(files) >= PARALLEL_MIN_FILES and (os.cpu_count() or 1) > 1
    if not parallel or len(batches) < 2:
        for paths in batches:
            yield read_batch(paths)
        return
    worker = _Worker()
    try:
        worker.send(batches[1])
        yield read_batch(batches[0])            # parsed here while the worker starts
        for k in range(1, len(batches)):
            done = worker.receive()
            if k + 1 < len(batches):
                worker.send(batches[k + 1])     # the worker parses on while this batch is written
            yield done
    finally:
        worker.close()


class WorkerError(RuntimeError):
    pass


class _Worker:
    def __init__(self):
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, "-m", "workbench.corpus.reading"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, paths: list[Path]) -> None:
        pickle.dump([str(p) for p in paths], self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.flush()

    def receive(self) -> list[Read]:
        try:
            return _unpack(pickle.load(self.proc.stdout))
        except EOFError:
            raise WorkerError(f"the parsing worker stopped (exit code {self.proc.wait()}); nothing was imported")

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def _serve(inp: BinaryIO, out: BinaryIO) -> None:
    while True:
        try:
            paths = pickle.load(inp)
        except EOFError:
            return
        pickle.dump(_pack(read_batch([Path(p) for p in paths])), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def _pack(reads: list[Read]) -> list[tuple]:
    """A batch's reads as tuples and lists of strings and numbers, for the pipe."""
    out = []
    for path, parsed, error in reads:
        if parsed is None:
            out.append((str(path), None, error))
            continue
        cs = parsed.comments
        out.append((str(path), (parsed.filename, parsed.date.toordinal(), parsed.title, parsed.body,
                                parsed.declared_comment_count, [c.path for c in cs], [c.text for c in cs],
                                [c.line for c in cs], [c.parent_path for c in cs], parsed.warnings,
                                parsed.content_hash), error))
    return out


def _unpack(rows: list[tuple]) -> list[Read]:
    """_pack undone: the same ParsedPost objects, content hash included."""
    out: list[Read] = []
    comment, from_ordinal = ParsedComment, date.fromordinal
    for path, packed, error in rows:
        if packed is None:
            out.append((Path(path), None, error))
            continue
        filename, day, title, body, declared, paths, texts, lines, parents, warnings, content_hash = packed
        parsed = ParsedPost(filename, from_ordinal(day), title, body, declared,
                            list(map(comment, paths, texts, lines, parents)), warnings)
        parsed.__dict__["content_hash"] = content_hash   # the cached property, as computed in the worker
        out.append((Path(path), parsed, error))
    return out


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
