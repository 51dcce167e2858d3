"""Build the letter templates (templates/*.docx) with python-docx.

Run once: `.venv/bin/python templates/build_templates.py`. The generated .docx files are
committed; after that a manager edits the wording, fonts and letterhead in Word or
LibreOffice directly and does not need this script again (running it would overwrite
their edits). The `{{ ... }}` fields and `{%p ... %}` lines are docxtpl (Jinja) tags: keep
them as they are when editing. The fields each letter may use are listed in
core/letters/facts.py (CONTEXT_KEYS); a field the letter's facts do not provide fails in the
tests, never in front of a user.

Wording follows the policy's Appendix A (informal stage) and Appendix B (warning stage,
with the Fair Treatment Statement quoted verbatim), clause 4.1 (formal-stage actions,
third-party contact) and clause 4.2 (appeals within 28 days to the responsible officer,
decided within 5 working days; reviews; staff told of arrangements but not the reasons).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Arial"
BRAND = RGBColor(0x00, 0x5E, 0x6E)
ORGANISATION = "Northampton Partnership Homes"

# Appendix B of the policy, word for word (two spaces between the last two sentences as printed).
FAIR_TREATMENT_STATEMENT = (
    "Northampton Partnership Homes believes everyone should be treated fairly.",
    "We will not tolerate racist, sexist or other offensive comments, abuse or threatening behaviour.",
    "If you are the victim of such comments or behaviour while at work you have the right to "
    "challenge it and ask the person(s) to stop.",
    "If the behaviour persists you may withdraw the service you are providing.  If it takes place "
    "on council premises you have the right to ask the person(s) responsible to leave.",
)


class Letter:
    """A small writer over python-docx so each template below reads like the letter."""

    def __init__(self, title: str, *, customer: bool = True) -> None:
        self.doc = Document()
        self.customer = customer
        self._styles()
        self._page()
        self.doc.core_properties.title = title
        self.doc.core_properties.author = ORGANISATION
        self.doc.core_properties.comments = (
            "Fair Treatment letter template. Edit the wording freely; keep the fields in double "
            "curly brackets and the lines starting with a curly bracket and percent sign intact."
        )

    def _styles(self) -> None:
        styles = self.doc.styles
        for name in ("Normal", "List Bullet", "Header", "Footer", "Title", "Heading 2"):
            style = styles[name]
            style.font.name = FONT
            rpr = style.element.get_or_add_rPr()
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = rpr.makeelement(qn("w:rFonts"), {})
                rpr.append(rfonts)
            for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
                rfonts.set(qn(attr), FONT)
        styles["Normal"].font.size = Pt(11)
        styles["Normal"].paragraph_format.space_after = Pt(6)
        heading = styles["Heading 2"]
        heading.font.size = Pt(12)
        heading.font.bold = True
        heading.font.color.rgb = BRAND
        heading.paragraph_format.space_before = Pt(10)
        heading.paragraph_format.space_after = Pt(4)

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
        section.left_margin = section.right_margin = Cm(2.3)
        header = section.header.paragraphs[0]
        run = header.add_run(ORGANISATION)
        run.bold = True
        run.font.size = Pt(18)
        run.font.color.rgb = BRAND
        tagline = section.header.add_paragraph()
        small = tagline.add_run("Unacceptable Behaviour Policy")
        small.font.size = Pt(9)
        small.font.color.rgb = BRAND
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        note = footer.add_run(
            f"{ORGANISATION} · Private and confidential"
            if self.customer
            else f"{ORGANISATION} · Internal: staff and contractors only"
        )
        note.font.size = Pt(8)

    # --- building blocks -------------------------------------------------------------------
    def p(
        self,
        text: str = "",
        *,
        bold: bool = False,
        italic: bool = False,
        style: str | None = None,
        align=None,
        indent_cm: float = 0.0,
        after: float | None = None,
    ):
        para = self.doc.add_paragraph(style=style)
        if text:
            run = para.add_run(text)
            run.bold, run.italic = bold, italic
        if align is not None:
            para.alignment = align
        if indent_cm:
            para.paragraph_format.left_indent = Cm(indent_cm)
        if after is not None:
            para.paragraph_format.space_after = Pt(after)
        return para

    def tag(self, text: str):
        """A line holding only a docxtpl paragraph tag ({%p for/if/endfor/endif %})."""
        return self.p(text, after=0)

    def labelled(self, label: str, value: str):
        para = self.doc.add_paragraph()
        para.add_run(label).bold = True
        para.add_run(value)
        return para

    def heading(self, text: str):
        return self.doc.add_paragraph(text, style="Heading 2")

    def bullets(self, loop: str, item: str):
        self.tag("{%p for " + loop + " %}")
        self.p(item, style="List Bullet")
        self.tag("{%p endfor %}")

    def free_text(self):
        """The user's own paragraphs: plain values, never template source."""
        self.tag("{%p for para in paragraphs %}")
        self.p("{{ para }}")
        self.tag("{%p endfor %}")

    def top(self, heading: str):
        """Officer's contact details (Appendix A: 'my contact details are at the top'), date,
        reference, the customer's name and address, salutation and the letter's heading."""
        right = WD_ALIGN_PARAGRAPH.RIGHT
        self.p("{{ officer.name }}", bold=True, align=right, after=0)
        self.p("{{ officer.job_title }}, {{ officer.service_area }}", align=right, after=0)
        self.p("{{ officer.contact }}", align=right, after=0)
        self.p("Date: {{ letter_date }}", align=right, after=0)
        self.p("Our reference: {{ reference }}", align=right, after=12)
        if self.customer:
            self.p("{{ customer.name }}", after=0)
            self.tag("{%p for line in customer.address_lines %}")
            self.p("{{ line }}", after=0)
            self.tag("{%p endfor %}")
            self.p("", after=6)
            self.p("Dear {{ customer.salutation }},")
        p = self.p(heading, bold=True)
        p.runs[0].font.size = Pt(12)

    def appeal(self, lead: str = "You can appeal against any decision in this letter."):
        self.heading("Your right to appeal")
        self.p(
            lead + " To appeal, contact {{ appeal_route.officer_name }}, the officer responsible "
            "({{ appeal_route.officer_contact }}), by {{ appeal_route.by }}, saying which decision "
            "you disagree with and why. You can write, email or ask someone to appeal for you. "
            "Your appeal will be considered by {{ appeal_route.decided_by }}, who will decide it "
            "within 5 working days of receiving it."
        )

    def ombudsman(self):
        self.heading("The Housing Ombudsman")
        self.p(
            "If you remain unhappy once our process, including any appeal, has been completed, "
            "you have the right to ask the Housing Ombudsman Service to look at the matter: "
            "www.housing-ombudsman.org.uk, telephone 0300 111 3000, "
            "email info@housing-ombudsman.org.uk."
        )

    def sign_off(self):
        self.p("Yours sincerely,", after=30)
        self.p("{{ officer.name }}", bold=True, after=0)
        self.p("{{ officer.job_title }}, {{ officer.service_area }}", after=0)
        self.p(ORGANISATION)

    def save(self, name: str) -> Path:
        path = HERE / f"{name}.docx"
        self.doc.save(path)
        return path


