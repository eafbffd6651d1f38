// send_sms.js: an application that knows nothing of the emulator (quoted in the README)
const twilio = require("twilio");

const [accountSid, authToken, to] = process.argv.slice(2);
twilio(accountSid, authToken)
  .messages.create({ to, from: "+15557650001", body: "Your order shipped" })
  .then((m) => console.log(JSON.stringify({ sid: m.sid, status: m.status })))
  .catch((e) => console.log(JSON.stringify({ http_status: e.status, code: e.code, message: e.message })));
