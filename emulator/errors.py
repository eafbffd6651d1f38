"""Errors as classes, raised by the domain and rendered by one Flask handler (emulator.api.errors).

- TwilioError and its subclasses carry Twilio's code, HTTP status and message template; they are
  rendered as Twilio's envelope {"code", "message", "more_info", "status"}. `reason` is the
  emulator's own explanation for the developer (request log, server log), never in the body.
- EmulatorInputError and its subclasses are refusals of the emulator's own control API; the API
  layer maps each class to its HTTP status. No Flask import here, and no HTTP status in the domain
  beyond Twilio's own (which is part of Twilio's error definition).
"""

from __future__ import annotations


class TwilioError(Exception):
    code: int = 20001
    status: int = 400
    message: str = "Invalid request"

    def __init__(self, message: str | None = None, *, reason: str | None = None, **values: object) -> None:
        self.text = message if message is not None else self.message.format(**values)
        self.reason = reason or self.text
        super().__init__(self.text)

    @property
    def more_info(self) -> str:
        return f"https://www.twilio.com/docs/errors/{self.code}"

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.text, "more_info": self.more_info, "status": self.status}
        detail = getattr(self, "detail", None)
        if detail:
            body["detail"] = detail
        return body


class InvalidParameter(TwilioError):
    """A parameter the emulator cannot interpret (format, range). Twilio's generic 400."""

    code = 20001
    message = "Invalid parameter {name}: {value}"


class AuthenticationFailed(TwilioError):
    code = 20003
    status = 401
    message = "Authenticate"
    detail = "Your AccountSid or AuthToken was incorrect."

    def __init__(self, reason: str = "no credentials (HTTP Basic auth with AccountSid and AuthToken)") -> None:
        super().__init__(reason=reason)


class TestCredentialsForbidden(TwilioError):
    code = 20008
    status = 403
    message = "Resource not accessible with Test Account Credentials"


class TooManyRequests(TwilioError):
    code = 20429
    status = 429
    message = "Too Many Requests"

    def __init__(self, retry_after: int, reason: str | None = None) -> None:
        super().__init__(reason=reason)
        self.retry_after = retry_after  # seconds, sent as Retry-After


class MethodNotAllowed(TwilioError):
    code = 20004
    status = 405
    message = "Method not allowed"


class NotFound(TwilioError):
    code = 20404
    status = 404
    message = "The requested resource {path} was not found"


class InvalidTo(TwilioError):
    code = 21211
    message = "The 'To' number {to} is not a valid phone number."


class InvalidFrom(TwilioError):
    code = 21212
    message = "The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric sender ID."


class ToFromSame(TwilioError):
    code = 21266
    message = "'To' and 'From' number cannot be the same"


class InvalidUrl(TwilioError):
    """A URL parameter of a phone number or short code (Twilio's 21402 "Invalid Url")."""

    code = 21402
    message = "{param} is not a valid URL: {url}"


class RegionNotEnabled(TwilioError):
    code = 21408
    message = "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."


class PhoneNumberInvalid(TwilioError):
    code = 21421
    message = "PhoneNumber is invalid"


class PhoneNumberNotAvailable(TwilioError):
    code = 21422
    message = "PhoneNumber {number} is not available"


class BodyRequired(TwilioError):
    code = 21602
    message = "Message body is required."


class FromRequired(TwilioError):
    code = 21603
    message = "A 'From' phone number is required."


class ToRequired(TwilioError):
    code = 21604
    message = "A 'To' phone number is required."


class FromNotOwned(TwilioError):
    code = 21606
    message = (
        "The From phone number {from_} is not a valid, SMS-capable inbound phone number or short code for your account."
    )


class InvalidStatusCallback(TwilioError):
    code = 21609
    message = "The StatusCallback URL {url} is not a valid URL."


class UnsubscribedRecipient(TwilioError):
    code = 21610
    message = "Attempt to send to unsubscribed recipient"
    legacy_message = "The message From/To pair violates a blacklist rule."
    opt_out: object = None  # the OptOutRecord that refused the send (the sandbox links a refusal to its STOP)


