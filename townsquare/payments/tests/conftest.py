from tests.pay_standin import paying_council, stand_in_pay  # noqa: F401 (fixtures)
