"""Admin forms: users, passwords, cohorts and the trainee import; and the labels they show."""
from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

try:  # WTForms 3.3 deprecates (value, label) tuples as choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

from portal.auth.models import Role
from portal.auth.rules import employee_no_problem, normalize_employee_no, password_problem
from portal.web.errors import translate
from portal.web.layout import ROLE_LABELS


def choice(value: Any, label: Any) -> Any:
    """One option of a select field, in the form the installed WTForms prefers."""
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


# The training tracks a cohort can follow. A fixed list for now: it should come from the
# courses domain's imported tracks once that domain offers a way to list them.
TRACK_CHOICES = [
    ("new-hire", _l("新客服入职培训（一周三阶段）")),
    ("double11", _l("双11大促临时客服速成")),
]

AUDIT_ACTION_LABELS = {
    "user.create": _l("新建用户"),
    "user.update": _l("修改用户"),
    "user.deactivate": _l("停用账号"),
    "user.reactivate": _l("恢复账号"),
    "user.reset_password": _l("重置密码"),
    "user.change_password": _l("修改自己的密码"),
    "cohort.create": _l("新建批次"),
    "cohort.update": _l("修改批次"),
    "cohort.import": _l("批量导入新客服"),
    "content.import": _l("导入课程内容"),
    "module.publish": _l("发布课程模块"),
    "stage.complete_manual": _l("人工标记阶段通过"),
    "stage.confirm_checklist": _l("确认融入团队清单"),
    "exams.import": _l("导入题库和考试"),
    "attempt.start": _l("开始考试"),
    "attempt.submit": _l("交卷"),
    "exam.override": _l("考试特殊安排"),
    "exam.regrade": _l("重新评分"),
    "response.grade": _l("人工评分"),
    "chat.import": _l("导入模拟对话内容"),
    "chat.attempt.start": _l("开始模拟对话"),
    "chat.attempt.finish": _l("结束模拟对话"),
    "placement.propose": _l("生成岗位安排方案"),
    "placement.change": _l("调整岗位安排"),
    "placement.confirm": _l("确认岗位安排"),
}

TEMPORARY_PASSWORD_HINT = _l("至少 10 个字符，不能包含工号。用户首次登录时必须改成自己的密码。")


def track_label(key: str) -> str:
    return str(dict(TRACK_CHOICES).get(key, key))


def track_choices(current: str | None = None) -> list[Any]:
    """The tracks to offer; a cohort's current track stays selectable even if retired."""
    choices = [choice(key, label) for key, label in TRACK_CHOICES]
    if current and current not in dict(TRACK_CHOICES):
        choices.append(choice(current, current))
    return choices


def action_label(action: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(action, _l("其他操作")))


def _optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def _role_choices() -> list[Any]:
    return [choice(role.value, ROLE_LABELS[role]) for role in Role]


def _temporary_password_field(label: Any) -> StringField:
    # Shown in clear: the admin has to read it out or write it down for the user.
    # autocomplete=off so that browsers neither remember it nor offer to save it as a log-in.
    return StringField(label, validators=[DataRequired(message=_l("请填写临时密码")),
                                          Length(max=128)],
                       render_kw={"autocomplete": "off", "autocapitalize": "none",
                                  "spellcheck": "false"})


class UserEditForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[DataRequired(message=_l("请填写姓名")),
                                                      Length(max=80)])
    role = SelectField(_l("角色"), choices=_role_choices(), coerce=Role, default=Role.TRAINEE.value)
    cohort_id = SelectField(_l("批次"), coerce=_optional_int)
    hire_date = DateField(_l("入职日期"), validators=[Optional()])

    def set_cohorts(self, cohorts: list[Any]) -> None:
        self.cohort_id.choices = [choice("", _l("（无）"))] + [choice(c.id, c.name) for c in cohorts]


class UserCreateForm(UserEditForm):
    employee_no = StringField(_l("工号"), validators=[DataRequired(message=_l("请填写工号")),
                                                      Length(max=32)],
                              filters=[lambda v: normalize_employee_no(v) if v else v],
                              render_kw={"autocomplete": "off", "autocapitalize": "none",
                                         "spellcheck": "false"})
    password = _temporary_password_field(_l("初始密码"))

    # Field-level feedback from the same pure rules the service enforces.
    def validate_employee_no(self, field: StringField) -> None:
        problem = employee_no_problem(field.data)
        if problem:
            raise ValidationError(translate(problem))

    def validate_password(self, field: StringField) -> None:
        problem = password_problem(field.data, employee_no=self.employee_no.data or "")
        if problem:
            raise ValidationError(translate(problem))


