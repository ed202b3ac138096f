from tests.citizen_mailbox import smtp_mailbox  # noqa: F401 (a fixture)
