"""WTForms for logging in, managing users and the account page."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..permissions import Role

ROLE_CHOICES = [SelectChoice(r.value, r.value) for r in Role]


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired()])


class NewUserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    display_name = StringField("Display name", validators=[Length(max=128)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="reviewer")
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8)])


class EditUserForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active")


class PasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=8)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=128)])


class EmptyForm(FlaskForm):
    """Only the CSRF token: for buttons that post."""
