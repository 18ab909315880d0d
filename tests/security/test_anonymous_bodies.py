"""No one without a session or token can make the server read a request body: the log-in
check comes before the form is parsed (an upload may be 200 MB, spooled to disk)."""
import io

import pytest


class Untouchable(io.BytesIO):
    """A request body that fails the test if anything reads it."""

    def _refuse(self, *args):
        raise AssertionError("the body of an anonymous request was read")

    read = readinto = readline = readlines = read1 = _refuse


@pytest.mark.parametrize("path,expected", [("/api/v1/imports", 401), ("/imports", 401), ("/api/v1/claims", 401)])
def test_an_anonymous_upload_is_refused_before_its_body_is_read(anon, path, expected):
    resp = anon.post(path, input_stream=Untouchable(b"--x\r\n" * 1000),
                     content_type="multipart/form-data; boundary=x")
    assert resp.status_code == expected


def test_a_nul_in_a_logged_in_form_is_still_refused(login):
    client = login("admin")
    resp = client.post("/imports", data={"files": [(io.BytesIO(b"x"), "a.txt")], "accept_changes": "a\x00b"},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and b"NUL" in resp.data


def test_the_login_form_takes_no_large_body(anon):
    resp = anon.post("/login", data={"username": "x" * 100_000, "password": "y"})
    assert resp.status_code == 413
    ok = anon.post("/login", data={"username": "nobody", "password": "wrong"})
    assert ok.status_code in (200, 400, 401, 422)   # an ordinary refusal, not a size one
