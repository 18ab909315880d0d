"""Write N synthetic posts in the dump format (docs/corpus-format.md), built from the seeds' own
paragraphs and comments, with realistic thread sizes; the same --seed gives the same bytes.

Thread sizes: about 88% of posts carry 4-40 comments, 10% 40-120 and 2% 200-500 (top-level
comments plus replies; about a third of top-level comments get 1-4 replies). That averages
about 33 comments a post: 2,000 posts hold about 65,000 comments, 10,000 about 330,000.

    python bench/generate_corpus.py --posts 2000 --out /tmp/corpus2k --seed 1
"""
import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEEDS  # noqa: E402

from workbench.corpus.parser import MONTHS, WEEKDAYS, parse_bytes  # noqa: E402


def seed_material() -> tuple[list[str], list[str], list[str]]:
    """Titles, body paragraphs and comment texts from the seed posts."""
    titles, paragraphs, comments = [], [], []
    for path in sorted(SEEDS.glob("*.txt")):
        post = parse_bytes(path.read_bytes(), path.name)
        titles.append(post.title)
        paragraphs.extend(p for p in post.body.split("\n\n") if p.strip())
        # A structural marker alone on a line would end the comment early: leave such texts out.
        comments.extend(c.text for c in post.comments
                        if c.text.strip() and not any(line.strip() in ("Delete", "ReplyDelete", "Replies")
                                                      for line in c.text.split("\n")))
    return titles, paragraphs, comments


def thread_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.88:
        return rng.randint(4, 40)
    if r < 0.98:
        return rng.randint(40, 120)
    return rng.randint(200, 500)


def _indent(text: str, width: int) -> list[str]:
    pad = " " * width
    return [(pad + line) if line.strip() else "" for line in text.split("\n")]


def render_post(i: int, rng: random.Random, titles, paragraphs, comments, total: int | None = None
                ) -> tuple[str, int]:
    """One post file's text and its comment count (random, or exactly `total`)."""
    day = date(2013, 1, 1) + timedelta(days=rng.randrange(8 * 365))
    title = f"No. {i}: {rng.choice(titles)}"  # the number first: slugs are cut at 80 characters
    lines = [f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}", "", title, ""]
    for p in rng.sample(paragraphs, rng.randint(3, min(12, len(paragraphs)))):
        lines += [p, ""]
    total = thread_size(rng) if total is None else total
    # Split the total into top-level comments and their replies.
    tops: list[int] = []
    left = total
    while left > 0:
        replies = rng.randint(1, 4) if rng.random() < 0.33 else 0
        replies = min(replies, left - 1)
        tops.append(replies)
        left -= 1 + replies
    lines += [f"{total} comments:", ""]
    for n, replies in enumerate(tops, 1):
        first, *rest = _indent(rng.choice(comments), 4)
        lines += [f"  {n}. {first[4:]}", *rest, "", "    ReplyDelete"]
        if replies:
            lines.append("    Replies")
            for r in range(1, replies + 1):
                first, *rest = _indent(rng.choice(comments), 6)
                lines += [f"    {r}. {first[6:]}", *rest, "", "      Delete"]
    return "\n".join(lines) + "\n", total


def write_post(path: Path, i: int, total: int, seed: int = 1) -> None:
    """One post with exactly `total` comments (replies included), e.g. the 300-comment page."""
    text, _ = render_post(i, random.Random(seed), *seed_material(), total=total)
    path.write_text(text, "utf-8")


def generate(posts: int, out: Path, seed: int = 1) -> tuple[int, int]:
    """Write the files; returns (posts, comments) written."""
    rng = random.Random(seed)
    material = seed_material()
    out.mkdir(parents=True, exist_ok=True)
    n_comments = 0
    for i in range(posts):
        text, total = render_post(i, rng, *material)
        n_comments += total
        (out / f"{i:06d}.txt").write_text(text, "utf-8")
    return posts, n_comments


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--out", required=True, help="folder to write NNNNNN.txt files into")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="parse every file back and compare counts")
    args = ap.parse_args(argv)
    posts, comments = generate(args.posts, Path(args.out), args.seed)
    if args.check:
        for path in sorted(Path(args.out).glob("*.txt")):
            parsed = parse_bytes(path.read_bytes(), path.name)
            if parsed.warnings or len(parsed.comments) != parsed.declared_comment_count:
                print(f"{path}: {parsed.warnings}", file=sys.stderr)
                return 1
    print(f"wrote {posts} posts with {comments} comments to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
