"""The reading page's own claims payload and its flat markup (the post page speed work, issue 9).

The page embeds a narrow payload built from rows in workbench/corpus (queries.reading_claims,
presenters.reading_claims) instead of the API's full claim shape, renders the side panel from
precomputed strings and prints the comment tree in one flat loop. These tests hold that to
what the page showed before: the same claims in the same order, the same blind-review answers
as annotations.presenters for every kind of viewer, the same thread nesting, text escaped."""
import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from workbench.annotations import schemas, services
from workbench.annotations.models import Source
from tests.functional.test_claims_api_speed import ref_post_claim_ids as post_claim_ids
from workbench.annotations.presenters import load_claims
from workbench.corpus import presenters, queries
from workbench.corpus.models import Comment, Post
from workbench.review import services as review
from workbench.settings import set_flag

HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)> & "q" \'s\''


def page_payload(html: str) -> list[dict]:
    return json.loads(re.search(r'<script type="application/json" id="claims-data">(.*?)</script>', html,
                                re.S).group(1))


def projected(full: dict) -> dict:
    """What the page needs of the API's claim shape (annotations.presenters.claim_json)."""
    return {"id": full["id"], "statement": full["statement"], "category": full["category"],
            "status": full["status"], "verdict_count": full["verdict_count"],
            "verdicts_hidden": full["verdicts_hidden"], "verdicts": [{"rating": v["rating"]} for v in full["verdicts"]],
            "adjudication": {"rating": full["adjudication"]["rating"]} if full["adjudication"] else None,
            "spans": [{k: s[k] for k in ("post_id", "comment_id", "comment_path", "start", "end")} for s in full["spans"]],
            "sources": [{k: s[k] for k in ("url", "title", "stance")} for s in full["sources"]]}


def claim_on(db, user, post, words, comment=None, **extra):
    text = comment.text if comment else post.body
    start = text.index(words)
    return services.create_claim(user, {"post_id": post.id, "comment_id": comment.id if comment else None,
                                        "start": start, "end": start + len(words), "exact": words,
                                        "statement": extra.pop("statement", f"About {words}"),
                                        "category": "other", **extra})


def first_words(text: str) -> str:
    return text.split()[0]


@pytest.fixture
def world(seeded, db, make_user):
    """Claims on one post in every review state, seen by an author, another reviewer and a lead."""
    post = db.session.scalar(select(Post).where(Post.title == "Institute Offers TR Advice"))
    other_post = db.session.scalar(select(Post).where(Post.title == "The Morning After"))
    comments = db.session.scalars(select(Comment).where(Comment.post_id == post.id)
                                  .order_by(Comment.position)).all()
    author, second, third = make_user("reviewer"), make_user("reviewer"), make_user("reviewer")
    lead = make_user("lead")
    made = {}
    # Made out of reading order on purpose: the page lists claims by first appearance.
    made["reply"] = claim_on(db, author, post, first_words(comments[5].text), comments[5])
    made["none"] = claim_on(db, author, post, first_words(comments[0].text), comments[0])
    made["agreed"] = claim_on(db, author, post, first_words(comments[1].text), comments[1],
                              verdict={"rating": "true"})
    services.set_verdict(second, made["agreed"], schemas.parse_verdict({"rating": "true"}))
    made["disputed"] = claim_on(db, author, post, first_words(comments[2].text), comments[2],
                                verdict={"rating": "true"}, statement=HOSTILE,
                                sources=[{"url": "https://example.org/a?b=<c>&d='e'", "title": HOSTILE,
                                          "stance": "refutes"}, {"url": "https://example.org/kept"}])
    services.set_verdict(second, made["disputed"], schemas.parse_verdict({"rating": "mostly_false"}))
    made["flagged"] = claim_on(db, author, post, first_words(comments[3].text), comments[3],
                               verdict={"rating": "false"})
    review.flag_claim(third, made["flagged"], "The source says otherwise.")
    made["adjudicated"] = claim_on(db, author, post, first_words(comments[4].text), comments[4],
                                   verdict={"rating": "true"})
    services.set_verdict(second, made["adjudicated"], schemas.parse_verdict({"rating": "false"}))
    review.adjudicate(lead, made["adjudicated"], "mostly_true", "Both have a point.")
    made["body"] = claim_on(db, author, post, first_words(post.body), verdict={"rating": "mixed"},
                            sources=[{"url": "https://example.org/retracted", "title": "Gone"}])
    retracted_source = db.session.scalar(select(Source).where(Source.url == "https://example.org/retracted"))
    services.set_source_retracted(author, retracted_source, True)
    # The same claim elsewhere too: its first span is on another post, then on this one.
    made["elsewhere"] = claim_on(db, author, other_post, first_words(other_post.body))
    words = first_words(comments[6].text)
    start = comments[6].text.index(words)
    services.attach_span(author, made["elsewhere"], {"post_id": post.id, "comment_id": comments[6].id,
                                                     "start": start, "end": start + len(words), "exact": words})
    made["gone"] = claim_on(db, author, post, first_words(comments[7].text), comments[7])
    services.retract_claim(author, made["gone"], {"version": made["gone"].version, "reason": "duplicate"})
    db.session.commit()
    return {"post": post, "claims": made, "users": {"author": author, "second": second, "third": third,
                                                     "lead": lead}}


