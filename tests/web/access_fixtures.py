"""Expected access by endpoint: the table the URL-map walks check every route against."""
from __future__ import annotations

from portal.auth.models import Role

PUBLIC = "public"
ANY = frozenset(Role)
STAFF = frozenset({Role.TRAINER, Role.SUPERVISOR, Role.ADMIN})

# Expected access by endpoint; an entry ending in "." covers a whole blueprint.
EXPECTED: dict[str, object] = {
    "static": PUBLIC,
    "web.static": PUBLIC,
    "web.htmx_js": PUBLIC,
    "web.set_language": PUBLIC,
    "web.healthz": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ANY,
    "auth.change_password": ANY,
    "home.index": ANY,
    "admin.": frozenset({Role.ADMIN}),
    "authoring.": frozenset({Role.TRAINER}),  # trainers author content; nobody else
    "banks.": frozenset({Role.TRAINER}),  # question banks hold answer keys: trainers only
    "courses.module_show": ANY,
    "courses.search": ANY,
    "exams.": frozenset({Role.TRAINEE}),
    "chat.static": PUBLIC,
    "banks.static": PUBLIC,
    "exam_staff.static": PUBLIC,
    "chat.": frozenset({Role.TRAINEE}),  # the trainee's chat console, result, quick phrases
    "courses.checklist_tick": frozenset({Role.TRAINEE}),
    "courses.checklist_confirm": frozenset({Role.SUPERVISOR}),
    "courses.module_done": frozenset({Role.TRAINEE}),
    "courses.module_reading": frozenset({Role.TRAINEE}),
    "courses.trainee_track": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "courses.stage_complete": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "progress.cohort_grid": STAFF,
    "progress.trainee_timeline": STAFF,
    "progress.my_results": frozenset({Role.TRAINEE}),  # 我的成绩: a trainee's own results
    "exam_staff.": frozenset({Role.TRAINER}),  # grading, overrides, regrade: trainers only
    "exam_staff.exam_list": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "exam_staff.exam_results": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "exam_staff.attempt_review": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    # Chat exams, the staff side: replays and agreement for staff, scores by trainers and
    # supervisors, the scenario player and matcher tester (scenario keys) for trainers.
    "chat_staff.static": PUBLIC,
    "chat_staff.": STAFF,
    "chat_staff.review_item_save": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "chat_staff.script_player": frozenset({Role.TRAINER}),
    "chat_staff.script_player_play": frozenset({Role.TRAINER}),
    "chat_staff.script_matcher": frozenset({Role.TRAINER}),
    # Observation forms: filled in by the staff who follow the cohort (not admins).
    "observations.static": PUBLIC,
    "observations.": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    "probation.": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    # Placement: trainees state a preference; cohort staff and admins open the cohort page
    # (the service lets only the cohort's supervisors plan, propose, change and confirm).
    "placement.my_preference": frozenset({Role.TRAINEE}),
    "placement.preference_save": frozenset({Role.TRAINEE}),
    "placement.static": PUBLIC,
    "placement.": frozenset({Role.TRAINER, Role.SUPERVISOR, Role.ADMIN}),
    # The cohort dashboard and its HR exports: the cohort's staff, and admins.
    "cohorts.static": PUBLIC,
    "cohorts.": STAFF,
    # Analytics (exams, cohorts, chat): the staff who follow cohorts, over those cohorts.
    "analytics.static": PUBLIC,
    "analytics.": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    # Cohort analytics: the staff who follow the cohorts.
    "analytics_cohorts.": frozenset({Role.TRAINER, Role.SUPERVISOR}),
    # Analytics: the staff who follow cohorts, over those cohorts (not admins).
    "analytics_chat.static": PUBLIC,
    "analytics_chat.": frozenset({Role.TRAINER, Role.SUPERVISOR}),
}


def expected_for(endpoint: str) -> object:
    if endpoint in EXPECTED:
        return EXPECTED[endpoint]
    prefix = endpoint.split(".")[0] + "."
    if prefix in EXPECTED:
        return EXPECTED[prefix]
    raise AssertionError(f"no expected access declared in this test for endpoint {endpoint!r}")
