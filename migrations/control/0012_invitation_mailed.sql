-- When an invitation's token was handed to the mailer for the invitee's address only. Such a token,
-- presented back, proves control of that mailbox: accepting it (or signing up with it) verifies
-- the address without a second email. A token the inviter was shown instead (a failed delivery,
-- outside production only) proves nothing about the mailbox, so its invitation has none.
ALTER TABLE invitations ADD COLUMN mailed_at INTEGER;
