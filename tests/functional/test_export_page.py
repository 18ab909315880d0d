"""The export page and the export API through the test client: filters, downloads, permissions, blind review."""
import csv
import io
import json

from tests.unit.exports.builders import annotate


# buffered=True: the test client reads the streamed body inside the request's own context,
# as a server would (the tests' client runs each request in an isolated context).


def jsonl(resp):
    return [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]


def claims_of(records):
    return {c["statement"]: c for r in records for c in r["claims"]}


def test_the_page_offers_the_filters(seeded, db, make_user, login):
    annotate(db, make_user)
    c = login("reviewer")
    html = c.get("/exports").get_data(as_text=True)
    for needle in ('name="format" value="w3c"', 'name="date_from"', 'name="date_to"', 'id="category"',
                   'value="disputed"', "<option >rita</option>", 'name="only_adjudicated"', 'name="omit_discussion"',
                   'name="omit_history"', 'name="omit_tasks"', 'name="redact_emails"', 'href="/exports"'):
        assert needle.replace("<option >", "<option>") in html.replace("<option >", "<option>"), needle


def test_the_form_downloads_a_streamed_file(seeded, db, make_user, login):
    annotate(db, make_user)
    resp = login("lead").get("/exports/download?format=jsonl&date_from=&category=&status=", buffered=True)
    assert resp.status_code == 200 and "Content-Length" not in resp.headers   # streamed, not built in memory
    assert resp.headers["Content-Disposition"] == 'attachment; filename="workbench.jsonl"'
    assert resp.mimetype == "application/x-ndjson"
    assert len(jsonl(resp)) == 5


def test_filters_select_posts_and_claims(seeded, db, make_user, login):
    ids = annotate(db, make_user)
    c = login("lead")
    records = jsonl(c.get("/exports/download?format=jsonl&status=disputed", buffered=True))
    assert list(claims_of(records)) == ["A disputed claim"] and len(records) == 1
    records = jsonl(c.get("/exports/download?format=jsonl&only_adjudicated=1", buffered=True))
    assert list(claims_of(records)) == ["A claim in a comment"]
    records = jsonl(c.get("/exports/download?format=jsonl&category=CRC+finances", buffered=True))
    assert list(claims_of(records)) == ["A claim in a comment"]
    records = jsonl(c.get("/exports/download?format=jsonl&reviewer=ravi", buffered=True))
    assert sorted(claims_of(records)) == ["A claim in a comment", "A disputed claim", "Seen twice"]
    all_posts = jsonl(c.get("/exports/download?format=jsonl", buffered=True))
    day = all_posts[1]["date"]
    dated = jsonl(c.get(f"/exports/download?format=jsonl&date_from={day}&date_to={day}", buffered=True))
    assert [r["date"] for r in dated] == [day]
    assert ids


