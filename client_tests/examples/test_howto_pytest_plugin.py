"""How a user tests their own app with the pytest plugin (this file is quoted in the README)."""

import pytest
from twilio.base.exceptions import TwilioRestException


# -- the user's application code: it only knows the twilio SDK ----------------------------------
class Notifier:
    def __init__(self, client, from_number):
        self.client = client
        self.from_number = from_number

    def notify(self, to, text):
        """Send a notification; return False (and send nothing) if the recipient opted out."""
        try:
            self.client.messages.create(to=to, from_=self.from_number, body=text)
        except TwilioRestException as exc:
            if exc.code == 21610:  # the recipient texted STOP
                return False
            raise
        return True


# -- the user's tests: twilio_client and twilio_emulator come from the plugin --------------------
@pytest.fixture
def notifier(twilio_client):
    return Notifier(twilio_client, "+15557650001")


def test_notifications_stop_after_the_user_texts_stop(notifier, twilio_client, twilio_emulator):
    assert notifier.notify("+15551230001", "Your order shipped")

    reply = twilio_emulator.inbound(from_="+15551230001", to="+15557650001", body="STOP")
    assert reply["opt_out_type"] == "STOP"

    assert notifier.notify("+15551230001", "Your order arrived") is False
    sent = [m.body for m in twilio_client.messages.list(to="+15551230001")]
    assert sent == ["Your order shipped"]


def test_start_resubscribes(notifier, twilio_emulator):
    notifier.notify("+15551230002", "hello")
    twilio_emulator.inbound(from_="+15551230002", to="+15557650001", body="STOP")
    twilio_emulator.inbound(from_="+15551230002", to="+15557650001", body="START")
    assert notifier.notify("+15551230002", "welcome back")
