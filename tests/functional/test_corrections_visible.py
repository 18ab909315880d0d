"""A corrected text says so on the post page: a re-import with accept_changes replaces a stored
comment, body or title, and the page marks that text (beside it, never inside it), shows every
earlier version newest first, escaped, compared word by word with the current text, and costs
one query whatever the number of comments or corrections."""
import re
from html import unescape

import pytest
from markupsafe import Markup
from sqlalchemy import select

from workbench.audit import AuditEvent
from workbench.corpus import presenters, queries
from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths

HOSTILE = "Great: 19 of 21 companies <script>alert('old')</script> failed & missed their targets."
FIXED = "Great news: 19 of 21 companies failed & missed their reoffending targets."
DUMP = ("Monday 22 October 2018\n\nCRC finances\n\n"
        "By March 2018, CRCs were forecasting losses of nearly £300 million on their contracts.\n\n"
        "3 comments:\n\n"
        f"  1. {HOSTILE}\n\n    ReplyDelete\n    Replies\n"
        "    1. Caseloads rose to 60 per officer.\n\n      Delete\n"
        "  2. Staff left in droves.\n\n    ReplyDelete\n")


def reimport(db, tmp_path, dump: str, name: str = "post.txt", folder: str = "recrawl"):
    path = tmp_path / folder / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(dump, "utf-8")
    report = import_paths([path], accept_changes=True)
    db.session.commit()
    assert report.results[0].status == "corrected", report.results[0].message
    return report.results[0]


@pytest.fixture
def corrected(db, import_dumps, tmp_path):
    """The post with comment 1 corrected by a re-crawled dump (post-v2.txt); comment 1.1, comment 2,
    the body and the title untouched."""
    import_dumps({"post.txt": DUMP})
    reimport(db, tmp_path, DUMP.replace(HOSTILE, FIXED), name="post-v2.txt")
    post = db.session.scalar(select(Post))
    comments = {c.path: c for c in db.session.scalars(select(Comment).where(Comment.post_id == post.id))}
    assert comments["1"].text == FIXED
    return post, comments


