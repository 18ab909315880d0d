"""WTForms for the task pages: a single task, reassignment, bulk assignment of posts and checks.
Shape only; the services check the rules (never the author, no duplicates, who may assign)."""
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

PRIORITY_CHOICES = [SelectChoice(1, "high"), SelectChoice(2, "normal"), SelectChoice(3, "low")]


class ReassignForm(FlaskForm):
    assignee_id = SelectField("Assignee", coerce=int)
    version = IntegerField(validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that moves a task along (start, complete, reopen, cancel, restore)."""
    version = IntegerField(validators=[Optional()])


class _Bulk(FlaskForm):
    reviewers = SelectMultipleField("Reviewers", coerce=int, validators=[DataRequired()])
    date_from = DateField("Posts from", validators=[Optional()])
    date_to = DateField("to", validators=[Optional()])
    title = StringField("Title contains", validators=[Optional(), Length(max=300)])
    post_ids = StringField("or post ids (comma-separated)", validators=[Optional(), Length(max=5000)])
    due_date = DateField("Due", validators=[Optional()])
    priority = SelectField("Priority", coerce=int, choices=PRIORITY_CHOICES, default=2)
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

    def ids(self) -> list[int] | None:
        raw = (self.post_ids.data or "").replace(" ", "")
        if not raw:
            return None
        try:
            return [int(x) for x in raw.split(",") if x]
        except ValueError:
            self.post_ids.errors = ["Post ids are whole numbers separated by commas."]
            return []


class BulkPostsForm(_Bulk):
    mode = SelectField("Distribute", choices=[SelectChoice("round_robin", "round-robin"),
                                              SelectChoice("weighted", "by weight")])
    weights = StringField("Weights (username=weight, …)", validators=[Optional(), Length(max=2000)])


class BulkChecksForm(_Bulk):
    per_claim = IntegerField("Each claim checked by", default=2, validators=[NumberRange(1, 20)])
