"""The private-channel rule, and the channel facts it needs, recorded in the database.

A claim whose thread is in a private channel is shown only to members of that channel, and quoted
in another channel only when everyone there is a member of it too. Whether a channel is private, and
who is in a private channel, is recorded (tables `channels` and `channel_members`) the first time the
bot needs it (conversations.info / conversations.members, from a background job or the CLI) and kept
current from Slack's channel events: a channel made private or public, archived, a member joining or
leaving, the bot removed. So exports and listings do not ask Slack on every run, and the checks made
before Slack is acknowledged (`may_see`) read only what is recorded.

When nobody can tell (never recorded, Slack will not say, the bot was removed from a private channel
and no longer hears who joins), a channel counts as private with no members: unknown means hidden.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.infra.job_kinds import SYNC_CHANNEL, ChannelRef
from bot.infra.worker import JobContext
from bot.slack.gateway import SlackGateway
from storage.db import Database
from storage.models import ChannelMember, ChannelRecord, utcnow
from storage.upsert import insert_ignore

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ChannelFacts:
    is_private: bool
    members: frozenset[str] | None  # None: not known (for a private channel, nobody counts as a member)
    is_archived: bool = False


UNKNOWN = ChannelFacts(is_private=True, members=None)

# Message subtypes Slack posts in a channel when its privacy changes (message.channels / message.groups).
CONVERTED = {"channel_convert_to_private": True, "channel_convert_to_public": False}
ARCHIVED = {"channel_archive": True, "group_archive": True, "channel_unarchive": False, "group_unarchive": False}


class ChannelDirectory:
    """Which channels are private and who is in them: recorded facts first, Slack only for a channel
    never recorded (and never on the acknowledgement path: see `may_see`)."""

    def __init__(self, db: Database, gateway: SlackGateway | None) -> None:
        self.db = db
        self._gateway = gateway

    # -- recorded facts (no Slack) ------------------------------------------------------------------

    @staticmethod
    def recorded_in(session: Session, channel: str) -> ChannelFacts | None:
        row = session.get(ChannelRecord, channel)
        if row is None:
            return None
        members = None
        if row.members_known:
            members = frozenset(session.scalars(select(ChannelMember.user_id)
                                                .where(ChannelMember.channel_id == channel)))
        return ChannelFacts(is_private=row.is_private, members=members, is_archived=row.is_archived)

    def recorded(self, channel: str) -> ChannelFacts | None:
        # A read session: on SQLite a write session takes the write lock (BEGIN IMMEDIATE) that every
        # acknowledgement's transaction waits for, and this runs for each channel a listing, a card or
        # a claim message checks (hundreds of times a minute in the worker under load; bench/README.md).
        with self.db.read_session() as session:
            return self.recorded_in(session, channel)

    @staticmethod
    def may_see(session: Session, user: str, channel: str) -> bool | None:
        """Whether `user` may see claims in `channel`, from recorded facts only (None: not recorded yet).

        For the acknowledgement path: it never asks Slack.
        """
        facts = ChannelDirectory.recorded_in(session, channel)
        if facts is None:
            return None
        if not facts.is_private:
            return True
        if facts.members is None:
            return None
        return user in facts.members

    @staticmethod
    def shareable_in(session: Session, audience: str, channel: str) -> bool:
        """Whether claims of `channel` may be shown in channel `audience`, from recorded facts only (the
        rule of `quotable_in`; unknown means no). For re-rendering a claim message inside a transaction."""
        if channel == audience:
            return True
        facts = ChannelDirectory.recorded_in(session, channel)
        if facts is None:
            return False
        if not facts.is_private:
            return True
        readers = ChannelDirectory.recorded_in(session, audience)
        if readers is None or not readers.is_private or not readers.members:
            return False
        return readers.members <= (facts.members or frozenset())

    # -- learning a channel (background and CLI only) -------------------------------------------

    def learn(self, channel: str) -> ChannelFacts | None:
        """Ask Slack about `channel` and record the answer; None (nothing recorded) when Slack will not say."""
        if self._gateway is None:
            return None
        try:
            info = self._gateway.channel_info(channel)
            if not info:
                return None
            private = bool(info.get("is_private"))
            members = self._gateway.channel_members(channel) if private else None
        except Exception as error:  # unreachable, refused token: unknown, and nothing recorded
            log.warning("could not learn channel %s from Slack: %s", channel, type(error).__name__)
            return None
        with self.db.session() as session:
            # Two learners of the same new channel (concurrent requests, two processes) must not both
            # insert it: the row is created if missing, then locked, and the later learner overwrites.
            insert_ignore(session, ChannelRecord.__table__, {  # type: ignore[arg-type]
                "id": channel, "is_private": private, "is_archived": False, "members_known": False,
                "updated_at": utcnow()}, ["id"])
            row = session.get(ChannelRecord, channel, with_for_update=True, populate_existing=True)
            assert row is not None
            row.name = str(info.get("name") or "")[:255] or row.name
            row.is_private = private
            row.is_archived = bool(info.get("is_archived"))
            row.members_known = members is not None
            row.updated_at = utcnow()
            session.execute(delete(ChannelMember).where(ChannelMember.channel_id == channel))
            session.flush()
            for user in sorted(members or ()):
                session.add(ChannelMember(channel_id=channel, user_id=user[:32]))
        return ChannelFacts(is_private=private, members=members, is_archived=bool(info.get("is_archived")))

    def refresh_at_start(self, channels: Iterable[str], stamp: str) -> int:
        """Queue a background sync of each claim channel never recorded, and of each private one (whose
        members may have changed while the bot was not listening); returns how many were queued."""
        with self.db.session() as session:
            known = {row.id: row for row in session.scalars(select(ChannelRecord))}
            queued = 0
            for channel in channels:
                row = known.get(channel)
                if row is None or row.is_private:
                    queued += SYNC_CHANNEL.enqueue(session, ChannelRef(channel), f"channel:{channel}:start:{stamp}")
            return queued

    def sync_job(self, context: JobContext[ChannelRef]) -> None:
        self.learn(context.payload.channel)

    def info(self, channel: str) -> ChannelFacts:
        return self.recorded(channel) or self.learn(channel) or UNKNOWN

    # -- the rule -------------------------------------------------------------------------------

    def is_private(self, channel: str) -> bool:
        return self.info(channel).is_private

    def members(self, channel: str) -> frozenset[str]:
        return self.info(channel).members or frozenset()

    def visible_to(self, user: str, channels: Iterable[str]) -> set[str]:
        """The channels whose claims `user` may see: public ones, and private ones they belong to."""
        return {c for c in channels if not self.is_private(c) or user in self.members(c)}

    def quotable_in(self, audience: str, channels: Iterable[str]) -> set[str]:
        """The channels whose claims may be quoted in channel `audience`.

        Public channels' claims, the audience channel's own, and a private channel's only when the
        audience is itself private and every one of its members belongs to that private channel too
        (anyone can join a public channel, so a private claim is never quoted there).
        """
        audience_private = self.is_private(audience)
        readers = self.members(audience) if audience_private else frozenset()

        def shareable(channel: str) -> bool:
            if channel == audience or not self.is_private(channel):
                return True
            return audience_private and bool(readers) and readers <= self.members(channel)

        return {channel for channel in channels if shareable(channel)}

    def find_by_name(self, name: str) -> str | None:
        return self._gateway.find_channel(name) if self._gateway is not None else None

    # -- Slack's channel events (acknowledgement path: database only) -----------------------------

    def on_event(self, event: dict[str, Any], *, event_id: str | None, bot_user_id: str | None) -> bool:
        """Record what a channel event says; True when a background sync was queued (wake the workers)."""
        kind = event.get("type")
        if kind == "message":
            kind = event.get("subtype")
        channel = event.get("channel")
        if isinstance(channel, dict):  # channel_created, channel_rename: the channel object
            channel = channel.get("id")
        if not isinstance(channel, str) or not channel or len(channel) > 32:
            return False
        user = event.get("user") if isinstance(event.get("user"), str) else None
        stamp = event_id or utcnow().isoformat()
        with self.db.session() as session:
            row = session.get(ChannelRecord, channel)
            if kind in CONVERTED:
                if row is None:
                    row = ChannelRecord(id=channel, is_archived=False)
                    session.add(row)
                row.is_private = CONVERTED[kind]
                row.members_known = False  # who is in it is read again, in the background
                row.updated_at = utcnow()
                session.execute(delete(ChannelMember).where(ChannelMember.channel_id == channel))
                return bool(SYNC_CHANNEL.enqueue(session, ChannelRef(channel), f"channel:{channel}:{stamp}"))
            if kind in ARCHIVED:
                if row is not None:
                    row.is_archived, row.updated_at = ARCHIVED[kind], utcnow()
                return False
            if kind == "channel_created":
                insert_ignore(session, ChannelRecord.__table__,  # type: ignore[arg-type]
                              {"id": channel, "name": str((event.get("channel") or {}).get("name") or "")[:255],
                               "is_private": False, "is_archived": False, "members_known": False,
                               "updated_at": utcnow()}, ["id"])
                return False
            if kind in ("channel_deleted", "group_deleted"):
                if row is not None:
                    row.is_archived, row.updated_at = True, utcnow()
                return False
            if kind in ("channel_left", "group_left"):
                # The bot was removed: it no longer hears who joins or leaves, so members become unknown.
                if row is not None:
                    row.members_known, row.updated_at = False, utcnow()
                    session.execute(delete(ChannelMember).where(ChannelMember.channel_id == channel))
                return False
            if kind in ("channel_shared", "channel_unshared"):
                return bool(SYNC_CHANNEL.enqueue(session, ChannelRef(channel), f"channel:{channel}:{stamp}"))
            if kind == "member_joined_channel" and user:
                if user == bot_user_id and (row is None or not row.members_known):
                    return bool(SYNC_CHANNEL.enqueue(session, ChannelRef(channel), f"channel:{channel}:{stamp}"))
                if row is not None and row.members_known and len(user) <= 32:
                    insert_ignore(session, ChannelMember.__table__,  # type: ignore[arg-type]
                                  {"channel_id": channel, "user_id": user}, ["channel_id", "user_id"])
                return False
            if kind == "member_left_channel" and user:
                session.execute(delete(ChannelMember).where(ChannelMember.channel_id == channel,
                                                            ChannelMember.user_id == user))
                if user == bot_user_id and row is not None:
                    row.members_known = False
                return False
        return False


CHANNEL_EVENTS = ("member_joined_channel", "member_left_channel", "channel_archive", "channel_unarchive",
                  "group_archive", "group_unarchive", "channel_created", "channel_deleted", "group_deleted",
                  "channel_left", "group_left", "channel_shared", "channel_unshared")
