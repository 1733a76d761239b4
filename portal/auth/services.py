"""Account operations: signing in and out, creating users and cohorts, passwords."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth import rules
from portal.auth.errors import (
    DuplicateCohortName,
    DuplicateEmployeeNo,
    InvalidAccountData,
    InvalidCredentials,
)
from portal.auth.models import Cohort, Role, User
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.errors import NotFound
from portal.messages import N_


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("找不到该用户"))
    return user


def find_user(session: Session, employee_no: str) -> User | None:
    return session.scalar(
        sa.select(User).where(User.employee_no == rules.normalize_employee_no(employee_no))
    )


def load_user(session: Session, token: str) -> User | None:
    """The user a session cookie's token names, if that token is still valid.

    The token is "<id>:<session_version>"; a bumped version (log-out, deactivation,
    password reset) or an inactive account makes every older cookie worthless.
    """
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is signed in, without the account's ORM object: what a hot request (a chat poll
    or reply, an autosave) needs of its user (the id for ownership checks, the role and
    the pending password change for the access policy, the name for a full page's
    navigation). It is checked exactly like a `User` (the token's session version, the
    account active) in one narrow read; anything else of the account is not here, on
    purpose (an attribute error in the view's tests, not a silent extra query)."""

    id: int
    role: Role
    display_name: str
    must_change_password: bool
    session_version: int
    cohort_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True  # an inactive account never becomes a principal

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


_USERS = User.__table__
_PRINCIPAL = (sa.select(_USERS.c.role, _USERS.c.display_name, _USERS.c.must_change_password,
                        _USERS.c.active, _USERS.c.session_version, _USERS.c.cohort_id)
              .where(_USERS.c.id == sa.bindparam("user_id")))


def load_principal(session: Session, token: str) -> Principal | None:
    """`load_user`'s check for a view that needs only a `Principal`: the same token rule,
    one prepared Core read of five columns (an ORM load of the whole row costs several
    times as much, on the requests that are most of the traffic)."""
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    if session.new or session.dirty or session.deleted:
        session.flush()  # Core does not autoflush; as an ORM read would
    row = session.connection().execute(_PRINCIPAL, {"user_id": int(user_id)}).first()
    if row is None or not row.active or row.session_version != int(version):
        return None
    return Principal(id=int(user_id), role=Role(row.role), display_name=row.display_name,
                     must_change_password=row.must_change_password,
                     session_version=row.session_version, cohort_id=row.cohort_id)


def check_credentials(session: Session, *, employee_no: str, password: str) -> int:
    """The id of the account these credentials open; reads only (argon2 is slow on purpose,
    so callers run this outside any write transaction)."""
    user = find_user(session, employee_no)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise InvalidCredentials(N_("工号或密码不正确"))
    if not user.active:
        raise InvalidCredentials(N_("该账号已停用，请联系管理员"))
    return user.id


def record_login(session: Session, *, user_id: int, password: str, now: datetime) -> User:
    """Note a successful sign-in (and upgrade an outdated hash)."""
    user = get_user(session, user_id)
    if not user.active:  # deactivated between the check and now
        raise InvalidCredentials(N_("该账号已停用，请联系管理员"))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.flush()
    return user


def authenticate(session: Session, *, employee_no: str, password: str, now: datetime) -> User:
    user_id = check_credentials(session, employee_no=employee_no, password=password)
    return record_login(session, user_id=user_id, password=password, now=now)


def end_sessions(session: Session, *, user_id: int) -> None:
    """Make every cookie issued to this user stop working (log-out everywhere)."""
    user = get_user(session, user_id)
    user.session_version += 1
    session.flush()


def _check_password(password: str, employee_no: str) -> None:
    problem = rules.password_problem(password, employee_no=employee_no)
    if problem:
        raise InvalidAccountData(problem)


def create_user(
    session: Session,
    *,
    actor_id: int | None,
    employee_no: str,
    display_name: str,
    role: Role,
    password: str,
    cohort_id: int | None = None,
    hire_date: date | None = None,
    must_change_password: bool = True,
    password_hash: str | None = None,
    now: datetime,
) -> User:
    """Create an account; `password_hash` may carry the password already hashed (bulk
    imports hash outside the write transaction, since argon2 is slow on purpose)."""
    employee_no = rules.normalize_employee_no(employee_no)
    problem = rules.employee_no_problem(employee_no)
    if problem:
        raise InvalidAccountData(problem)
    if not display_name.strip():
        raise InvalidAccountData(N_("请填写姓名"))
    _check_password(password, employee_no)
    if find_user(session, employee_no) is not None:
        raise DuplicateEmployeeNo(N_("工号 %(no)s 已存在"), no=employee_no)
    if cohort_id is not None and session.get(Cohort, cohort_id) is None:
        raise NotFound(N_("找不到该批次"))
    user = User(
        employee_no=employee_no,
        display_name=display_name.strip(),
        role=Role(role),
        password_hash=password_hash or hash_password(password),
        cohort_id=cohort_id if Role(role) is Role.TRAINEE else None,
        hire_date=hire_date,
        must_change_password=must_change_password,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor_id=actor_id, action="user.create", target_type="user", target_id=user.id,
        details={"employee_no": employee_no, "role": user.role.value, "cohort_id": user.cohort_id},
        now=now,
    )
    return user


