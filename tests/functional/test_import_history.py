"""The Import page lists recent imports that changed the corpus, newest first: uploads with who
made them, command-line runs as "command line"; unchanged re-imports and failed uploads are not
listed; file names are escaped; the page's queries do not grow with the history."""
import re

from tests.conftest import SEEDS
from tests.functional.test_import_page import GOOD, seeds, text_of, upload

BAD = "not a date line\n"


def history_rows(html: str) -> list[str]:
    section = html.split('id="history-title"', 1)[1]
    return re.findall(r"<tr>\s*<td class=\"when\">.*?</tr>", section, re.S)


def test_uploads_and_command_runs_are_listed_newest_first(app, db, login, make_user):
    admin_user = make_user("admin", username="ada")
    admin = login("admin", admin_user)
    assert "Nothing imported yet." in text_of(admin.get("/imports"))

    result = app.test_cli_runner().invoke(args=["import", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert app.test_cli_runner().invoke(args=["import", str(SEEDS)]).exit_code == 0   # unchanged: not listed

    assert upload(admin, [("post-<b>one</b>.txt", GOOD.encode())]).status_code == 200
    assert upload(admin, [("broken.txt", BAD.encode())]).status_code == 422           # nothing imported: not listed

    rows = history_rows(text_of(admin.get("/imports")))
    assert len(rows) == 2
    newest, oldest = rows
    assert "ada" in newest and "1 imported" in newest
    assert "post-&lt;b&gt;one&lt;/b&gt;.txt" in newest and "<b>one</b>" not in newest
    assert "command line" in oldest and "5 imported" in oldest
    assert re.search(r'class="num">5</td>', oldest)
    assert all(name in oldest for name, _ in seeds())


def test_the_history_costs_the_same_queries_however_long(app, db, login, make_user, query_counter):
    admin = login("admin", make_user("admin"))
    dumps = [(f"post{i}.txt", GOOD.replace("A small post", f"Post number {i}").encode()) for i in range(25)]
    assert upload(admin, dumps[:1]).status_code == 200
    with query_counter() as few:
        admin.get("/imports")
    for d in dumps[1:]:
        assert upload(admin, [d]).status_code == 200
    with query_counter() as many:
        page = text_of(admin.get("/imports"))
    rows = history_rows(page)
    assert len(rows) == 20                          # the newest twenty
    assert "post24.txt" in rows[0] and "post5.txt" in rows[-1]
    assert many["n"] == few["n"]
