"""A small, hostile world for the security and reliability tests: one post imported from a
hostile dump, one user per role (plus a deactivated one and the owner of the work), a claim
with a span, a source and a verdict, a flag, a discussion post, an adjudication and a task.

Every text a user or the corpus controls carries a payload: script tags, event handlers,
`javascript:` links, quotes, `</script>` and CSV formulas. The walkers in tests/security use
`url_args` to fill the URL of any route from these objects.
"""
import csv
import datetime as dt
import io
import json
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import inspect, select, text
from werkzeug.routing import AnyConverter
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse"
# A cheap hash, so a walker can log in many times; the real code never uses it.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")

SCRIPT = '<script>alert("xss")</script>'
BREAKOUT = '</script><script>alert("breakout")</script>'
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(2)>'
JS_LINK = '<a href="javascript:alert(3)">click</a>'
ATTR = "' onmouseover='alert(4)"
FORMULA = "=cmd|' /C calc'!A0"
HOSTILE = f"{SCRIPT} {BREAKOUT} {IMG} {SVG} {JS_LINK} {ATTR} {FORMULA} {{{{ 7*7 }}}} &amp;"

HOSTILE_DUMP = f"""Wednesday 6 March 2019

Hostile {SCRIPT} {IMG} title "quoted" 'single'

The body quotes {SCRIPT} and {BREAKOUT} and {JS_LINK} and {IMG}.
The Ministry of Justice was wrong to outsource probation.
{FORMULA}

2 comments:

  1. First comment {SVG} {SCRIPT}
    ReplyDelete
    Replies
    1. A reply javascript:alert(5) {FORMULA} {ATTR}
      Delete
  2. Second comment {BREAKOUT} {IMG}
    ReplyDelete
"""

ROLES = ("anonymous", "deactivated", "reviewer", "owner", "lead", "admin")
RANK = {"public": -1, "anonymous": 0, "deactivated": 0, "reviewer": 1, "owner": 1, "lead": 2, "admin": 3}


@dataclass
class World:
    users: dict = field(default_factory=dict)      # role -> User
    tokens: dict = field(default_factory=dict)     # role -> bearer secret
    token_ids: dict = field(default_factory=dict)  # role -> ApiToken.id
    ids: dict = field(default_factory=dict)        # name -> id of the objects below
    names: dict = field(default_factory=dict)      # role -> username
    uids: dict = field(default_factory=dict)       # role -> user id

    def bearer(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}


def build_world(db, tmp_path: Path) -> World:
    """Create the world with the real services (so audit rows exist too) and commit it."""
    from workbench.annotations import services as claims
    from workbench.auth.models import ApiToken, User
    from workbench.auth.services import _digest
    from workbench.corpus.models import Comment, Post
    from workbench.review.models import Adjudication, DiscussionPost, Flag
    from workbench.tasks.models import Task, TaskKind

    w = World()
    for role in ROLES[1:]:
        db_role = {"owner": "reviewer", "deactivated": "reviewer"}.get(role, role)
        user = User(username=f"{role}-{secrets.token_hex(3)}", display_name=f"{FORMULA} {role} {SCRIPT} {IMG}"[:128],
                    role=db_role, password_hash=CHEAP_HASH, active=role != "deactivated")
        db.session.add(user)
        db.session.flush()
        secret = "wb_" + secrets.token_urlsafe(24)
        token = ApiToken(user_id=user.id, name=f"{role} token", token_hash=_digest(secret), prefix=secret[:10])
        db.session.add(token)
        db.session.flush()
        w.users[role], w.tokens[role], w.token_ids[role] = user, secret, token.id
        w.names[role], w.uids[role] = user.username, user.id

    # Rows written directly (the importer has its own hostile-dump test), so the world does
    # not depend on the parser while others change it.
    post = Post(slug=f"hostile-{secrets.token_hex(3)}", date=dt.date(2019, 3, 6),
                title=f"Hostile {SCRIPT} {IMG} title \"quoted\" 'single'",
                body=f"The body quotes {HOSTILE}.\nThe Ministry of Justice was wrong to outsource probation.\n",
                declared_comment_count=2, comment_count=2, source_name="hostile.txt",
                content_hash=secrets.token_hex(32))
    db.session.add(post)
    db.session.flush()
    comment = Comment(post_id=post.id, parent_id=None, path="1", position=0, depth=0,
                      text=f"First comment {HOSTILE}")
    db.session.add(comment)
    db.session.flush()
    db.session.add(Comment(post_id=post.id, parent_id=comment.id, path="1.1", position=1, depth=1,
                           text=f"A reply javascript:alert(5) {HOSTILE}"))
    db.session.flush()
    quote = "The Ministry of Justice was wrong to outsource probation."
    start = post.body.index(quote)
    owner, lead = w.users["owner"], w.users["lead"]
    claim = claims.create_claim(owner, {
        "post_id": post.id, "start": start, "end": start + len(quote), "exact": quote,
        "statement": f"Claim {HOSTILE}", "category": claims.categories()[0].name,
        "sources": [{"url": "https://example.org/report?a=1&b=<x>", "title": f"@SUM(A1) Source {HOSTILE}",
                     "publisher": HOSTILE, "quote": HOSTILE, "locator": HOSTILE}],
        "verdict": {"rating": "false", "rationale": f"-2+3 Rationale {HOSTILE}"}})
    db.session.flush()
    lead_claim = claims.create_claim(lead, {
        "post_id": post.id, "start": start, "end": start + len(quote), "exact": quote,
        "statement": f"{FORMULA} Lead claim {HOSTILE}", "category": claims.categories()[0].name})
    claims.set_verdict(w.users["reviewer"], claim, claims.schemas.parse_verdict({"rating": "true", "rationale": HOSTILE}))
    db.session.flush()
    flag = Flag(claim_id=claim.id, created_by_id=owner.id, reason=f"Flag {HOSTILE}")
    discussion = DiscussionPost(claim_id=claim.id, author_id=owner.id, body=f"Discussion {HOSTILE}")
    adjudication = Adjudication(claim_id=lead_claim.id, lead_id=lead.id, rating="mixed",
                                reasoning=f"Adjudication {HOSTILE}")
    task = Task(kind=list(TaskKind)[0], post_id=post.id, claim_id=claim.id, assignee_id=owner.id,
                created_by_id=lead.id, notes=f"Task {HOSTILE}")
    db.session.add_all([flag, discussion, adjudication, task])
    db.session.flush()
    w.ids = {"post_id": post.id, "comment_id": comment.id, "claim_id": claim.id,
             "lead_claim_id": lead_claim.id, "source_id": claim.sources[0].id,
             "verdict_id": claim.verdicts[0].id, "flag_id": flag.id, "discussion_id": discussion.id,
             "discussion_post_id": discussion.id, "adjudication_id": adjudication.id,
             "task_id": task.id, "user_id": w.users["reviewer"].id,
             "token_id": w.token_ids["owner"], "category_id": claims.categories()[0].id,
             "category_name": claims.categories()[0].name}
    db.session.commit()
    return w


