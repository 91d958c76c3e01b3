"""Mail through a transactional outbox (DESIGN §5, issue 18).

A change that people should hear about writes its mails to the ``outbox`` table in its
own transaction (``outbox``): rolled back, no mail; committed, the mail is certain. A
worker (``delivery``; ``klantportal mail deliver`` or the scheduler) claims due rows,
writes each mail in its recipient's language (``messages``) and sends it over SMTP,
retrying with exponential backoff. A request never waits for the mail server.
"""