@pytest.mark.parametrize("blind", [True, False])
def test_page_payload_is_the_api_presenter_narrowed(world, db, blind):
    """For each viewer and with blind review on and off: the same claims, in reading order,
    with the same status, verdicts (or their count only), sources and spans as the API."""
    set_flag("blind_review", blind)
    db.session.commit()
    post = world["post"]
    for name, user in world["users"].items():
        expected = [projected(c) for c in load_claims(post_claim_ids(post.id), user)]
        got = presenters.reading_claims(queries.reading_claims(post.id), post.id, user, blind)
        assert got == expected, name
    ids = [c["id"] for c in got]
    assert world["claims"]["gone"].id not in ids and len(ids) == 8
    assert ids[0] == world["claims"]["body"].id and ids[1] == world["claims"]["none"].id


def test_blind_review_on_the_page(world, db, login):
    """A reviewer without a verdict sees how many verdicts, not which; the author and a lead see
    them; an adjudicated claim shows its final rating to everyone."""
    set_flag("blind_review", True)
    db.session.commit()
    post, made = world["post"], world["claims"]
    for who, blind in (("third", True), ("author", False), ("lead", False)):
        client = login(user=world["users"][who])
        html = client.get(f"/posts/{post.id}").get_data(as_text=True)
        by_id = {c["id"]: c for c in page_payload(html)}
        agreed, disputed, adjudicated = (by_id[made[k].id] for k in ("agreed", "disputed", "adjudicated"))
        assert agreed["verdicts_hidden"] is blind and agreed["verdict_count"] == 2, who
        assert (agreed["status"], disputed["status"]) == (("blind", "blind") if blind else ("agreed", "disputed")), who
        assert agreed["verdicts"] == ([] if blind else [{"rating": "true"}, {"rating": "true"}]), who
        assert adjudicated["status"] == "adjudicated" and adjudicated["adjudication"] == {"rating": "mostly_true"}
        assert by_id[made["flagged"].id]["status"] == ("blind" if blind else "disputed")
        if blind:
            block = re.search(r'id="claims-data">(.*?)</script>', html, re.S).group(1)
            panel = html[html.index('id="claim-list"'):html.index('id="claim-empty"')]
            assert "mostly_false" not in block and "mostly false" not in panel and "true, true" not in panel
            assert "2 verdicts, hidden until you give yours" in panel
        # The retracted source: shown to its author and to a lead, not to another reviewer.
        sources = [s["url"] for s in by_id[made["body"].id]["sources"]]
        assert sources == ([] if who == "third" else ["https://example.org/retracted"]), who


