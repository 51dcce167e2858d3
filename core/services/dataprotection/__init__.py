"""Clause 6 for the Data Management Officer: subject access, rectification and erasure
requests, legal holds, retention and the access log.

One map of "every row about a customer" (`_common._collect`) drives the subject access pack,
erasure and retention deletion, so a table cannot be covered by one and forgotten by another.

Modules by use case: `requests` (log, list, close; the access log), `subject_access` (the
pack), `rectification`, `erasure` (and legal holds), `retention`. Every public name is
re-exported here, so `from core.services import dataprotection as dp; dp.erase_customer(...)`
keeps working.
"""

from core.services.dataprotection._common import (
    DELETE_ORDER,
    NOT_ABOUT_A_CUSTOMER,
    PACK_TABLES,
    T,
    csv_bytes,
)
from core.services.dataprotection.collect import _collect
from core.services.dataprotection.erasure import (
    ERASE_DELETE,
    ERASE_FIELDS,
    REDACTED,
    erase_customer,
    erasure_check,
    set_legal_hold,
)
from core.services.dataprotection.rectification import (
    RECTIFIABLE,
    REMOVABLE_RECORDS,
    RectifiableRecord,
    decide_rectification,
    rectifiable_records,
)
from core.services.dataprotection.requests import (
    DataRequestRow,
    complete_request,
    confirm_identity,
    list_requests,
    log_request,
    open_requests_like,
    record_access,
)
from core.services.dataprotection.retention import (
    RetentionCandidate,
    RetentionReview,
    confirm_retention_deletion,
    retention_candidates,
)
from core.services.dataprotection.subject_access import Progress, build_sar_pack

__all__ = [
    "DELETE_ORDER",
    "NOT_ABOUT_A_CUSTOMER",
    "PACK_TABLES",
    "T",
    "_collect",
    "csv_bytes",
    "ERASE_DELETE",
    "ERASE_FIELDS",
    "REDACTED",
    "erase_customer",
    "erasure_check",
    "set_legal_hold",
    "RECTIFIABLE",
    "REMOVABLE_RECORDS",
    "RectifiableRecord",
    "DataRequestRow",
    "decide_rectification",
    "rectifiable_records",
    "complete_request",
    "confirm_identity",
    "list_requests",
    "log_request",
    "open_requests_like",
    "record_access",
    "RetentionCandidate",
    "RetentionReview",
    "confirm_retention_deletion",
    "retention_candidates",
    "Progress",
    "build_sar_pack",
]