def update_user(
    session: Session,
    *,
    actor_id: int,
    user_id: int,
    display_name: str,
    role: Role,
    cohort_id: int | None,
    hire_date: date | None,
    now: datetime,
) -> User:
    user = get_user(session, user_id)
    if not display_name.strip():
        raise InvalidAccountData(N_("请填写姓名"))
    if cohort_id is not None and session.get(Cohort, cohort_id) is None:
        raise NotFound(N_("找不到该批次"))
    role = Role(role)
    if user.id == actor_id and role is not Role.ADMIN:
        raise InvalidAccountData(N_("不能取消自己的管理员角色"))
    before = {"display_name": user.display_name, "role": user.role.value,
              "cohort_id": user.cohort_id, "hire_date": _iso(user.hire_date)}
    user.display_name = display_name.strip()
    if role is not user.role:
        user.session_version += 1  # new permissions take effect on the next sign-in
    user.role = role
    user.cohort_id = cohort_id if role is Role.TRAINEE else None
    user.hire_date = hire_date
    user.updated_at = now
    after = {"display_name": user.display_name, "role": user.role.value,
             "cohort_id": user.cohort_id, "hire_date": _iso(user.hire_date)}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    session.flush()
    audit.record(session, actor_id=actor_id, action="user.update", target_type="user",
                 target_id=user.id, details={"changes": changes}, now=now)
    return user


def set_active(session: Session, *, actor_id: int, user_id: int, active: bool,
               now: datetime) -> User:
    user = get_user(session, user_id)
    if user.id == actor_id and not active:
        raise InvalidAccountData(N_("不能停用自己的账号"))
    if user.active == active:
        return user
    user.active = active
    user.session_version += 1
    user.updated_at = now
    session.flush()
    audit.record(session, actor_id=actor_id,
                 action="user.reactivate" if active else "user.deactivate",
                 target_type="user", target_id=user.id,
                 details={"employee_no": user.employee_no}, now=now)
    return user


def reset_password(session: Session, *, actor_id: int, user_id: int, new_password: str,
                   now: datetime) -> User:
    """An admin sets a temporary password; the user must choose a new one at next log-in."""
    user = get_user(session, user_id)
    _check_password(new_password, user.employee_no)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    user.session_version += 1
    user.updated_at = now
    session.flush()
    audit.record(session, actor_id=actor_id, action="user.reset_password", target_type="user",
                 target_id=user.id, details={"employee_no": user.employee_no}, now=now)
    return user


def change_own_password(session: Session, *, user_id: int, current_password: str,
                        new_password: str, now: datetime) -> User:
    user = get_user(session, user_id)
    if not verify_password(user.password_hash, current_password):
        raise InvalidAccountData(N_("当前密码不正确"))
    if current_password == new_password:
        raise InvalidAccountData(N_("新密码不能与当前密码相同"))
    _check_password(new_password, user.employee_no)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.session_version += 1  # other devices must sign in again
    user.updated_at = now
    session.flush()
    audit.record(session, actor_id=user.id, action="user.change_password", target_type="user",
                 target_id=user.id, details={}, now=now)
    return user


def list_users(session: Session, *, role: Role | None = None, active: bool | None = None,
               query: str = "") -> list[User]:
    stmt = sa.select(User).order_by(User.employee_no)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(sa.or_(User.employee_no.ilike(like), User.display_name.ilike(like)))
    return list(session.scalars(stmt))


# --- cohorts -----------------------------------------------------------------

def get_cohort(session: Session, cohort_id: int) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(N_("找不到该批次"))
    return cohort


def list_cohorts(session: Session) -> list[Cohort]:
    return list(session.scalars(sa.select(Cohort).order_by(Cohort.start_date.desc(), Cohort.name)))


def cohorts_for_staff(session: Session, *, user: User) -> list[Cohort]:
    """The cohorts a trainer or supervisor follows (an admin sees all of them)."""
    if user.role is Role.ADMIN:
        return list_cohorts(session)
    return list(user.staffed_cohorts)


def save_cohort(
    session: Session,
    *,
    actor_id: int,
    cohort_id: int | None,
    name: str,
    start_date: date,
    track_key: str,
    staff_ids: list[int],
    now: datetime,
) -> Cohort:
    name = name.strip()
    if not name:
        raise InvalidAccountData(N_("请填写批次名称"))
    clash = session.scalar(sa.select(Cohort).where(Cohort.name == name))
    if clash is not None and clash.id != cohort_id:
        raise DuplicateCohortName(N_("批次名称 %(name)s 已存在"), name=name)
    staff = list(session.scalars(sa.select(User).where(User.id.in_(staff_ids)))) if staff_ids else []
    if any(u.role not in (Role.TRAINER, Role.SUPERVISOR) for u in staff):
        raise InvalidAccountData(N_("只有培训组长和主管可以负责批次"))
    if cohort_id is None:
        cohort = Cohort(name=name, start_date=start_date, track_key=track_key, created_at=now)
        session.add(cohort)
        action = "cohort.create"
    else:
        cohort = get_cohort(session, cohort_id)
        action = "cohort.update"
    cohort.name = name
    cohort.start_date = start_date
    cohort.track_key = track_key
    cohort.staff = staff
    session.flush()
    audit.record(session, actor_id=actor_id, action=action, target_type="cohort",
                 target_id=cohort.id,
                 details={"name": name, "start_date": start_date.isoformat(),
                          "track_key": track_key, "staff": sorted(u.employee_no for u in staff)},
                 now=now)
    return cohort


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
