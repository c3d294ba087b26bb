"""What the test modules share: API helpers, the queue's settling, agencies built from the presets.

Test modules import from here, never from each other or from conftest.py (which holds fixtures).
"""

from tests.support.api import (
    PROBLEM,
    START,
    STRONG_PASSWORD,
    Staff,
    assert_problem,
    bearer,
    create_tenant,
    create_user,
    ehime_document,
    login,
    make_token,
    make_unit,
    preset_path,
    record,
    serving,
    staff,
    unique_slug,
)
from tests.support.database import DatabaseUnderTest
from tests.support.queue import a_dead_letter, a_delivery, forget_queues, settle
from tests.support.registers import (
    Agency,
    Time,
    agency_from_preset,
    apply,
    complete_documents,
    compliant_account,
    create_account,
    decide,
    events,
    get,
    long_lived_admin,
    open_account,
    put_documents,
    x_handle,
)

__all__ = [
    "PROBLEM", "START", "STRONG_PASSWORD", "Agency", "DatabaseUnderTest", "Staff", "Time", "a_dead_letter",
    "a_delivery", "agency_from_preset", "apply", "assert_problem", "bearer", "complete_documents",
    "compliant_account", "create_account", "create_tenant", "create_user", "decide", "ehime_document", "events",
    "forget_queues", "get", "login", "long_lived_admin", "make_token", "make_unit", "open_account", "preset_path",
    "put_documents", "record", "serving", "settle", "staff", "unique_slug", "x_handle",
]  # fmt: skip
