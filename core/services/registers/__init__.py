"""The SPOC register (Data Management Officer) and the PVP register (H&S Well-being Officer),
clause 5; reviews due on both; the red-flag export for the housing management system.

One module per use case; every public name is re-exported here so `from core.services import
registers; registers.spoc_register(...)` keeps working."""
from core.services.arrangements import disclosure_log  # noqa: F401  (the DMO's read, re-exported)
from core.services.registers._common import (  # noqa: F401
    RED_FLAG_COLUMNS, SPOC_OFFICER_ROLES, STATUS_FILTERS, _channels, _excerpt, _matches, _record_review,
    _today, _user_names,
)
from core.services.registers.exports import EXPORTABLE, export_register, reviews_due  # noqa: F401
from core.services.registers.pvp import (  # noqa: F401
    _apply_notice, _case_of, _close_consideration, _get_pvp, approve_pvp, close_pvp_consideration,
    propose_pvp, record_pvp_notice_decision, reject_pvp, remove_pvp, restart_pvp_clock, review_pvp,
)
from core.services.registers.pvp_lists import pvp_queue, pvp_register, red_flag_export  # noqa: F401
from core.services.registers.spoc import (  # noqa: F401
    _get_spoc_entry, end_spoc, record_spoc_meeting_and_decide, request_spoc, review_spoc,
    spoc_evidence_choices, spoc_officer_choices, spoc_request_cases,
)
from core.services.registers.spoc_lists import spoc_register, spoc_requests  # noqa: F401
