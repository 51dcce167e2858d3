"""The SPOC register (Data Management Officer) and the PVP register (H&S Well-being Officer),
clause 5; reviews due on both; the red-flag export for the housing management system.

One module per use case (spoc, spoc_lists, pvp, pvp_lists, exports); every public name is
re-exported here so `from core.services import registers; registers.spoc_register(...)` keeps
working. Lists return a `Page` of frozen dataclass rows, filtered, counted and limited in SQL."""

from core.services.arrangements import disclosure_log  # noqa: F401  (the DMO's read, re-exported)
from core.services.registers._common import (  # noqa: F401
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    PVP_STATUS_FILTERS,
    RED_FLAG_COLUMNS,
    SPOC_OFFICER_ROLES,
    SPOC_STATUS_FILTERS,
    STATUS_FILTER_LABELS,
    STATUS_FILTERS,
    Page,
    _channels,
    _excerpt,
    _record_review,
    _today,
)
from core.services.registers.exports import (  # noqa: F401
    EXPORTABLE,
    DueCounts,
    ReviewsDue,
    export_register,
    reviews_due,
)
from core.services.registers.pvp import (  # noqa: F401
    _apply_notice,
    _case_of,
    _close_consideration,
    _get_pvp,
    approve_pvp,
    close_pvp_consideration,
    propose_pvp,
    record_pvp_notice_decision,
    reject_pvp,
    remove_pvp,
    restart_pvp_clock,
    review_pvp,
)
from core.services.registers.pvp_lists import (  # noqa: F401
    PvpQueueRow,
    PvpRegisterRow,
    RedFlagRow,
    iter_red_flags,
    pvp_queue,
    pvp_register,
    red_flag_export,
    red_flags,
    sees_pvp_queue,
)
from core.services.registers.spoc import (  # noqa: F401
    SpocDecision,
    SpocMeeting,
    SpocReview,
    _get_spoc_entry,
    add_spoc_request,
    end_spoc,
    record_spoc_meeting_and_decide,
    request_spoc,
    review_spoc,
)
from core.services.registers.spoc_lists import (  # noqa: F401
    CaseChoice,
    EvidenceChoice,
    OfficerChoice,
    SpocRegisterRow,
    SpocRequestRow,
    spoc_evidence_choices,
    spoc_officer_choices,
    spoc_register,
    spoc_request_cases,
    spoc_requests,
)
