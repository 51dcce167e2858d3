"""Service areas, users (staff accounts) and customers with their vulnerabilities and third-party contacts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import Channel, Role, Vulnerability
from core.models.base import Base, enum_type, utcnow


class ServiceArea(Base):
    __tablename__ = "service_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_corporate_ict: Mapped[bool] = mapped_column(default=False)
    assistant_director_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", use_alter=True, name="fk_service_area_ad")
    )


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    service_area_id: Mapped[int | None] = mapped_column(ForeignKey("service_area.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Bumped on disable, password reset and sign-out: every session and cookie issued with an
    # older number is signed out on its next action (migration 0006).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # A one-time password (db.setup --admin) must be changed at the first sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    service_area: Mapped[ServiceArea | None] = relationship(foreign_keys=[service_area_id])


class LoginAttempt(Base):
    """Every login attempt, for lock-out after repeated failures."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_search", "search_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    housing_ref: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(20), default="")
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(12), default="", index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    preferred_contact: Mapped[Channel] = mapped_column(enum_type(Channel), default=Channel.PHONE)
    service_area_id: Mapped[int | None] = mapped_column(ForeignKey("service_area.id"))
    search_text: Mapped[str] = mapped_column(String(600), default="")
    legal_hold: Mapped[bool] = mapped_column(default=False)
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="")
    anonymised_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    amended_at: Mapped[dt.datetime | None]
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(server_default="1")  # optimistic locking (migration 0005)

    vulnerabilities: Mapped[list[CustomerVulnerability]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    third_party_contacts: Mapped[list[ThirdPartyContact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    service_area: Mapped[ServiceArea | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)

    @property
    def address(self) -> str:
        parts = (self.address_line1, self.address_line2, self.town, self.postcode)
        return ", ".join(p for p in parts if p)


class CustomerVulnerability(Base):
    """A recorded underlying issue (clause 2.3): disability, mental health, learning difficulties, ..."""

    __tablename__ = "customer_vulnerability"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[Vulnerability] = mapped_column(enum_type(Vulnerability))
    details: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    customer: Mapped[Customer] = relationship(back_populates="vulnerabilities")


class ThirdPartyContact(Base):
    """Contact via a family member or friend (clause 4.1); stopped if that person behaves unacceptably."""

    __tablename__ = "third_party_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship_to_customer: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    started_on: Mapped[dt.date] = mapped_column(default=dt.date.today)
    stopped_on: Mapped[dt.date | None]
    stopped_reason: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship(back_populates="third_party_contacts")
