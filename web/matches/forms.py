"""Forms of the matches blueprint (fields only; services decide validity)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class CurationForm(FlaskForm):
    # The radios are rendered in the template; the curation service checks the value.
    action = StringField("操作")
    reason = TextAreaField("理由")
