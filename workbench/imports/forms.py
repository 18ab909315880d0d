"""The upload form: its CSRF token and the file field (the files are checked in uploads.py)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField


class UploadForm(FlaskForm):
    files = MultipleFileField("Files")
    accept_changes = BooleanField("Correct stored posts whose text changed")
