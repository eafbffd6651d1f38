# send_sms.py: an application that knows nothing of the emulator (quoted in the README)
import json
import sys

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

account_sid, auth_token, to = sys.argv[1:4]
client = Client(account_sid, auth_token)
try:
    message = client.messages.create(to=to, from_="+15557650001", body="Your order shipped")
    print(json.dumps({"sid": message.sid, "status": message.status}))
except TwilioRestException as exc:
    print(json.dumps({"http_status": exc.status, "code": exc.code, "message": exc.msg}))
