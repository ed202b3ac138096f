from tests.citizen_mailbox import smtp_mailbox  # noqa: F401 (a real SMTP server, a fixture)
from tests.pay_standin import paying_council, stand_in_pay  # noqa: F401 (fixtures)
