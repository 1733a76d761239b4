"""Errors of the admin domain."""
from __future__ import annotations

from portal.admin.rules import TraineeImport
from portal.errors import DomainError
from portal.messages import N_


class InvalidTraineeImport(DomainError):
    """The trainee list has problems, so nothing was created; `checked` says which."""

    status = 422

    def __init__(self, checked: TraineeImport) -> None:
        super().__init__(N_("名单有问题，没有导入任何人。请修改文件后重新上传。"))
        self.checked = checked