class QueueFull(TwilioError):
    code = 21611
    status = 429
    message = "SMS queue is full."


class NotReachable(TwilioError):
    code = 21612
    message = (
        "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {from_} via {channel}."
    )


class NotMobile(TwilioError):
    code = 21614
    message = "To number: {to}, is not a mobile number"


class BodyTooLong(TwilioError):
    code = 21617
    message = "The concatenated message body exceeds the 1600 character limit."


class InvalidMediaUrl(TwilioError):
    code = 21620
    message = "Media urls: {urls} are invalid. Please use only valid http and https urls"


class ShortCodeCountryMismatch(TwilioError):
    code = 21659
    message = "'From' {from_} is not a Twilio phone number or Short Code country mismatch"


class TooManyMedia(TwilioError):
    code = 21623
    message = "Number of media files exceeds allowed limit (10)."


class ServiceNotFound(TwilioError):
    code = 21701
    message = "The Messaging Service does not exist"


class ServiceInvalid(TwilioError):
    code = 21705
    message = "The Messaging Service is invalid"


class ServiceHasNoSenders(TwilioError):
    code = 21703
    message = "The Messaging Service does not have a phone number available to send a message"


class SenderInAnotherService(TwilioError):
    code = 21712
    message = "Phone Number or Short Code is associated with another Messaging Service."


class SenderAlreadyInService(TwilioError):
    code = 21710
    message = "Phone Number or Short Code is already in the Messaging Service."


class InvalidUpdate(TwilioError):
    """Raised with the specific text (Twilio's 30400 page lists several)."""

    code = 30400
    message = "Invalid update"


class MessageInFlight(TwilioError):
    code = 20009
    message = "Cannot delete message because it is still being processed"


class SendAtMissing(TwilioError):
    code = 35111
    message = "You must indicate SendAt timestamp if ScheduleType is 'fixed'."


class SendAtOutOfWindow(TwilioError):
    code = 35114
    message = "SendAt time must be between 300 seconds and 35 days (3024000 seconds) in the future, inclusive."


class SendAtInvalid(TwilioError):
    code = 35115
    message = "Scheduling does not support this timestamp. Use the format YYYY-MM-DDTHH:MM:SSZ (UTC)."


class ScheduleNeedsService(TwilioError):
    code = 35118
    message = "MessagingServiceSid is required to schedule a message."


class ScheduleTypeInvalid(TwilioError):
    code = 35126
    message = "The ScheduleType value provided is not supported for this channel"


# Carrier/delivery errors a fault can inject, with the titles of Twilio's error dictionary.
DELIVERY_ERRORS = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30032: "Toll-Free Number Has Not Been Verified",
    30033: "US A2P 10DLC - Campaign Suspended",
    30034: "US A2P 10DLC - Message from an Unregistered Number",
    30035: "US A2P 10DLC - Message from a number still being configured",
}


class ServiceUnavailable(TwilioError):
    """The emulator could not make a change durable (its --db file refused the write): nothing
    changed, and the request may be retried."""

    code = 20503
    status = 503
    message = "Service Unavailable"


class DeliveryFault(TwilioError):
    """A delivery failure reported on the message (error_code), never as an API error."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        super().__init__(DELIVERY_ERRORS.get(code, "Delivery failure"), reason=reason)
        self.code = code


# -- the emulator's own control API ---------------------------------------------------------------
class EmulatorInputError(Exception):
    """A request to the control API (or a fixture) that cannot be carried out: the text says why."""


class InvalidInput(EmulatorInputError):
    """Malformed or contradictory input."""


class UnknownResource(EmulatorInputError):
    """The input names something that does not exist (a number nobody owns, an unknown SID)."""


class TimedOut(EmulatorInputError):
    """What the request waits for did not happen in time."""


class Refused(EmulatorInputError):
    """A control request the emulator will not serve from where it came (a web page's, a foreign Host)."""


class TokenRequired(EmulatorInputError):
    """--control-token is set and the request did not carry it."""
