"""Claims, sources and verdicts from several reviewers for a database that already holds a
corpus. Two ways, both deterministic with --seed:

  --mode services  (default) through workbench.annotations.services, exactly as the API does
                   it: span checks, audit events, one verdict per reviewer. About a few hundred
                   claims a second; right for the post page and the load runs.
  --mode bulk      SQLAlchemy Core executemany of the same kinds of rows (claim, span, source,
                   verdicts, one audit event per claim, and a lead's adjudication of each
                   disputed claim), no checks: for 100,000-claim export runs.

Each claim sits on a word of 6+ letters of a comment (or the body), has one source, and a
verdict from each of --reviewers reviewers (created as bench_reviewer_N if missing); about one
claim in five gets disagreeing verdicts, so the dispute status is exercised too.

    DATABASE_URL=sqlite:////tmp/x.sqlite python bench/generate_claims.py --claims 1000
    python bench/generate_claims.py --database-url sqlite:////tmp/x.sqlite --claims 100000 --mode bulk
"""
import argparse
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

RATINGS = ["true", "mostly_true", "mixed", "mostly_false", "false", "unverifiable"]


def _reviewers(n: int) -> list:
    from sqlalchemy import select
    from workbench.auth.models import User
    from workbench.extensions import db
    names = [f"bench_reviewer_{i}" for i in range(1, n + 1)]
    have = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    missing = [(name, "reviewer") for name in names if name not in have]
    if missing:
        for u in common.create_users(missing):
            have[u.username] = u
    return [have[name] for name in names]


def _lead():
    from sqlalchemy import select
    from workbench.auth.models import User
    from workbench.extensions import db
    lead = db.session.scalar(select(User).where(User.username == "bench_lead"))
    return lead or common.create_users([("bench_lead", "lead")])[0]


def _spots(rng: random.Random, claims: int, post_id: int | None) -> list[dict]:
    """Places on words (6+ letters) of comments and bodies drawn at random from the whole corpus
    (or one post), so claims spread over the posts the way reviewers would spread them."""
    from sqlalchemy import select
    from workbench.corpus.models import Comment, Post
    from workbench.extensions import db
    stmt = select(Comment.id, Comment.post_id, Comment.text).order_by(Comment.id)
    bodies = select(Post.id, Post.body).order_by(Post.id)
    if post_id is not None:
        stmt = stmt.where(Comment.post_id == post_id)
        bodies = bodies.where(Post.id == post_id)
    units = [(r.post_id, r.id, r.text) for r in db.session.execute(stmt)]
    units += [(r.id, None, r.body) for r in db.session.execute(bodies)]
    words: dict[int, list] = {}
    out, seen, tries = [], set(), 0
    while len(out) < claims:
        tries += 1
        if not units or tries > 100 * claims + 10000 and not out:
            raise SystemExit("no text to put claims on: import a corpus first")
        n = rng.randrange(len(units))
        post, comment, text = units[n]
        if n not in words:
            words[n] = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[A-Za-z]{6,}", text)]
        if not words[n]:
            continue
        start, end, exact = rng.choice(words[n])
        if (n, start) in seen and tries < 20 * claims:
            continue                      # distinct places first; repeats only on a small text
        seen.add((n, start))
        out.append({"post_id": post, "comment_id": comment, "start": start, "end": end, "exact": exact})
    return out


def _ratings(rng: random.Random, n: int) -> list[str]:
    base = rng.choice(RATINGS)
    if rng.random() < 0.2:
        return [base] + [rng.choice(RATINGS) for _ in range(n - 1)]
    return [base] * n


def via_services(claims: int, reviewers: int, seed: int, post_id: int | None) -> int:
    from workbench.annotations import schemas, services
    from workbench.extensions import db
    rng = random.Random(seed)
    people = _reviewers(reviewers)
    made = 0
    for i, spot in enumerate(_spots(rng, claims, post_id)):
        ratings = _ratings(rng, len(people))
        body = common.claim_body(spot, i, verdict=False)
        body["verdict"] = {"rating": ratings[0], "rationale": "From the generator."}
        claim = services.create_claim(people[0], body)
        for person, rating in zip(people[1:], ratings[1:]):
            services.set_verdict(person, claim, schemas.parse_verdict({"rating": rating}))
        made += 1
        if made % 200 == 0:
            db.session.commit()
    db.session.commit()
    return made


