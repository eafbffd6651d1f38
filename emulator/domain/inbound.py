"""Inbound messages from handsets: the one path real and simulated inbound traffic take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..optout import InboundOutcome
from ..optout.engine import CustomKeywords, Inbound as EngineInbound
from ..optout.keywords import OptOutType
from .models import Account, AutoReply, Direction, Message, MessagingService, Sender, Status
from .phone import SenderType, is_e164, sender_type

if TYPE_CHECKING:
    from .emulator import Emulator

CHANNELS = ("sms", "rcs")


class InboundRejected(ValueError):
    """The inbound message cannot be delivered (bad input); `status` is the control API's HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Received:
    message: Message
    sender: Sender
    service: MessagingService | None
    outcome: InboundOutcome
    auto_replies: list[AutoReply] = field(default_factory=list)


class Inbound:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def receive(
        self, from_: str, to: str, body: str = "", channel: str = "sms", media_urls: tuple[str, ...] = ()
    ) -> Received:
        if not from_ or not is_e164(from_):
            raise InboundRejected(f"From must be the handset's E.164 number, got {from_!r}")
        if not to:
            raise InboundRejected("To is required: a number or short code some account owns")
        if channel not in CHANNELS:
            raise InboundRejected(f"Channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
        if sender_type(to) is SenderType.ALPHANUMERIC:
            raise InboundRejected(f"{to} is an alphanumeric sender ID: it cannot receive messages")
        with self.emu.lock:
            sender = self.emu.numbers.owner_of(to)
            if sender is None:
                raise InboundRejected(f"no account owns {to}", status=404)
            account = self.emu.state.accounts[sender.account_sid]
            service = account.services.get(sender.service_sid) if sender.service_sid else None
            message = self.emu.messages.record(
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
            outcome = self._opt_out(account, sender, service, from_, body)
            received = Received(message, sender, service, outcome)
            if outcome.reply is not None:
                received.auto_replies.append(self._auto_reply(account, sender, service, from_, outcome))
            self.emu.emit("inbound_received", account=account, received=received)
            return received

    def _opt_out(
        self, account: Account, sender: Sender, service: MessagingService | None, handset: str, body: str
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
        return self.emu.optouts.receive(
            EngineInbound(
                account_sid=account.sid,
                sender=sender.address,
                sender_type=sender.type,
                recipient=handset,
                body=body,
                service_sid=service.sid if service else None,
                advanced_opt_out=custom,
                lenient_punctuation=account.settings.lenient_punctuation,
            ),
            self.emu.now(),
        )

    def _auto_reply(
        self, account: Account, sender: Sender, service: MessagingService | None, handset: str, outcome: InboundOutcome
    ) -> AutoReply:
        reply = AutoReply(
            account_sid=account.sid,
            from_=sender.address,
            to=handset,
            body=outcome.reply or "",
            opt_out_type=outcome.opt_out_type.value if outcome.opt_out_type else "",
            date_created=self.emu.now(),
        )
        if account.settings.auto_replies_in_message_log:
            logged = self.emu.messages.record(
                account,
                to=handset,
                from_=sender.address,
                body=reply.body,
                direction=Direction.OUTBOUND_REPLY,
                status=Status.DELIVERED,
                service_sid=service.sid if service else None,
            )
            reply.message_sid = logged.sid
        account.auto_replies.append(reply)
        self.emu.touch(reply)
        return reply