def test_side_panel_lists_the_payload_with_text_escaped(world, db, login):
    post, made = world["post"], world["claims"]
    html = login(user=world["users"]["lead"]).get(f"/posts/{post.id}").get_data(as_text=True)
    payload = page_payload(html)
    panel = html[html.index('<ol class="claim-list"'):html.index("</ol>", html.index('<ol class="claim-list"'))]
    assert re.findall(r'<li class="claim-item" data-claim-id="(\d+)"', panel) == [str(c["id"]) for c in payload]
    assert "<script>" not in panel and "<img" not in panel
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp; " \
           "&#34;q&#34; &#39;s&#39;" in panel
    item = re.search(rf'<li class="claim-item" data-claim-id="{made["adjudicated"].id}"[^>]*>(.*?)</li>', panel).group(1)
    assert 'href="/claims/%d"' % made["adjudicated"].id in item
    claim = made["adjudicated"]
    path = db.session.get(Comment, claim.spans[0].comment_id).path
    assert [unescape(t) for t in re.findall(r"<span [^>]*>([^<]*)</span>", item)] == [
        "adjudicated", f"comment {path}", claim.statement, "final: mostly true"]
    where = re.search(rf'data-claim-id="{made["elsewhere"].id}".*?<span class="where">([^<]*)<', panel).group(1)
    assert where == "post"      # its first appearance is the other post's body, as the script says
    # The JSON block cannot be closed by a statement, and parses back to the exact text.
    block = re.search(r'id="claims-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block and "'" not in block
    assert HOSTILE in [c["statement"] for c in payload]


def test_no_claims_page(seeded, db, login):
    post = db.session.scalar(select(Post).where(Post.title == "Institute Offers TR Advice"))
    html = login().get(f"/posts/{post.id}").get_data(as_text=True)
    assert page_payload(html) == []
    assert re.search(r'<ol class="claim-list" id="claim-list">\s*</ol>', html)
    assert re.search(r'<p class="empty muted" id="claim-empty">No claims here yet', html)


class _Tree(HTMLParser):
    """Each li.comment's nearest li.comment ancestor, and the reply count its button states."""
    def __init__(self):
        super().__init__()
        self.stack, self.parent, self.buttons, self.order, self.depth_class = [], {}, {}, [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "li":
            cid = a.get("data-comment-id") if "comment" in (a.get("class") or "").split() else None
            if cid:
                self.parent[cid] = next((x for x in reversed(self.stack) if x), None)
                self.order.append(cid)
                self.depth_class[cid] = a["class"]
            self.stack.append(cid)
        elif tag == "button" and "data-collapse" in a:
            self.buttons[next(x for x in reversed(self.stack) if x)] = a["data-collapse"]

    def handle_endtag(self, tag):
        if tag == "li":
            self.stack.pop()


@pytest.mark.parametrize("title", ["Institute Offers TR Advice", "The Morning After"])
def test_thread_nests_every_reply_under_its_parent(seeded, db, login, title):
    post = db.session.scalar(select(Post).where(Post.title == title))
    comments = db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.position)).all()
    html = login().get(f"/posts/{post.id}").get_data(as_text=True)
    tree = _Tree()
    tree.feed(html)
    assert tree.stack == []                                   # every <li> closed
    by_id = {str(c.id): c for c in comments}
    assert tree.order == [str(c.id) for c in comments]        # page order is thread order
    for cid, parent in tree.parent.items():
        c = by_id[cid]
        assert parent == (str(c.parent_id) if c.parent_id else None), c.path
        assert tree.depth_class[cid] == f"comment depth-{c.depth}"
    with_replies = {str(c.parent_id) for c in comments if c.parent_id}
    assert set(tree.buttons) == with_replies
    for cid in with_replies:
        n = sum(1 for c in comments if str(c.parent_id) == cid)
        assert f'data-collapse="{by_id[cid].anchor}">Hide {n} repl{"y" if n == 1 else "ies"}</button>' in html


def test_thread_helper_closes_deep_chains():
    """A reply of a reply of a reply that is the last of its thread closes all its lists."""
    class C:
        def __init__(self, id, parent_id, path):
            self.id, self.parent_id, self.path, self.depth, self.text = id, parent_id, path, path.count("."), "t"
    comments = [C(1, None, "1"), C(2, 1, "1.1"), C(3, 2, "1.1.1"), C(4, 3, "1.1.1.1"), C(5, None, "2"),
                C(6, 5, "2.1"), C(7, 5, "2.2")]
    rows = presenters.thread(comments)
    assert [r[1] for r in rows] == ["c1", "c1-1", "c1-1-1", "c1-1-1-1", "c2", "c2-1", "c2-2"]
    assert [(r[0], r[5], str(r[6]) if r[6] is not None else None) for r in rows] == [
        (1, 1, None), (2, 1, None), (3, 1, None), (4, 0, "</li></ol></li></ol></li></ol></li>"),
        (5, 2, None), (6, 0, "</li>"), (7, 0, "</li></ol></li>")]


def test_a_claim_saved_between_the_pages_queries_is_left_out_not_a_500():
    """PostgreSQL reads each query of a request at its own moment (READ COMMITTED): a claim
    saved between the spans query and the sources query arrives with sources but no spans.
    The load run found this as a 500 on the post page; the page now shows the claims whose
    spans it read, and nothing of the newcomer."""
    rows = queries.ReadingClaims(
        spans=[(1, 7, None, 0, 5, None, None, "A claim", "other")],
        sources=[(1, "https://a.example", "A", "supports", False, 3),
                 (2, "https://late.example", "Late", "supports", False, 3)],   # claim 2: no spans read
        verdicts=[(2, 3, "false")], open_flags={2: 1}, adjudications={2: "false"})
    out = presenters.reading_claims(rows, 7, None, False)
    assert [c["id"] for c in out] == [1]
    assert [s["url"] for s in out[0]["sources"]] == ["https://a.example"]
