"""Issue 16 item 3: evidence files checked by content, checksummed, logged when downloaded,
in the subject access pack and gone after erasure; never shown to a contractor."""

import datetime as dt
import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.errors import PermissionDenied, PolicyError
from core.models import AccessLog, Attachment, Incident
from core.services import attachments
from core.services import dataprotection as dp
from tests.scenarios import a_customer, an_incident
from tests.services.dp_scenarios import a_request


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def incident(db_url, actors):
    customer_id = a_customer(db_url, actors["teamleader"])
    return customer_id, an_incident(db_url, actors["teamleader"], customer_id)


def test_a_photo_is_attached_with_its_checksum_and_downloads_are_logged(db_url, uow, actors, incident):
    customer_id, incident_id = incident
    content = png_bytes()
    attachment_id = attachments.attach_file(
        actors["teamleader"], "incident", incident_id, "doorway.png", content, uow()
    )
    [row] = attachments.list_attachments(actors["teamleader"], customer_id, uow())
    assert (row.id, row.media_type, row.size_bytes, row.inline) == (
        attachment_id,
        "image/png",
        len(content),
        True,
    )
    got = attachments.download_attachment(actors["hsw"], attachment_id, uow())
    assert got.content == content and got.inline
    with UnitOfWork(db_url) as w:
        logged = w.session.scalars(
            select(AccessLog).where(AccessLog.what == f"attachment {attachment_id}")
        ).all()
        assert [a.customer_id for a in logged] == [customer_id]


def test_a_file_whose_extension_lies_about_its_content_is_refused(db_url, uow, actors, incident):
    _, incident_id = incident
    with pytest.raises(PolicyError, match="not a .pdf file"):
        attachments.attach_file(
            actors["teamleader"], "incident", incident_id, "statement.pdf", png_bytes(), uow()
        )
    with pytest.raises(PolicyError, match="cannot be attached"):
        attachments.attach_file(
            actors["teamleader"], "incident", incident_id, "run.exe", b"MZ\x90\x00", uow()
        )
    with UnitOfWork(db_url) as w:
        assert w.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_the_size_limit_is_configurable(db_url, uow, actors, incident, monkeypatch):
    _, incident_id = incident
    monkeypatch.setenv("FT_ATTACHMENT_MAX_MB", "1")
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(PolicyError, match="the limit is 1 MB"):
        attachments.attach_file(actors["teamleader"], "incident", incident_id, "big.pdf", big, uow())
    assert attachments.attach_file(actors["teamleader"], "incident", incident_id, "small.pdf", PDF, uow())


def test_an_email_is_accepted_as_eml(db_url, uow, actors, incident):
    _, incident_id = incident
    eml = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Repairs\r\nDate: Fri, 20 Nov 2026\r\n\r\nHello\r\n"
    attachment_id = attachments.attach_file(
        actors["teamleader"], "incident", incident_id, "mail.eml", eml, uow()
    )
    assert attachments.download_attachment(actors["teamleader"], attachment_id, uow()).inline is False


def test_a_contractor_never_sees_attachments(db_url, uow, actors, incident):
    customer_id, incident_id = incident
    attachment_id = attachments.attach_file(
        actors["teamleader"], "incident", incident_id, "a.pdf", PDF, uow()
    )
    viewer = next(a for a in actors.values() if a.role.value == "viewer")
    with pytest.raises(PermissionDenied):
        attachments.download_attachment(viewer, attachment_id, uow())
    with pytest.raises(PermissionDenied):
        attachments.list_attachments(viewer, customer_id, uow())


def test_an_attachment_is_in_the_sar_pack_and_gone_after_erasure(db_url, uow, actors, incident):
    customer_id, incident_id = incident
    attachment_id = attachments.attach_file(
        actors["teamleader"], "incident", incident_id, "letter.pdf", PDF, uow()
    )
    pack = zipfile.ZipFile(io.BytesIO(dp.build_sar_pack(actors["dmo"], uow(), customer_id=customer_id)))
    assert pack.read(f"attachments/{attachment_id}-letter.pdf") == PDF
    with UnitOfWork(db_url) as w:  # an incident's case with no restriction can be erased
        assert w.session.get(Incident, incident_id) is not None
    request = a_request(db_url, customer_id, "erasure")
    dp.erase_customer(actors["dmo"], request, uow(), reason="Granted")
    with UnitOfWork(db_url) as w:
        assert w.session.get(Attachment, attachment_id) is None


def test_a_file_in_a_configured_folder_is_stored_there(db_url, uow, actors, incident, monkeypatch, tmp_path):
    _, incident_id = incident
    monkeypatch.setenv("FT_ATTACHMENT_DIR", str(tmp_path / "files"))
    attachment_id = attachments.attach_file(
        actors["teamleader"], "incident", incident_id, "a.pdf", PDF, uow()
    )
    with UnitOfWork(db_url) as w:
        row = w.session.get(Attachment, attachment_id)
        assert row.content is None and row.stored_path.endswith(".bin")
    assert attachments.download_attachment(actors["teamleader"], attachment_id, uow()).content == PDF
    dp.erase_customer(actors["dmo"], a_request(db_url, incident[0], "erasure"), uow(), reason="Granted")
    assert list((tmp_path / "files").iterdir()) == []  # the folder copy goes with the row


def test_a_logged_call_and_an_attached_file_are_on_the_timeline(db_url, uow, actors, incident):
    """Issue 16: contacts and attachments are evidence on the case timeline (content never shown)."""
    from core.services import contacts, timeline

    tl = actors["teamleader"]
    customer_id, incident_id = incident
    when = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    new = contacts.NewContact(
        customer_id=customer_id,
        occurred_at=when,
        channel="phone",
        direction="in",
        summary="The customer asked about the repair date.",
        duration_minutes=4,
    )
    contacts.log_contact(tl, new, uow(), now=when + dt.timedelta(hours=1))
    attachments.attach_file(tl, "incident", incident_id, "doorway.png", png_bytes(), uow())
    page = timeline.get_timeline(tl, customer_id, uow(), today=dt.date(2026, 11, 21))
    kinds = {e.kind: e for e in page.events}
    assert "repair date" in kinds["contact"].details and "4 min" in kinds["contact"].title
    assert kinds["attachment"].title == "Attachment: doorway.png"
    assert page.counts["contact"] == 1 and page.counts["attachment"] == 1
