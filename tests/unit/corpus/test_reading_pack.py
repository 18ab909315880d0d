"""The parsing worker sends its parses as tuples (corpus/reading.py _pack/_unpack): what arrives
is what was parsed, every field of every post and comment, the warnings, the content hash and
the errors, through a real worker process."""
import pickle

from tests.conftest import SEEDS
from tests.unit.corpus.test_parser import SAMPLE
from workbench.corpus import reading


def inputs(tmp_path):
    files = sorted(SEEDS.glob("*.txt"))
    cut = tmp_path / "cut.txt"
    cut.write_text(SAMPLE.replace("2 comments:", "5 comments:").replace("\n\n      Delete\n", "\n"), "utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Monday 22 October 2018\n\nTitle\n\n\xff\n")
    return [*files, cut, bad, tmp_path / "missing.txt"]


def fields(reads):
    return [(path, error, None if p is None else
             (p.filename, p.date, p.title, p.body, p.declared_comment_count, p.warnings, p.content_hash, p.slug,
              [(c.path, c.text, c.line, c.parent_path, c.depth) for c in p.comments]))
            for path, p, error in reads]


def test_pack_and_unpack_keep_everything(tmp_path):
    reads = reading.read_batch(inputs(tmp_path))
    assert [r[2][:7] for r in reads[-3:]] == ["", "line 5:", "cannot "] and reads[-3][1].warnings
    arrived = reading._unpack(pickle.loads(pickle.dumps(reading._pack(reads))))
    assert fields(arrived) == fields(reads)
    assert arrived[0][1] == reads[0][1]    # the dataclasses compare equal too


def test_the_worker_sends_the_same_parses(tmp_path):
    files = inputs(tmp_path)
    worker = reading._Worker()
    try:
        worker.send(files)
        arrived = worker.receive()
    finally:
        worker.close()
    assert fields(arrived) == fields(reading.read_batch(files))
