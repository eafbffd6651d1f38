# quickstart.py: with `make run` serving, run `.venv/bin/python quickstart.py` in another terminal
import os

from twilio.base.exceptions import TwilioRestException

from emulator.testing import ControlClient, twilio_client

url = os.environ.get("TWILIO_EMULATOR_URL", "http://127.0.0.1:4010")
account = "AC" + "0" * 32
client = twilio_client(url, account, "any-token")  # the official twilio.rest.Client
control = ControlClient(url)
control.reset(account)  # this account back to a clean slate (others untouched): run it as often as you like

client.messages.create(to="+15551230001", from_="+15557650001", body="Hello")  # 201, queued
control.inbound(from_="+15551230001", to="+15557650001", body="STOP")  # the handset texts STOP
try:
    client.messages.create(to="+15551230001", from_="+15557650001", body="Hello again")
except TwilioRestException as exc:
    assert exc.code == 21610 and exc.status == 400  # as in production
    print(f"refused, as by Twilio: HTTP {exc.status}, error {exc.code}")
else:
    raise SystemExit("the send after STOP was not refused")