# --- the letters --------------------------------------------------------------------------
def informal_summary() -> Letter:
    """Appendix A: the informal stage, confirming a conversation in writing."""
    t = Letter("Fair Treatment Letter: informal stage")
    t.top("Fair Treatment Letter – informal stage – summary of our conversation")
    t.p(
        "I am writing to confirm the content of our discussion on {{ conversation_date }} about "
        "the following:"
    )
    t.bullets("i in incidents", "On {{ i.date }} ({{ i.channel }}): {{ i.behaviours }}. {{ i.description }}")
    t.p(
        "As discussed, this behaviour is unacceptable, and we do not expect customers to treat our "
        "staff in this way. This has been logged and your records with Northampton Partnership "
        "Homes will be noted accordingly."
    )
    t.free_text()
    t.p(
        "If you would find it helpful, you can ask us to contact you through a third party, such "
        "as a family member or friend. If that person behaves in a way that we consider "
        "unacceptable under our policy, we will stop that arrangement and deal directly with you."
    )
    t.p(
        "I hope that you now have a better understanding of our expectations about your behaviour "
        "toward our staff. I trust that this will be the last incident of this type. If it is not, "
        "we will send you a Fair Treatment Letter under the warning stage of our Unacceptable "
        "Behaviour Policy."
    )
    t.p(
        "If you have any questions, please do not hesitate to contact me. My contact details are "
        "at the top of this letter."
    )
    t.appeal()
    t.ombudsman()
    t.sign_off()
    return t


