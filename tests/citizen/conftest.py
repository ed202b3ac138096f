from tests.citizen_mailbox import outbox_refuses, smtp_mailbox  # noqa: F401 (fixtures)
