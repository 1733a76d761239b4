"""Forms of the bank pages: the upload, the files carried to the confirm step, the editor."""
from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import HiddenField, StringField, TextAreaField

from portal.banks import rules
from portal.banks.services import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, UploadedFile

# Each carried file travels as base64 in pieces small enough for any form-field limit
# (Werkzeug refuses multipart text fields over MAX_FORM_MEMORY_SIZE, 500 kB by default).
CHUNK_CHARS = 256 * 1024


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("文件"), render_kw={
        "accept": ".yaml,.yml,.gift,.txt,.xml", "required": True})
    bank_key = StringField(_l("题库 key（仅 GIFT 和 Moodle XML）"),
                           render_kw={"maxlength": 64, "autocomplete": "off",
                                      "spellcheck": "false"})
    bank_title = StringField(_l("题库名称（仅 GIFT 和 Moodle XML）"),
                             render_kw={"maxlength": 200, "autocomplete": "off"})

    def uploads(self) -> list[UploadedFile]:
        """The chosen files, each read at most up to the upload limit (bigger ones are
        reported as too big by the check, not read whole into memory)."""
        stored = [f for f in (self.files.data or [])
                  if isinstance(f, FileStorage) and f.filename]
        key = (self.bank_key.data or "").strip() or None
        title = (self.bank_title.data or "").strip() or None
        interop = [f for f in stored
                   if rules.file_format(f.filename or "") in rules.INTEROP_FORMATS]
        # A key typed in the upload form names the one GIFT or Moodle XML file uploaded;
        # with several, each gets its own key field in the check's report.
        single = len(interop) == 1
        uploads = []
        for f in stored[:MAX_UPLOAD_FILES + 1]:
            data = f.stream.read(MAX_UPLOAD_BYTES + 1)
            chosen = single and f in interop
            uploads.append(UploadedFile(rules.clean_file_name(f.filename), data,
                                        key if chosen else None, title if chosen else None))
        return uploads


class QuestionForm(FlaskForm):
    # Which question: the preview endpoint serves every bank, so the form says.
    bank_key = HiddenField()
    qid = HiddenField()  # empty for a new question
    # The version the editor was opened on: saving over a newer one needs a second click.
    base_version = HiddenField()
    definition = TextAreaField(_l("题目定义（YAML）"), render_kw={
        "rows": 28, "spellcheck": "false", "autocapitalize": "off", "autocomplete": "off",
        "class": "editor__body", "required": True})

    def base_number(self) -> int | None:
        value = (self.base_version.data or "").strip()
        return int(value) if value.isdigit() else None


class AcknowledgeForm(FlaskForm):
    """A trainer accepting one lint warning on a saved question, with the reason."""

    warning = HiddenField()  # the warning's code (never shown)
    base_version = HiddenField()
    reason = StringField(_l("确认理由"), render_kw={"maxlength": 500, "required": True,
                                                  "autocomplete": "off"})

    def base_number(self) -> int | None:
        value = (self.base_version.data or "").strip()
        return int(value) if value.isdigit() else None


# --- files carried from the check to the confirm step ------------------------------------


def carried_fields(files: list[UploadedFile]) -> list[tuple[str, str]]:
    """Hidden fields for the files: names, base64 content in pieces (re-checked on confirm).

    Carried in the page rather than kept on the server, so any app process can take the
    confirmation; a trainer who edits them gains nothing over uploading other files.
    """
    fields: list[tuple[str, str]] = []
    for index, f in enumerate(files):
        fields.append((f"f{index}-name", f.name))
        encoded = base64.b64encode(f.data).decode("ascii")
        fields.extend((f"f{index}-data", piece) for piece in rules.chunks(encoded, CHUNK_CHARS))
    return fields


def read_carried(form: MultiDict[str, Any]) -> list[UploadedFile] | None:
    """The carried files with the keys and titles now in the form; None when the carried
    content is missing or damaged."""
    files: list[UploadedFile] = []
    total = 0
    for index in range(MAX_UPLOAD_FILES):
        name = form.get(f"f{index}-name")
        if name is None:
            break
        try:
            data = base64.b64decode("".join(form.getlist(f"f{index}-data")), validate=True)
        except (binascii.Error, ValueError):
            return None
        total += len(data)
        if total > MAX_UPLOAD_BYTES:
            return None
        key = (form.get(f"f{index}-key") or "").strip() or None
        title = (form.get(f"f{index}-title") or "").strip() or None
        files.append(UploadedFile(rules.clean_file_name(name), data, key, title))
    return files or None
