"""The upload form: its CSRF token and the file field (the files are checked in uploads.py)."""
from flask_wtf import FlaskForm
from wtforms import MultipleFileField


class UploadForm(FlaskForm):
    files = MultipleFileField("Files")