def page_of(client, post) -> str:
    resp = client.get(f"/posts/{post.id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def comment_block(html: str, comment) -> str:
    """A comment's own <article> (its replies are outside it)."""
    start = html.index(f'id="{comment.anchor}"')
    return html[start:html.index("</article>", start)]


def text_element(block: str) -> str:
    return re.search(r'<div class="text[^"]*" data-unit="[^"]+"[^>]*>(.*?)</div>', block, re.S).group(1)


def corrected_on(db, entity_type: str, entity_id: int):
    return db.session.scalar(select(AuditEvent.at).where(AuditEvent.entity_type == entity_type,
                                                         AuditEvent.entity_id == entity_id,
                                                         AuditEvent.action == "correct_text"))


def test_the_marker_is_on_the_corrected_comment_only(db, corrected, login):
    post, comments = corrected
    html = page_of(login("reviewer"), post)
    at = corrected_on(db, "comment", comments["1"].id)
    one = comment_block(html, comments["1"])
    assert one.count('<details class="corrections">') == 1
    summary = re.search(r"<summary>(.*?)</summary>", one, re.S).group(1)
    flat = " ".join(unescape(re.sub(r"<[^>]+>", "", summary)).split())
    assert flat == f"Comment 1: corrected {at:%-d %b %Y} from post-v2.txt 1 earlier version"
    assert f'<time datetime="{at.isoformat(timespec="seconds")}Z">' in summary
    # The marker sits between the meta line and the text, never inside the text element, which
    # holds exactly the stored characters the claim offsets count.
    assert one.index("</header>") < one.index("<details") < one.index('data-unit="comment"')
    assert unescape(text_element(one)) == FIXED
    for path in ("1.1", "2"):
        assert "corrections" not in comment_block(html, comments[path]), path
    article = html[html.index('<article class="post"'):html.index("</article>")]
    assert "corrections" not in article


def test_the_earlier_text_is_shown_escaped_with_a_word_diff(db, corrected, login):
    post, comments = corrected
    html = page_of(login("reviewer"), post)
    one = comment_block(html, comments["1"])
    assert "<script>alert" not in html
    earlier = re.search(r'<div class="earlier-text">(.*?)</div>', one, re.S).group(1)
    assert earlier == "Great: 19 of 21 companies &lt;script&gt;alert(&#39;old&#39;)&lt;/script&gt; failed &amp; " \
                      "missed their targets."
    assert unescape(earlier) == HOSTILE
    at = corrected_on(db, "comment", comments["1"].id)
    when = re.escape(at.isoformat(timespec="seconds"))
    assert re.search(rf'Text until\s+<time datetime="{when}Z">{at:%-d %b %Y, %H:%M} UTC</time>,'
                     r"\s+replaced from post-v2.txt", one)
    diff = re.search(r'<div class="diff" role="group" aria-label="[^"]+">(.*?)</div>', one, re.S).group(1)
    removed = '<del><span class="sr-only">removed: </span>{}</del>'
    added = '<ins><span class="sr-only">added: </span>{}</ins>'
    assert diff == (removed.format("Great:") + " " + added.format("Great news:") + " 19 of 21 companies "
                    + removed.format("&lt;script&gt;alert(&#39;old&#39;)&lt;/script&gt;")
                    + " failed &amp; missed their " + added.format("reoffending") + " targets.")


def test_every_earlier_version_newest_first_each_against_the_current_text(db, corrected, login, tmp_path):
    post, comments = corrected
    third = FIXED.replace("Great news", "Good news")
    reimport(db, tmp_path, DUMP.replace(HOSTILE, third), name="post-v3.txt", folder="again")
    html = page_of(login("reviewer"), post)
    one = comment_block(html, comments["1"])
    assert "2 earlier versions" in one and "from post-v3.txt" in one
    texts = [unescape(t) for t in re.findall(r'<div class="earlier-text">(.*?)</div>', one, re.S)]
    assert texts == [FIXED, HOSTILE]
    sources = re.findall(r"replaced from ([\w.-]+)", one)
    assert sources == ["post-v3.txt", "post-v2.txt"]
    diffs = re.findall(r'<div class="diff"[^>]*>(.*?)</div>', one, re.S)
    assert diffs[0].startswith('<del><span class="sr-only">removed: </span>Great</del> '
                               '<ins><span class="sr-only">added: </span>Good</ins> news: 19')
    assert "Good news:" in diffs[1] and "reoffending" in diffs[1]      # the oldest, against the current text
    assert unescape(text_element(one)) == third


def test_a_corrected_title_and_body_are_marked_on_the_post(db, import_dumps, login, tmp_path):
    import_dumps({"post.txt": DUMP})
    # A title may change in case and punctuation only (otherwise it is another post).
    reimport(db, tmp_path, DUMP.replace("CRC finances", "CRC Finances!").replace("nearly", "almost"))
    post = db.session.scalar(select(Post))
    html = page_of(login("reviewer"), post)
    article = html[html.index('<article class="post"'):html.index("</article>")]
    summary = " ".join(unescape(re.sub(r"<[^>]+>", "", re.search(r"<summary>(.*?)</summary>", article, re.S)
                                       .group(1))).split())
    assert summary.startswith("The post: title and text corrected ") and summary.endswith("2 earlier versions")
    assert re.findall(r'<p class="earlier-when">(Title|Text) until', article) == ["Title", "Text"]
    diffs = re.findall(r'<div class="diff"[^>]*>(.*?)</div>', article, re.S)
    assert diffs[0] == ('CRC <del><span class="sr-only">removed: </span>finances</del> '
                        '<ins><span class="sr-only">added: </span>Finances!</ins>')
    assert '<del><span class="sr-only">removed: </span>nearly</del> <ins>' in diffs[1]
    assert "<h1>CRC Finances!</h1>" in article
    assert unescape(text_element(article)) == post.body
    assert "corrections" not in html[html.index('<section class="thread"'):html.index('<div class="select-bar"')]


def test_a_long_text_keeps_the_words_next_to_each_change(db, import_dumps, login, tmp_path):
    filler = " ".join(f"word{i}" for i in range(300))
    long_dump = DUMP.replace("By March 2018,", f"{filler} By March 2018,")
    import_dumps({"post.txt": long_dump})
    reimport(db, tmp_path, long_dump.replace("nearly", "almost"))
    post = db.session.scalar(select(Post))
    html = page_of(login("reviewer"), post)
    article = html[html.index('<article class="post"'):html.index("</article>")]
    diff = re.search(r'<div class="diff"[^>]*>(.*?)</div>', article, re.S).group(1)
    # 300 filler words and 8 more before the change: the 12 next to it are kept.
    assert diff.startswith('<span class="diff-skip">[… 296 unchanged words …]</span> '
                           "word296 word297 word298 word299 By March 2018, CRCs were forecasting losses of <del>")
    assert "word295 " not in diff and diff.endswith("</ins> £300 million on their contracts.")
    # The whole earlier text is on request: its own disclosure, with its length.
    whole = re.search(r'<details class="earlier-whole"><summary>The whole earlier text \(314 words\)</summary>'
                      r'\s*<div class="earlier-text">(.*?)</div></details>', article, re.S)
    assert whole and unescape(whole.group(1)) == long_dump.split("\n\n")[2]


def test_word_diff():
    diff, same = presenters.word_diff("a b c", "a  b\n\nc")
    assert same and diff == Markup("a  b\n\nc")                        # spacing is not a difference
    diff, same = presenters.word_diff("x <b>", "x & y")
    assert not same and diff == Markup('x <del><span class="sr-only">removed: </span>&lt;b&gt;</del> '
                                       '<ins><span class="sr-only">added: </span>&amp; y</ins>')
    words = [f"w{i}" for i in range(100)]
    diff, _ = presenters.word_diff(" ".join(words), " ".join(words[:50] + ["new"] + words[50:]))
    shown = re.sub(r"<[^>]+>", "", str(diff))
    assert shown == ("[… 38 unchanged words …] " + " ".join(words[38:50]) + " added: new "
                     + " ".join(words[50:62]) + " [… 38 unchanged words …]")
    full, _ = presenters.word_diff(" ".join(words), " ".join(words[:50] + ["new"] + words[50:]), elide=False)
    assert "unchanged" not in full


def test_word_diff_compares_word_by_word_only_inside_the_changed_paragraphs(monkeypatch):
    """difflib on every word of a long text is slow (1.3 s for 10,000 words): the paragraphs are
    matched first, and a changed stretch beyond the budget is shown replaced whole."""
    para = lambda n, w: " ".join(f"p{n}w{i}" for i in range(20)).replace(f"p{n}w{w} ", "changed ")  # noqa: E731
    old = "\n\n".join(para(n, -1) for n in range(5))
    new = "\n\n".join(para(n, 5 if n in (1, 3) else -1) for n in range(5))
    monkeypatch.setattr(presenters, "DIFF_BUDGET", 20 * 20)              # one paragraph at a time
    diff, _ = presenters.word_diff(old, new, elide=False)
    assert re.findall(r"<(del|ins)><span[^>]*>[^<]*</span>([^<]*)<", str(diff)) == [
        ("del", "p1w5"), ("ins", "changed"), ("del", "p3w5"), ("ins", "changed")]
    one_line = lambda t: t.replace("\n\n", " ")  # noqa: E731
    diff, _ = presenters.word_diff(one_line(old), one_line(new), elide=False)
    deleted = re.findall(r"<del><span[^>]*>[^<]*</span>([^<]*)<", str(diff))
    assert deleted == [" ".join(f"p1w{i}" for i in range(5, 20)) + " " + " ".join(
        f"p2w{i}" for i in range(20)) + " " + " ".join(f"p3w{i}" for i in range(6))]


def add_comments(n: int) -> str:
    """The dump with n more top-level comments after comment 2."""
    extra = "".join(f"  {3 + i}. Extra comment {i} about caseloads.\n\n    ReplyDelete\n" for i in range(n))
    return DUMP.replace("3 comments:", f"{3 + n} comments:") + extra


def test_page_queries_do_not_grow_with_corrections(db, import_dumps, login, query_counter, tmp_path):
    """One post with one correction, another with 20 (on 20 comments, and one comment corrected
    again), and one never corrected: the same statements, one of them reads the audit log."""
    base = add_comments(20)
    few = base.replace("CRC finances", "Few corrections")
    many = base.replace("CRC finances", "Many corrections").replace("Monday 22", "Tuesday 23")
    never = base.replace("CRC finances", "No corrections").replace("Monday 22", "Wednesday 24")
    import_dumps({"few.txt": few, "many.txt": many, "never.txt": never})
    reimport(db, tmp_path, few.replace(HOSTILE, FIXED), name="few.txt")
    many_fixed = many
    for i in range(19):
        many_fixed = many_fixed.replace(f"Extra comment {i} about", f"Extra comment {i} (corrected) about")
    reimport(db, tmp_path, many_fixed.replace(HOSTILE, FIXED), name="many.txt")          # 20 texts
    reimport(db, tmp_path, many_fixed.replace(HOSTILE, FIXED.replace("Great", "Good")), name="many.txt",
             folder="again")                                                            # and one again
    posts = {p.title: p for p in db.session.scalars(select(Post))}
    events = lambda p: len(queries.reading_corrections(p.id))  # noqa: E731
    assert [events(posts[t]) for t in ("Few corrections", "Many corrections", "No corrections")] == [1, 21, 0]
    client = login("reviewer")
    client.get(f"/posts/{posts['No corrections'].id}")                  # warm-up
    counts, audit_reads = {}, {}
    for title, post in posts.items():
        with query_counter() as box:
            html = page_of(client, post)
        counts[title] = box["n"]
        audit_reads[title] = sum("audit_event" in s for s in box["sql"])
        marked = html.count('<details class="corrections">')
        assert marked == {"Few corrections": 1, "Many corrections": 20, "No corrections": 0}[title]
    assert len(set(counts.values())) == 1, counts
    assert set(audit_reads.values()) == {1}, audit_reads


def test_another_posts_corrections_are_not_shown(db, import_dumps, login, tmp_path):
    other = DUMP.replace("CRC finances", "Another post").replace("Monday 22", "Tuesday 23")
    import_dumps({"post.txt": DUMP, "other.txt": other})
    reimport(db, tmp_path, other.replace(HOSTILE, FIXED), name="other.txt")
    post = db.session.scalar(select(Post).where(Post.title == "CRC finances"))
    assert queries.reading_corrections(post.id) == []
    assert "corrections" not in page_of(login("reviewer"), post).split('<aside class="claims-panel"')[0]


def test_the_page_needs_a_login(db, corrected, anon):
    post, _ = corrected
    resp = anon.get(f"/posts/{post.id}")
    assert resp.status_code in (302, 401) and "earlier" not in resp.get_data(as_text=True)


def test_a_correction_made_on_the_import_page_names_who_made_it(db, import_dumps, login, make_user, tmp_path):
    """Uploaded by an admin: "replaced from FILE by NAME", the name escaped; from the command line
    (the fixture's corrections) no name."""
    import io
    import_dumps({"post.txt": DUMP})
    admin = make_user("admin", username="ada<b>")
    client = login("admin", admin)
    resp = client.post("/imports", data={"files": [(io.BytesIO(DUMP.replace(HOSTILE, FIXED).encode()), "post-v2.txt")],
                                         "accept_changes": "y"}, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    post = db.session.scalar(select(Post))
    html = page_of(client, post)
    assert re.search(r"replaced from post-v2\.txt by ada&lt;b&gt;</p>", html)
    assert "ada<b>" not in html
    reimport(db, tmp_path, DUMP.replace(HOSTILE, FIXED + " Again."), name="post-v3.txt")
    newest = re.findall(r"replaced from ([\w.-]+)( by [^<]+)?</p>", page_of(client, post))
    assert newest == [("post-v3.txt", ""), ("post-v2.txt", " by ada&lt;b&gt;")]