def test_every_format_downloads(seeded, db, make_user, login):
    annotate(db, make_user)
    c = login("lead")
    w3c = c.get("/exports/download?format=w3c", buffered=True)
    assert w3c.status_code == 200 and jsonl(w3c)[0]["type"] == "AnnotationCollection"
    assert w3c.headers["Content-Disposition"].endswith('.w3c.jsonl"')
    cr = c.get("/exports/download?format=claimreview&only_adjudicated=1", buffered=True)
    assert json.loads(cr.get_data(as_text=True))[0]["@type"] == "ClaimReview"
    table = c.get("/exports/download?format=csv", buffered=True)
    assert table.mimetype == "text/csv"
    assert len(list(csv.DictReader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff"))))) == 3


def test_bad_filters_show_the_form_again(seeded, login):
    c = login("reviewer")
    resp = c.get("/exports/download?format=jsonl&date_from=31/03/2016", buffered=True)
    assert resp.status_code == 422 and "date_from must be a date" in resp.get_data(as_text=True)
    resp = c.get("/exports/download?format=pdf", buffered=True)
    assert resp.status_code == 422 and "Unknown format" in resp.get_data(as_text=True)


def test_api_streams_the_same_export(seeded, db, make_user, login):
    annotate(db, make_user)
    c = login("lead")
    page = c.get("/exports/download?format=jsonl", buffered=True).get_data()
    api = c.get("/api/v1/exports?format=jsonl", buffered=True)
    assert api.status_code == 200 and api.get_data() == page
    bad = c.get("/api/v1/exports?status=maybe", buffered=True)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "status"
    spec = c.get("/api/v1/openapi.json").get_json()
    assert "/exports" in spec["paths"]


def test_login_is_required(anon):
    assert anon.get("/exports").status_code in (302, 401)
    assert anon.get("/api/v1/exports", buffered=True).status_code == 401


def test_blind_review_holds_in_exports(seeded, db, make_user, login):
    annotate(db, make_user)
    outsider = login("reviewer")
    claims = claims_of(jsonl(outsider.get("/api/v1/exports?format=jsonl", buffered=True)))
    assert claims["A disputed claim"]["verdicts"] == [] and claims["A disputed claim"]["status"] == "blind"
    assert claims["A disputed claim"]["history"] == [] and claims["A disputed claim"]["flags"] == []
    # adjudicated claims are no longer blind
    assert claims["A claim in a comment"]["verdicts"]
    lead = claims_of(jsonl(login("lead").get("/api/v1/exports?format=jsonl", buffered=True)))
    assert len(lead["A disputed claim"]["verdicts"]) == 3


def tasks_of(records):
    return sorted((t["assignee"], t["kind"], t["status"]) for r in records
                  for t in r["tasks"] + [t for c in r["claims"] for t in c["tasks"]])


def test_tasks_are_in_the_native_download_and_can_be_left_out(seeded, db, make_user, login):
    annotate(db, make_user)
    lead = login("lead")
    everyone = tasks_of(jsonl(lead.get("/exports/download?format=jsonl", buffered=True)))
    assert everyone == [("lena", "adjudicate_claim", "open"), ("ravi", "check_claim", "cancelled"),
                        ("ravi", "check_claim", "done"), ("rita", "annotate_post", "in_progress"),
                        ("tess", "annotate_post", "open")]
    for url in ("/exports/download?format=jsonl&omit_tasks=1", "/api/v1/exports?format=jsonl&omit_tasks=true"):
        body = lead.get(url, buffered=True).get_data(as_text=True)
        assert body.count("\n") == 5 and '"tasks"' not in body, url
    # the other formats never carried tasks: the same with and without the option
    for fmt in ("w3c", "claimreview", "csv"):
        assert lead.get(f"/api/v1/exports?format={fmt}", buffered=True).get_data() == \
            lead.get(f"/api/v1/exports?format={fmt}&omit_tasks=1", buffered=True).get_data()
    params = lead.get("/api/v1/openapi.json").get_json()["paths"]["/exports"]["get"]["parameters"]
    assert "omit_tasks" in [p["name"] for p in params]


def test_a_reviewer_downloads_only_their_own_tasks(seeded, db, make_user, login):
    """As on the task pages: a reviewer sees their own queue, not who else was given what."""
    ids = annotate(db, make_user)
    rita, ravi, lena = ids["users"]
    assert tasks_of(jsonl(login(user=rita).get("/exports/download?format=jsonl", buffered=True))) == \
        [("rita", "annotate_post", "in_progress")]
    assert tasks_of(jsonl(login(user=ravi).get("/api/v1/exports?format=jsonl", buffered=True))) == \
        [("ravi", "check_claim", "cancelled"), ("ravi", "check_claim", "done")]
    assert tasks_of(jsonl(login("reviewer").get("/api/v1/exports?format=jsonl", buffered=True))) == []
    assert len(tasks_of(jsonl(login(user=lena).get("/api/v1/exports?format=jsonl", buffered=True)))) == 5
