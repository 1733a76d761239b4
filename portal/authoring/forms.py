"""The module editor form: the module file's fields, the Markdown body and a change note."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from portal.authoring import rules
from portal.authoring.services import MAX_NOTE_CHARS, MAX_TITLE_CHARS, ModuleDraft

try:  # WTForms 3.3 deprecates (value, label) tuples as choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

ROLE_LABELS = {
    "all": _l("全体客服"),
    "pre-sales": _l("售前客服"),
    "after-sales": _l("售后客服"),
}

FIELD_LABELS = {
    "title": _l("标题"),
    "summary": _l("摘要"),
    "minutes": _l("预计阅读分钟数"),
    "tags": _l("标签"),
    "roles": _l("适用岗位"),
    "body": _l("正文"),
    "note": _l("改动说明"),
}


def _choice(value: str, label: Any) -> Any:
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        # Unknown roles are reported by the content rules with the loader's message.
        pass


class ModuleForm(FlaskForm):
    # Which module: the preview endpoint serves every module, so the form says.
    track_key = HiddenField()
    module_key = HiddenField()
    # The version the editor was opened on: saving over someone else's newer version
    # needs a second, deliberate click.
    base_version = HiddenField()

    # The rules (required fields, lengths, ranges) are the content rules, checked by the
    # service with the file loader's messages; the form only carries the values.
    title = StringField(FIELD_LABELS["title"],
                        render_kw={"required": True, "maxlength": MAX_TITLE_CHARS})
    summary = TextAreaField(FIELD_LABELS["summary"], render_kw={"required": True, "rows": 2})
    minutes = StringField(FIELD_LABELS["minutes"], widget=NumberInput(min=1, max=600),
                          render_kw={"required": True, "inputmode": "numeric"})
    tags = StringField(FIELD_LABELS["tags"])
    roles = MultiCheckboxField(FIELD_LABELS["roles"],
                               choices=[_choice(k, v) for k, v in ROLE_LABELS.items()])
    body = TextAreaField(FIELD_LABELS["body"],
                         render_kw={"rows": 24, "spellcheck": "false", "required": True,
                                    "class": "editor__body"})
    note = TextAreaField(FIELD_LABELS["note"],
                         render_kw={"required": True, "rows": 2, "maxlength": MAX_NOTE_CHARS})

    def fill_from(self, draft: ModuleDraft) -> None:
        self.title.data = draft.title
        self.summary.data = draft.summary
        self.minutes.data = "" if draft.minutes is None else str(draft.minutes)
        self.tags.data = rules.join_tags(draft.tags)
        self.roles.data = list(draft.roles)
        self.body.data = draft.body

    def draft(self) -> ModuleDraft:
        return ModuleDraft.from_input(
            title=self.title.data or "", summary=self.summary.data or "",
            minutes=self.minutes.data, tags=self.tags.data or "", roles=self.roles.data or [],
            body=self.body.data or "")

    def base_number(self) -> int | None:
        value = (self.base_version.data or "").strip()
        return int(value) if value.isdigit() else None