def url_args(rule, world: World, overrides: dict | None = None) -> dict:
    """Values for every argument of a URL rule, from the world; unknown names are an error
    that tells the author of the new route what to add."""
    args = {}
    for name in rule.arguments:
        if overrides and name in overrides:
            args[name] = overrides[name]
        elif isinstance(rule._converters.get(name), AnyConverter):
            args[name] = sorted(rule._converters[name].items)[0]
        elif name in world.ids:
            args[name] = world.ids[name]
        elif name == "id" and rule.endpoint.split(".")[-1]:
            raise KeyError(f"{rule.endpoint}: argument 'id' is ambiguous; give it in the test's table")
        else:
            raise KeyError(f"{rule.endpoint}: no world value for URL argument {name!r}; add it to "
                           "tests/security/world.py ids or to the route's row in the test's table")
    return args


def row_counts(db) -> dict:
    """Rows per table, in one statement."""
    names = sorted(t for t in inspect(db.engine).get_table_names() if t != "alembic_version")
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}") AS c{i}' for i, n in enumerate(names))
    db.session.commit()
    row = db.session.execute(text(sql)).one()
    db.session.commit()
    return dict(zip(names, row))


def fingerprint(db) -> dict:
    """Every row of every table, for 'nothing changed' checks on a small world."""
    names = sorted(t for t in inspect(db.engine).get_table_names() if t != "alembic_version")
    db.session.commit()
    out = {}
    for n in names:
        rows = db.session.execute(text(f'SELECT * FROM "{n}"')).all()
        out[n] = sorted(json.dumps([str(v) for v in r]) for r in rows)
    db.session.commit()
    return out


class PageAudit(HTMLParser):
    """Collects what would let hostile text run: inline scripts, event-handler attributes,
    javascript: URLs, and JSON data blocks that do not parse."""

    URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.json_blocks: list[str] = []
        self._script = None
        self._data: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler attribute")
            if name in self.URL_ATTRS and value and value.strip().lower().replace("\t", "").replace(
                    "\n", "").startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value!r}> script URL")
        if tag == "script":
            if attrs.get("type") == "application/json":
                self._script, self._data = "json", []
            elif attrs.get("src"):
                self._script = "src"
                if "//" in attrs["src"].split("?")[0][:8]:
                    self.problems.append(f"<script src={attrs['src']!r}> not same-origin")
            else:
                self._script = "inline"
                self.problems.append(f"inline <script {attrs}>")
        if tag in ("iframe", "object", "embed", "base", "foreignobject"):
            self.problems.append(f"<{tag}> element")

    def handle_data(self, data):
        if self._script:
            self._data.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script:
            if self._script == "json":
                body = "".join(self._data)
                self.json_blocks.append(body)
                try:
                    json.loads(body)
                except ValueError as exc:
                    self.problems.append(f"JSON data block does not parse ({exc}): {body[:120]!r}")
            elif self._script == "inline" and "".join(self._data).strip():
                self.problems.append("inline script body")
            self._script, self._data = None, []


def audit_html(html: str) -> list[str]:
    parser = PageAudit()
    parser.feed(html)
    parser.close()
    return parser.problems


def csv_formula_cells(body: str) -> list[str]:
    """Cells that a spreadsheet would run as a formula (OWASP CSV injection)."""
    bad = []
    for row in csv.reader(io.StringIO(body)):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(cell):
                bad.append(cell)
    return bad


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False