def bulk(claims: int, reviewers: int, seed: int, post_id: int | None, chunk: int = 5000) -> int:
    from uuid import UUID

    from sqlalchemy import func, insert, select
    from workbench.annotations.models import Category, Claim, ClaimSpan, Source, Verdict
    from workbench.audit import AuditEvent
    from workbench.db import utcnow
    from workbench.extensions import db
    from workbench.review.models import Adjudication
    rng = random.Random(seed)
    people = _reviewers(reviewers)
    lead = _lead()
    category_ids = list(db.session.scalars(select(Category.id).order_by(Category.position)))
    spots = _spots(rng, claims, post_id)
    next_id = (db.session.scalar(select(func.max(Claim.id))) or 0) + 1
    now = utcnow()

    def uid() -> str:
        return UUID(int=rng.getrandbits(128)).hex

    for start in range(0, len(spots), chunk):
        rows_claim, rows_span, rows_source, rows_verdict, rows_audit, rows_adjudication = [], [], [], [], [], []
        for i, spot in enumerate(spots[start:start + chunk], start):
            cid = next_id + i
            author = people[i % len(people)]
            rows_claim.append(dict(id=cid, uid=uid(), post_id=spot["post_id"], statement=f"Bench claim {i}: {spot['exact']}",
                                   category_id=category_ids[i % len(category_ids)], created_by_id=author.id,
                                   created_at=now, updated_at=now, version=1))
            rows_span.append(dict(uid=uid(), claim_id=cid, created_by_id=author.id, created_at=now, prefix="", suffix="",
                                  **spot))
            rows_source.append(dict(uid=uid(), claim_id=cid, url=f"https://example.org/source/{i}", title="A report",
                                    publisher="ONS", quote="table 1", locator="p. 3", stance="supports",
                                    created_by_id=author.id, created_at=now))
            ratings = _ratings(rng, len(people))
            for person, rating in zip(people, ratings):
                rows_verdict.append(dict(uid=uid(), claim_id=cid, reviewer_id=person.id, rating=rating,
                                         rationale="From the generator.", created_at=now))
            if len(set(ratings)) > 1:   # disputed: a lead settles it (ClaimReview exports these)
                rows_adjudication.append(dict(uid=uid(), claim_id=cid, lead_id=lead.id, rating=ratings[0],
                                              reasoning="Settled by the generator.", created_at=now))
            rows_audit.append(dict(at=now, actor_id=author.id, entity_type="claim", entity_id=cid, action="create",
                                   claim_id=cid, reason="bench/generate_claims.py --mode bulk"))
        for model, rows in ((Claim, rows_claim), (ClaimSpan, rows_span), (Source, rows_source),
                            (Verdict, rows_verdict), (AuditEvent, rows_audit), (Adjudication, rows_adjudication)):
            if rows:
                db.session.execute(insert(model.__table__), rows)
    _fix_sequence()
    db.session.commit()
    return len(spots)


def _fix_sequence() -> None:
    """Claim ids were given explicitly: move PostgreSQL's sequence past them."""
    from sqlalchemy import text
    from workbench.extensions import db
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('claim', 'id'), "
                                "(SELECT COALESCE(MAX(id), 1) FROM claim))"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                    help="the database holding the corpus (default: $DATABASE_URL)")
    ap.add_argument("--claims", type=int, default=1000)
    ap.add_argument("--reviewers", type=int, default=3)
    ap.add_argument("--post-id", type=int, help="put every claim on this one post")
    ap.add_argument("--mode", choices=["services", "bulk"], default="services")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.database_url:
        ap.error("--database-url or DATABASE_URL is required")
    with common.workdir() as work:
        app = common.make_app(args.database_url, work)
        with app.app_context():
            fn = via_services if args.mode == "services" else bulk
            made = fn(args.claims, args.reviewers, args.seed, args.post_id)
    print(f"created {made} claims with {args.reviewers} verdicts each ({args.mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
