-- Sticky senders get a row each (a new recipient used to rewrite the whole service row), and
-- auto-replies get a key, so that one can be deleted (account resets, the retention cap).
CREATE TABLE sticky_senders (
    service_sid TEXT NOT NULL,
    recipient TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (service_sid, recipient)
);
INSERT INTO sticky_senders (service_sid, recipient, account_sid, data)
    SELECT s.sid, j.key, s.account_sid,
           json_object('account_sid', s.account_sid, 'service_sid', s.sid, 'recipient', j.key, 'sender_sid', j.value)
    FROM services AS s, json_each(s.data, '$.sticky') AS j;
UPDATE services SET data = json_remove(data, '$.sticky');

-- Auto-replies and messages share one seq counter: the old replies are numbered after every kept
-- message (a clash would put a reply in a message's place in a conversation).
ALTER TABLE auto_replies RENAME TO auto_replies_v1;
CREATE TABLE auto_replies (id TEXT PRIMARY KEY, account_sid TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
INSERT INTO auto_replies (id, account_sid, seq, data)
    SELECT printf('%032x', id), account_sid, base + id,
           json_set(data, '$.id', printf('%032x', id), '$.seq', base + id)
    FROM auto_replies_v1, (SELECT COALESCE(MAX(seq), 0) AS base FROM messages);
DROP TABLE auto_replies_v1;