def warning() -> Letter:
    """Appendix B: the warning-stage Fair Treatment Letter with the Fair Treatment Statement."""
    t = Letter("Fair Treatment Letter: warning stage")
    t.top("Fair Treatment Letter – warning stage")
    t.p("I am writing to you regarding the following, which was reported to me:")
    t.bullets("i in incidents", "On {{ i.date }} ({{ i.channel }}): {{ i.behaviours }}. {{ i.description }}")
    t.free_text()
    t.p("Our Fair Treatment Statement sets out that:")
    for line in FAIR_TREATMENT_STATEMENT:
        t.p(line, italic=True, indent_cm=1.0)
    t.tag("{%p if previous_incidents %}")
    t.p(
        "This is not the first time, and we have been in touch with you to discuss a previous "
        "incident on {{ previous_incident_dates }}."
    )
    t.tag("{%p endif %}")
    t.p(
        "I am writing to warn you that should any other incidents of unacceptable behaviour occur, "
        "we will move to the formal stage of our policy which could include providing a Single "
        "Point of Contact, limiting your contact with us, or any other actions we deem to be "
        "appropriate and proportionate."
    )
    t.labelled(
        "Review date: ",
        "{{ review_date }}. We will review this warning then. If there are "
        "no further incidents of unacceptable behaviour by that date, there will be no "
        "further action.",
    )
    t.p("If you have any questions about the contents of this letter, please feel free to contact me.")
    t.appeal("You can appeal against this warning.")
    t.ombudsman()
    t.sign_off()
    return t


def formal() -> Letter:
    """Formal stage (clause 4.1): each restriction with its terms and review date."""
    t = Letter("Unacceptable Behaviour Policy: formal stage")
    t.top("Unacceptable Behaviour Policy – formal stage: how we will manage contact with you")
    t.tag("{%p if warning_date %}")
    t.p(
        "I wrote to you on {{ warning_date }} to warn you that further incidents of unacceptable "
        "behaviour would lead to the formal stage of our policy."
    )
    t.tag("{%p endif %}")
    t.p("I am writing about the following, which was reported to me:")
    t.bullets("i in incidents", "On {{ i.date }} ({{ i.channel }}): {{ i.behaviours }}. {{ i.description }}")
    t.free_text()
    t.p(
        "We have therefore decided on {{ decision_date }} to take the following action. Each action "
        "is temporary and will be reviewed by the date shown, with the aim of returning to normal "
        "ways of working:"
    )
    t.tag("{%p for r in restrictions %}")
    t.p("{{ r.kind }}", bold=True, style="List Bullet", after=0)
    t.p("Terms: {{ r.terms }}", indent_cm=1.27, after=0)
    t.p("From {{ r.starts_on }}; review date {{ r.review_due }}.", indent_cm=1.27)
    t.tag("{%p endfor %}")
    t.p(
        "If there are further incidents we may take further action. In extreme cases, such as "
        "physical violence, threats or harassment, this could include referring the matter to the "
        "police and taking legal action."
    )
    t.appeal("You can appeal against any of these actions.")
    t.ombudsman()
    t.sign_off()
    return t


def appeal_ack() -> Letter:
    t = Letter("Appeal acknowledgement")
    t.top("Your appeal – acknowledgement")
    t.p(
        "Thank you for your appeal, which we received on {{ appeal.received_on }}, against "
        "{{ appeal.decision }} made on {{ appeal.decision_date }}."
    )
    t.p("The period for appealing against that decision ended on {{ appeal.window_ended }}.")
    t.tag("{%p if appeal.late %}")
    t.p("Your appeal reached us after that date. {{ appeal.late_note }}")
    t.tag("{%p endif %}")
    t.p(
        "Your appeal will be considered by {{ appeal.decision_maker }}. We will write to you with "
        "the decision by {{ appeal.decision_due }}, within 5 working days of receiving your appeal."
    )
    t.free_text()
    t.p(
        "If you want to add anything to your appeal, please contact {{ appeal_route.officer_name }} "
        "({{ appeal_route.officer_contact }}) as soon as possible."
    )
    t.heading("Appealing other decisions")
    t.p(
        "You can appeal against any other decision we make under our Unacceptable Behaviour Policy "
        "by contacting the officer responsible within 28 days of it; for a decision we tell you "
        "about today that would be by {{ appeal_route.by }}. Appeals are considered by "
        "{{ appeal_route.decided_by }}."
    )
    t.ombudsman()
    t.sign_off()
    return t