class ResetPasswordForm(FlaskForm):
    new_password = _temporary_password_field(_l("临时密码"))


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (easier than a multi-select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CohortForm(FlaskForm):
    name = StringField(_l("批次名称"), validators=[DataRequired(message=_l("请填写批次名称")),
                                                Length(max=80)])
    start_date = DateField(_l("开始日期"), validators=[DataRequired(message=_l("请填写开始日期"))])
    track_key = SelectField(_l("培训路线"))  # choices: track_choices(), set by the view
    staff_ids = MultiCheckboxField(_l("负责人员"), coerce=int)


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("名单文件（CSV）"),
        validators=[
            FileRequired(message=_l("请选择要上传的 CSV 文件")),
            FileAllowed(["csv", "txt"], message=_l(
                "请上传 CSV 文件（.csv）。如果是 Excel 表格，请先在 Excel 中“另存为”CSV 格式。")),
        ],
        render_kw={"accept": ".csv,.txt,text/csv"},
    )


class ImportConfirmForm(FlaskForm):
    """The checked list, carried back for confirmation (checked again on the server)."""

    content = HiddenField(validators=[DataRequired()])

    @staticmethod
    def pack(text: str) -> str:
        # base64, so that no browser normalises the file's line breaks or spaces.
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def text(self) -> str | None:
        try:
            return base64.b64decode(self.content.data or "", validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None


# --- the audit log in words --------------------------------------------------------------

AUDIT_TARGET_LABELS = {
    "user": _l("用户"), "cohort": _l("批次"), "response": _l("一道题的作答"),
    "attempt": _l("考试作答"), "chat_attempt": _l("模拟对话作答"), "question_bank": _l("题库"),
    "module": _l("课程模块"), "content": _l("课程内容"), "chat": _l("模拟对话内容"),
}
# What each key of an event's details means (details are written by the domains).
AUDIT_DETAIL_LABELS = {
    "employee_no": _l("工号"), "role": _l("角色"), "cohort_id": _l("批次编号"),
    "display_name": _l("姓名"), "hire_date": _l("入职日期"), "name": _l("名称"),
    "count": _l("人数"), "generated_passwords": _l("生成的临时密码"), "new": _l("新增"),
    "changed": _l("修改"), "removed": _l("停用"), "attempt": _l("作答编号"),
    "position": _l("题号"), "before": _l("原来"), "after": _l("现在"), "points": _l("得分"),
    "max_points": _l("满分"), "attempt_score": _l("作答总成绩"), "score": _l("成绩"),
    "passed": _l("是否通过"), "needs_manual": _l("待人工评分"), "version": _l("版本"),
    "question": _l("题目"), "trainee": _l("新客服编号"), "track": _l("培训路线"),
    "track_key": _l("培训路线"), "stage": _l("阶段"), "reason": _l("原因"), "by": _l("操作方式"),
    "number": _l("第几次"), "exam": _l("考试"), "extra_minutes": _l("加时（分钟）"),
    "extra_attempts": _l("增加的考试次数"), "deadline": _l("截止时间"), "drill": _l("练习"),
    "staff": _l("负责人"), "start_date": _l("开始日期"), "changes": _l("改动"),
}


def audit_target(target_type: str | None, target_id: str | None) -> str:
    """An event's object as words: 用户 12, 题库 (no English type names)."""
    if not target_type:
        return "—"
    label = str(AUDIT_TARGET_LABELS.get(target_type, _l("其他对象")))
    return f"{label} {target_id}" if target_id else label


def audit_details(details: Any) -> list[str]:
    """An event's details as lines of "标签：值" (never JSON); a change reads "原值 → 新值"."""
    if not isinstance(details, dict):
        return [_detail_value("", details)] if details not in (None, "", {}) else []
    lines = []
    for key, value in details.items():
        label = str(AUDIT_DETAIL_LABELS.get(key, _l("其他")))
        if key == "changes" and isinstance(value, dict):
            lines += [f"{AUDIT_DETAIL_LABELS.get(k, _l('其他'))}："
                      f"{_detail_value(k, pair[0])} → {_detail_value(k, pair[1])}"
                      for k, pair in value.items()
                      if isinstance(pair, list | tuple) and len(pair) == 2]
        else:
            lines.append(f"{label}：{_detail_value(key, value)}")
    return lines


def _detail_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return str(_l("无"))
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if key == "role" and isinstance(value, str) and value in {r.value for r in Role}:
        return str(ROLE_LABELS[Role(value)])
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        if key in ("new", "changed", "removed"):
            return str(_l("%(n)d 项")) % {"n": len(value)}
        return "、".join(_detail_value("", v) for v in value) or str(_l("无"))
    if isinstance(value, dict):
        return "；".join(f"{AUDIT_DETAIL_LABELS.get(k, _l('其他'))} {_detail_value(k, v)}"
                        for k, v in value.items())
    return str(value)
