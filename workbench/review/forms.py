"""WTForms for the dispute page: flag, discussion, adjudication, reopen, assign an adjudicator,
and the admin's blind-review switch. Shape only; the services check the rules."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..annotations.models import Rating

RATING_CHOICES = [SelectChoice(r.value, r.label) for r in Rating]


class FlagForm(FlaskForm):
    reason = StringField("Why is it disputed?", validators=[DataRequired(), Length(max=2000)])


class ClearFlagForm(FlaskForm):
    reason = StringField("Why clear it?", validators=[Optional(), Length(max=2000)])


class DiscussionForm(FlaskForm):
    body = TextAreaField("Add to the discussion", validators=[DataRequired(), Length(max=10000)])


class AdjudicationForm(FlaskForm):
    rating = SelectField("Final verdict", choices=RATING_CHOICES, validators=[DataRequired()])
    reasoning = TextAreaField("Reasoning", validators=[DataRequired(), Length(max=10000)])


class ReopenForm(FlaskForm):
    reason = StringField("Why reopen?", validators=[DataRequired(), Length(max=2000)])


class AdjudicatorForm(FlaskForm):
    assignee_id = SelectField("Lead", coerce=int, validators=[DataRequired()])
    due_date = DateField("Due", validators=[Optional()])


class BlindReviewForm(FlaskForm):
    blind_review = BooleanField("Blind review: reviewers see others' verdicts only after giving their own")