def appeal_outcome() -> Letter:
    t = Letter("Appeal outcome")
    t.top("The outcome of your appeal")
    t.p(
        "Your appeal, received on {{ appeal.received_on }}, against {{ appeal.decision }} made on "
        "{{ appeal.decision_date }} has been considered by {{ appeal.decision_maker }}."
    )
    t.labelled("Decision: ", "on {{ appeal.decided_on }} your appeal was decided: {{ appeal.outcome }}.")
    t.free_text()
    t.p("This completes our appeal process for that decision.")
    t.appeal("If this letter sets out a new or varied decision, you can appeal against it.")
    t.ombudsman()
    t.sign_off()
    return t


def review_outcome() -> Letter:
    t = Letter("Review outcome")
    t.top("Review of {{ review.subject }}")
    t.p(
        "We reviewed {{ review.subject }} on {{ review.held_on }}, as we said we would. Our aim is "
        "to return to normal ways of working once the behaviour is no longer an issue."
    )
    t.tag("{%p if review.outcome_code == 'lift' %}")
    t.p(
        "Outcome: lifted. The arrangement ended on {{ review.held_on }} and we will deal with you "
        "in the normal way. Thank you.",
        bold=False,
    )
    t.tag("{%p endif %}")
    t.tag("{%p if review.outcome_code == 'vary' %}")
    t.p(
        "Outcome: varied. The arrangement continues with the changes set out below and will be "
        "reviewed again by {{ review.next_review_due }}."
    )
    t.tag("{%p endif %}")
    t.tag("{%p if review.outcome_code == 'continue' %}")
    t.p(
        "Outcome: continued. The arrangement stays in place unchanged and will be reviewed again "
        "by {{ review.next_review_due }}."
    )
    t.tag("{%p endif %}")
    t.tag("{%p if review.outcome_code == 'no_further_action' %}")
    t.p(
        "Outcome: no further action. There have been no further incidents, so we will take no further action."
    )
    t.tag("{%p endif %}")
    t.free_text()
    t.appeal("You can appeal against the outcome of this review.")
    t.ombudsman()
    t.sign_off()
    return t


def third_party() -> Letter:
    t = Letter("Third-party contact arrangement")
    t.top("Contact through a third party")
    t.p(
        "As you asked, from {{ contact.started_on }} we will contact you through {{ contact.name }} "
        "({{ contact.relationship }})."
    )
    t.p(
        "If {{ contact.name }} behaves in a way that we consider unacceptable under our "
        "Unacceptable Behaviour Policy, we will stop this arrangement and deal directly with you. "
        "You can ask us to end the arrangement at any time."
    )
    t.free_text()
    t.appeal()
    t.ombudsman()
    t.sign_off()
    return t


def pvp_notice() -> Letter:
    t = Letter("Potentially Violent Person marker: notice")
    t.top("A Potentially Violent Person marker on our records")
    t.p(
        "I am writing to tell you that from {{ pvp.starts_on }} a Potentially Violent Person (PVP) "
        "marker has been placed against your name on our records, under our Potentially Violent "
        "Person Framework."
    )
    t.labelled("Why: ", "{{ pvp.reasons }}")
    t.labelled("What this means: ", "{{ pvp.arrangements }}")
    t.labelled(
        "Review date: ",
        "{{ pvp.review_due }}. We will review the marker by then and remove "
        "it once we have evidence that it is no longer needed.",
    )
    t.free_text()
    t.heading("How to challenge the marker")
    t.p(
        "If you think the marker should not have been placed, or that it is based on inaccurate "
        "information, you can challenge it. Contact {{ appeal_route.officer_name }} "
        "({{ appeal_route.officer_contact }}) by {{ appeal_route.by }}, saying why. Your challenge "
        "will be considered by {{ appeal_route.decided_by }} within 5 working days of receiving it. "
        "You can also ask our Data Management Officer to correct or remove inaccurate information "
        "(HousingInformationRequests.NPH@nph.org.uk)."
    )
    t.ombudsman()
    t.sign_off()
    return t


