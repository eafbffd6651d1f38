"""Inbound messages from handsets: the one path real and simulated inbound traffic take."""

from __future__ import annotations

import secrets
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput, UnknownResource
from ..optout import InboundOutcome, OptOutEngine
from ..optout.engine import CustomKeywords
from ..optout.engine import Inbound as EngineInbound
from ..optout.keywords import OptOutType
from . import events
from .messages import Messages
from .models import Account, AutoReply, Direction, Message, MessagingService, Sender, Status
from .numbers import Numbers
from .phone import SenderType, is_e164, sender_type
from .state import State, evict_over_caps
from .unit_of_work import Transaction, UnitOfWork

CHANNELS = ("sms", "rcs")


@dataclass
class Received:
    """What an inbound message did (snapshots: they do not change afterwards)."""

    message: Message
    sender: Sender
    service: MessagingService | None
    outcome: InboundOutcome
    auto_replies: list[AutoReply] = field(default_factory=list)


class Inbound:
    def __init__(
        self, state: State, uow: UnitOfWork, clock: Any, optouts: OptOutEngine, numbers: Numbers, messages: Messages
    ) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.optouts = optouts
        self.numbers = numbers
        self.messages = messages

    def receive(
        self, from_: str, to: str, body: str = "", channel: str = "sms", media_urls: tuple[str, ...] = ()
    ) -> Received:
        if not from_ or not is_e164(from_):
            hint = " (a + sent unencoded in a URL or form arrives as a space: encode it as %2B)"
            hint = hint if from_[:1] == " " else ""
            raise InvalidInput(f"From must be the handset's E.164 number, got {from_!r}{hint}")
        if not to:
            raise InvalidInput("To is required: a number or short code some account owns")
        if channel not in CHANNELS:
            raise InvalidInput(f"Channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
        if sender_type(to) is SenderType.ALPHANUMERIC:
            raise InvalidInput(f"{to} is an alphanumeric sender ID: it cannot receive messages")
        with self.uow.transaction() as tx:
            sender = self.numbers.owner_of(to)
            if sender is None:
                hint = " (encode + as %2B)" if to[:1] == " " else ""
                raise UnknownResource(f"no account owns {to}{hint}")
            account = self.state.accounts[sender.account_sid]
            service = account.services.get(sender.service_sid) if sender.service_sid else None
            message = self.messages.record(
                account,
                to=to,
                from_=from_,
                body=body,
                direction=Direction.INBOUND,
                status=Status.RECEIVED,
                service_sid=service.sid if service else None,
                media_urls=media_urls,
                channel=channel,
            )
            outcome = self._opt_out(account, sender, service, message)
            received = Received(copy(message), copy(sender), copy(service) if service else None, outcome)
            if outcome.reply is not None:
                received.auto_replies.append(self._auto_reply(tx, account, sender, service, from_, outcome))
            tx.emit(events.INBOUND_RECEIVED, account=account, received=received)
            return received

    def _opt_out(
        self, account: Account, sender: Sender, service: MessagingService | None, message: Message
    ) -> InboundOutcome:
        if not account.settings.stop_filtering:
            return InboundOutcome(None, None)
        aoo = service.advanced_opt_out if service is not None else None
        custom = None
        if aoo is not None and aoo.enabled:
            custom = CustomKeywords(
                opt_out=aoo.opt_out_keywords,
                opt_in=aoo.opt_in_keywords,
                help=aoo.help_keywords,
                removed=aoo.removed_keywords,
                replies={
                    OptOutType.STOP: aoo.opt_out_reply,
                    OptOutType.START: aoo.opt_in_reply,
                    OptOutType.HELP: aoo.help_reply,
                },
            )
        return self.optouts.receive(
            EngineInbound(
                account_sid=account.sid,
                sender=sender.address,
                sender_type=sender.type,
                recipient=message.from_ or "",
                body=message.body,
                service_sid=service.sid if service else None,
                advanced_opt_out=custom,
                lenient_punctuation=account.settings.lenient_punctuation,
                message_sid=message.sid,
            ),
            self.clock.now(),
        )

    def _auto_reply(
        self,
        tx: Transaction,
        account: Account,
        sender: Sender,
        service: MessagingService | None,
        handset: str,
        outcome: InboundOutcome,
    ) -> AutoReply:
        logged = None
        if account.settings.auto_replies_in_message_log:
            logged = self.messages.record(
                account,
                to=handset,
                from_=sender.address,
                body=outcome.reply or "",
                direction=Direction.OUTBOUND_REPLY,
                status=Status.DELIVERED,
                service_sid=service.sid if service else None,
            )
        reply = AutoReply(
            id=secrets.token_hex(16),
            account_sid=account.sid,
            from_=sender.address,
            to=handset,
            body=outcome.reply or "",
            opt_out_type=outcome.opt_out_type.value if outcome.opt_out_type else "",
            date_created=self.clock.now(),
            seq=self.state.next_seq(),
            message_sid=logged.sid if logged is not None else None,
            messaging_service_sid=service.sid if service else None,
        )
        tx.add(reply)
        evict_over_caps(tx, self.state)
        return reply