def spoc() -> Letter:
    """Clause 5: a SPOC approved at the review meeting and on the central register (issue 13)."""
    t = Letter("Single point of contact arrangement")
    t.top("Your single point of contact")
    t.p(
        "Following a SPOC review meeting, we have decided that from {{ spoc.starts_on }} your contact "
        "with us will go through a single point of contact (SPOC), under our Unacceptable Behaviour "
        "Policy and our Single Point of Contact Protocol."
    )
    t.labelled("Your single point of contact: ", "{{ spoc.officer_name }}, {{ spoc.officer_contact }}")
    t.labelled("How to contact them: ", "{{ spoc.channels }}")
    t.labelled("When: ", "{{ spoc.contact_times }}")
    t.labelled("Limits: ", "{{ spoc.contact_limit }}")
    t.tag("{%p if spoc.terms %}")
    t.labelled("Other terms: ", "{{ spoc.terms }}")
    t.tag("{%p endif %}")
    t.labelled("Starts: ", "{{ spoc.starts_on }}")
    t.labelled(
        "Review date: ",
        "{{ spoc.review_due }}. We will review this arrangement by then, with "
        "the aim of returning to normal ways of working once the behaviour is no longer an issue.",
    )
    t.p(
        "Please do not contact other members of staff about your enquiries while this arrangement is "
        "in place: they will pass your contact to {{ spoc.officer_name }}. Emergency repairs can still "
        "be reported in the usual way."
    )
    t.free_text()
    t.appeal(
        "You can appeal against our decision to provide a single point of contact. Appeals about "
        "a single point of contact are considered by the Assistant Director for Corporate "
        "Service and ICT."
    )
    t.ombudsman()
    t.sign_off()
    return t


def closure() -> Letter:
    """Clause 2.2: actions are temporary; closing the case restores normal ways of working."""
    t = Letter("Case closed: normal arrangements restored")
    t.top("Normal arrangements restored")
    t.p(
        "I am writing to let you know that on {{ closure.closed_on }} we closed the case we opened "
        "under our Unacceptable Behaviour Policy. Any actions we took under the policy were always "
        "intended to be temporary."
    )
    t.tag("{%p if closure.remaining %}")
    t.p(
        "Our normal ways of working with you are restored, except for the following arrangements, "
        "which continue until they are reviewed:"
    )
    t.bullets("a in closure.remaining", "{{ a }}")
    t.tag("{%p else %}")
    t.p(
        "From {{ closure.closed_on }} we will deal with you in the normal way: any restrictions on how "
        "you contact us have ended. Thank you."
    )
    t.tag("{%p endif %}")
    t.free_text()
    t.appeal("If you disagree with anything in this letter, you can ask us to look at it again.")
    t.ombudsman()
    t.sign_off()
    return t


def staff_notice() -> Letter:
    """Clause 4.2: staff and contractors need to know the arrangements, not the reasons."""
    t = Letter("Notice of arrangement: staff and contractors", customer=False)
    t.top("Notice to staff and contractors: contact arrangements")
    t.labelled("Customer: ", "{{ customer.name }} (reference {{ customer.housing_ref }})")
    t.labelled("Address: ", "{{ customer.address }}")
    t.p("From {{ letter_date }}, the following arrangements apply when you deal with this customer:")
    t.bullets("a in arrangements", "{{ a }}")
    t.free_text()
    t.p(
        "Follow these arrangements until you are told they have changed. You are told about them "
        "only because you need to know them to do your work: do not share this notice, and do not "
        "discuss it with the customer or anyone else. If you have questions, contact "
        "{{ officer.name }} ({{ officer.contact }})."
    )
    t.p("{{ officer.name }}", bold=True, after=0)
    t.p("{{ officer.job_title }}, {{ officer.service_area }}")
    return t


BUILDERS = {
    "informal_summary": informal_summary,
    "warning": warning,
    "formal": formal,
    "appeal_ack": appeal_ack,
    "appeal_outcome": appeal_outcome,
    "review_outcome": review_outcome,
    "third_party": third_party,
    "pvp_notice": pvp_notice,
    "staff_notice": staff_notice,
    "spoc": spoc,
    "closure": closure,
}


def build(names: list[str] | None = None) -> list[Path]:
    return [BUILDERS[name]().save(name) for name in (names or BUILDERS)]


if __name__ == "__main__":
    for path in build(sys.argv[1:] or None):
        print(f"wrote {path.relative_to(HERE.parent)}")
