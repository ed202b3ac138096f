"""The shipped words for every notification, in English and Welsh.

Every shipped service uses these: the words that differ by service and state come from the
service template itself (each state's `message`, arriving here as ((message))). A council
overrides any of them, for all its services or one, with a MessageTemplate row.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    subject: str
    body: str
    sms: str = ""


_EMAIL_FOOTER = {
    "en": "\n\n---\n\nYou can reply to this email to send a comment to ((council_name)).\n\n"
    "[Stop these emails](((unsubscribe_url)))",
    "cy": "\n\n---\n\nGallwch ateb yr e-bost hwn i anfon sylw at ((council_name)).\n\n"
    "[Peidio â chael yr e-byst hyn](((unsubscribe_url)))",
}
_ALERT_FOOTER = {
    "en": "\n\n---\n\n[Stop these alerts](((unsubscribe_url)))",
    "cy": "\n\n---\n\n[Peidio â chael y rhybuddion hyn](((unsubscribe_url)))",
}

DEFAULTS: dict[str, dict[str, Words]] = {
    "created": {
        "en": Words(
            "We have received your request ((reference))",
            "# We have received your request\n\nYour reference is **((reference))**.\n\n"
            "((service_name)).\n\n((where))\n\n((message))\n\n"
            "We expect to deal with it by ((expected_by)).\n\n"
            "[Track your request](((track_url)))" + _EMAIL_FOOTER["en"],
            "((council_name)): we have received your request ((reference)). Track it at "
            "((track_url))",
        ),
        "cy": Words(
            "Rydym wedi cael eich cais ((reference))",
            "# Rydym wedi cael eich cais\n\nEich cyfeirnod yw **((reference))**.\n\n"
            "((service_name)).\n\n((where))\n\n((message))\n\n"
            "Rydym yn disgwyl delio ag ef erbyn ((expected_by)).\n\n"
            "[Dilyn eich cais](((track_url)))" + _EMAIL_FOOTER["cy"],
            "((council_name)): rydym wedi cael eich cais ((reference)). Dilynwch ef yn "
            "((track_url))",
        ),
    },
    "state": {
        "en": Words(
            "Your request ((reference)) is now: ((state_name))",
            "# ((state_name))\n\nYour request **((reference))** (((service_name))) is now "
            "**((state_name))**.\n\n((message))\n\n[See the whole history](((track_url)))"
            + _EMAIL_FOOTER["en"],
            "((council_name)): ((reference)) is now ((state_name)). ((message))",
        ),
        "cy": Words(
            "Mae eich cais ((reference)) bellach: ((state_name))",
            "# ((state_name))\n\nMae eich cais **((reference))** (((service_name))) bellach yn "
            "**((state_name))**.\n\n((message))\n\n[Gweld yr hanes i gyd](((track_url)))"
            + _EMAIL_FOOTER["cy"],
            "((council_name)): mae ((reference)) bellach yn ((state_name)). ((message))",
        ),
    },
    "state_closed": {
        "en": Words(
            "Your request ((reference)) is closed: ((state_name))",
            "# Your request is closed\n\nYour request **((reference))** (((service_name))) is "
            "closed: **((state_name))**.\n\n((message))\n\n[See the whole history](((track_url)))"
            + _EMAIL_FOOTER["en"],
            "((council_name)): ((reference)) is closed: ((state_name)). ((message))",
        ),
        "cy": Words(
            "Mae eich cais ((reference)) wedi cau: ((state_name))",
            "# Mae eich cais wedi cau\n\nMae eich cais **((reference))** (((service_name))) wedi "
            "cau: **((state_name))**.\n\n((message))\n\n[Gweld yr hanes i gyd](((track_url)))"
            + _EMAIL_FOOTER["cy"],
            "((council_name)): mae ((reference)) wedi cau: ((state_name)). ((message))",
        ),
    },
    "public_update": {
        "en": Words(
            "Update on your request ((reference))",
            "# An update on ((reference))\n\n((message))\n\n[See the whole history](((track_url)))"
            + _EMAIL_FOOTER["en"],
            "((council_name)) update on ((reference)): ((message))",
        ),
        "cy": Words(
            "Diweddariad ar eich cais ((reference))",
            "# Diweddariad ar ((reference))\n\n((message))\n\n[Gweld yr hanes i gyd](((track_url)))"
            + _EMAIL_FOOTER["cy"],
            "Diweddariad gan ((council_name)) ar ((reference)): ((message))",
        ),
    },
    "merged": {
        "en": Words(
            "Your request ((reference)) has been joined with another",
            "# Your request has been joined with another\n\nSomeone had already told us about "
            "this. We have joined **((reference))** with **((message))** and will keep you up "
            "to date.\n\n[Track it](((track_url)))" + _EMAIL_FOOTER["en"],
            "((council_name)): ((reference)) has been joined with ((message)).",
        ),
        "cy": Words(
            "Mae eich cais ((reference)) wedi'i gyfuno ag un arall",
            "# Mae eich cais wedi'i gyfuno ag un arall\n\nRoedd rhywun eisoes wedi dweud wrthym "
            "am hyn. Rydym wedi cyfuno **((reference))** â **((message))** a byddwn yn rhoi'r "
            "newyddion diweddaraf i chi.\n\n[Dilyn y cais](((track_url)))" + _EMAIL_FOOTER["cy"],
            "((council_name)): mae ((reference)) wedi'i gyfuno â ((message)).",
        ),
    },
    "area_alert": {
        "en": Words(
            "New report in ((area_name)): ((service_name))",
            "# New report in ((area_name))\n\n**((service_name))** (((reference))).\n\n"
            "Where: ((address)).\n\n((description))\n\n[See the report](((track_url)))"
            + _ALERT_FOOTER["en"],
            "New ((service_name)) report in ((area_name)): ((track_url))",
        ),
        "cy": Words(
            "Adroddiad newydd yn ((area_name)): ((service_name))",
            "# Adroddiad newydd yn ((area_name))\n\n**((service_name))** (((reference))).\n\n"
            "Ble: ((address)).\n\n((description))\n\n[Gweld yr adroddiad](((track_url)))"
            + _ALERT_FOOTER["cy"],
            "Adroddiad ((service_name)) newydd yn ((area_name)): ((track_url))",
        ),
    },
    "area_digest": {
        "en": Words(
            "((count)) new reports in ((area_name))",
            "# New reports in ((area_name))\n\n((items))" + _ALERT_FOOTER["en"],
        ),
        "cy": Words(
            "((count)) adroddiad newydd yn ((area_name))",
            "# Adroddiadau newydd yn ((area_name))\n\n((items))" + _ALERT_FOOTER["cy"],
        ),
    },
    "confirm": {
        "en": Words(
            "Confirm your email updates from ((council_name))",
            "# Confirm your email address\n\nYou asked for updates about ((area_name)).\n\n"
            "[Confirm and start the updates](((confirm_url)))\n\nIf you did not ask for them, "
            "ignore this email: nothing will be sent.",
        ),
        "cy": Words(
            "Cadarnhewch eich diweddariadau e-bost gan ((council_name))",
            "# Cadarnhewch eich cyfeiriad e-bost\n\nGwnaethoch ofyn am ddiweddariadau am "
            "((area_name)).\n\n[Cadarnhau a dechrau'r diweddariadau](((confirm_url)))\n\n"
            "Os na wnaethoch ofyn amdanynt, anwybyddwch yr e-bost hwn: ni fydd dim yn cael ei "
            "anfon.",
        ),
    },
    "queue_new": {
        "en": Words(
            "New in your queue: ((reference)) ((service_name))",
            "# New in your queue\n\n**((reference))**: ((service_name)).\n\n"
            "Where: ((address)).\n\n"
            "((description))" + _ALERT_FOOTER["en"],
        ),
    },
    # Live queues (appointments, ADR 192): the person's own time, the place, how to reply.
    "appointment_delay": {
        "en": Words(
            "Your ((booked_time)) appointment: now expected at ((expected_time))",
            "# Your appointment time has changed\n\nYour ((booked_time)) appointment at "
            "((place)) is now expected at **((expected_time))**.\n\n((address))\n\n"
            "Your number is ((number)).",
            "((place)): your ((booked_time)) appointment is now expected at ((expected_time)). "
            "Reply OK, CANCEL, or LATE 20 if you will be 20 minutes late.",
        ),
        "cy": Words(
            "Eich apwyntiad ((booked_time)): disgwylir ef am ((expected_time)) bellach",
            "# Mae amser eich apwyntiad wedi newid\n\nDisgwylir eich apwyntiad ((booked_time)) "
            "yn ((place)) am **((expected_time))** bellach.\n\n((address))\n\n"
            "Eich rhif yw ((number)).",
            "((place)): disgwylir eich apwyntiad ((booked_time)) am ((expected_time)) bellach. "
            "Atebwch IAWN, CANSLO, neu HWYR 20 os byddwch 20 munud yn hwyr.",
        ),
    },
    "appointment_cancelled": {
        "en": Words(
            "Your ((booked_time)) appointment is cancelled",
            "# Your appointment is cancelled\n\nThe session at ((place)) is cancelled, so "
            "your ((booked_time)) appointment cannot go ahead. Please do not come in: we will "
            "contact you to book again.",
            "((place)): sorry, your ((booked_time)) appointment today is cancelled. Please do "
            "not come in: we will contact you to book again.",
        ),
        "cy": Words(
            "Mae eich apwyntiad ((booked_time)) wedi'i ganslo",
            "# Mae eich apwyntiad wedi'i ganslo\n\nMae'r sesiwn yn ((place)) wedi'i chanslo, "
            "felly ni all eich apwyntiad ((booked_time)) fynd yn ei flaen. Peidiwch â dod i "
            "mewn: byddwn yn cysylltu â chi i drefnu un arall.",
            "((place)): mae'n ddrwg gennym, mae eich apwyntiad ((booked_time)) heddiw wedi'i "
            "ganslo. Peidiwch â dod i mewn: byddwn yn cysylltu â chi i drefnu un arall.",
        ),
    },
}

KEYS = tuple(DEFAULTS)

# Messages someone asked for and is waiting for (ADR 75): sent at once, with no unsubscribe
# link (there is nothing to stop). ((link)) is the link the message exists to carry; it is kept
# out of the stored content and filled in as the message is sent. Not council-editable: a
# council's words could leave the link out.
# How a payment was made, as the receipt says it (payments.models.Method).
PAYMENT_METHODS: dict[str, dict[str, str]] = {
    "en": {
        "card_online": "Card online (GOV.UK Pay)",
        "phone": "Card payment by phone",
        "counter": "At the council's counter",
    },
    "cy": {
        "card_online": "Cerdyn ar-lein (GOV.UK Pay)",
        "phone": "Talu â cherdyn dros y ffôn",
        "counter": "Wrth gownter y cyngor",
    },
}

TRANSACTIONAL: dict[str, dict[str, Words]] = {
    # An answer to a consultation from someone not signed in, where the council asks for the
    # email address to be confirmed (consultations): it counts once the link is followed.
    "consultation_confirm": {
        "en": Words(
            "Confirm your answer to ((consultation))",
            "# Confirm your answer\n\nThank you for answering “((consultation))”, a "
            "consultation by ((council_name)).\n\nYour answer counts once you confirm it "
            "with this link:\n\n[Confirm my answer](((link)))\n\n"
            "If you did not answer this consultation, you can ignore this email.",
        ),
        "cy": Words(
            "Cadarnhewch eich ateb i ((consultation))",
            "# Cadarnhewch eich ateb\n\nDiolch am ateb “((consultation))”, ymgynghoriad "
            "gan ((council_name)).\n\nMae eich ateb yn cyfrif unwaith y byddwch yn ei "
            "gadarnhau gyda'r ddolen hon:\n\n[Cadarnhau fy ateb](((link)))\n\n"
            "Os na wnaethoch ateb yr ymgynghoriad hwn, gallwch anwybyddu'r e-bost hwn.",
        ),
    },
    "sign_in": {
        "en": Words(
            "Your link to sign in to Townsquare",
            "# Sign in to Townsquare\n\nUse this link to sign in:\n\n"
            "[Sign in to Townsquare](((link)))\n\n"
            "The link works once and stops working after ((minutes)) minutes.\n\n"
            "It was asked for from the network address ((requester)). If you did not ask to "
            "sign in, you can ignore this email. Nobody can sign in without the link.",
        ),
        "cy": Words(
            "Eich dolen i fewngofnodi i Townsquare",
            "# Mewngofnodi i Townsquare\n\nDefnyddiwch y ddolen hon i fewngofnodi:\n\n"
            "[Mewngofnodi i Townsquare](((link)))\n\n"
            "Mae'r ddolen yn gweithio unwaith ac yn peidio â gweithio ar ôl ((minutes)) "
            "munud.\n\n"
            "Gofynnwyd amdani o'r cyfeiriad rhwydwaith ((requester)). Os na wnaethoch ofyn am "
            "gael mewngofnodi, gallwch anwybyddu'r e-bost hwn. Ni all neb fewngofnodi heb y "
            "ddolen.",
        ),
    },
    # A resident's sign-in link asked for with a staff member's address (ADR 143): staff sign
    # in on the staff pages, and the same kind of message is queued either way, so the answer
    # takes the same work whoever the address belongs to.
    "sign_in_staff": {
        "en": Words(
            "Sign in to Townsquare on the staff pages",
            "# Sign in on the staff pages\n\n"
            "Someone asked for a link to sign in to the residents' pages with this email "
            "address, from the network address ((requester)). Staff accounts sign in on the "
            "staff pages with a password and an authenticator app instead:\n\n"
            "[Sign in to the staff pages](((link)))\n\n"
            "If you did not ask, you can ignore this email.",
        ),
        "cy": Words(
            "Mewngofnodi i Townsquare ar dudalennau'r staff",
            "# Mewngofnodi ar dudalennau'r staff\n\n"
            "Gofynnodd rhywun am ddolen i fewngofnodi i dudalennau'r trigolion gyda'r "
            "cyfeiriad e-bost hwn, o'r cyfeiriad rhwydwaith ((requester)). Mae cyfrifon staff "
            "yn mewngofnodi ar dudalennau'r staff gyda chyfrinair ac ap dilysu yn lle "
            "hynny:\n\n"
            "[Mewngofnodi i dudalennau'r staff](((link)))\n\n"
            "Os na wnaethoch ofyn, gallwch anwybyddu'r e-bost hwn.",
        ),
    },
    # To a staff member when wrong passwords or codes for their address begin to be slowed
    # down (ADR 143): staff read English.
    "staff_sign_in_failures": {
        "en": Words(
            "Wrong sign-in attempts for your Townsquare account",
            "# Wrong sign-in attempts for your account\n\n"
            "There have been ((failures)) wrong passwords or authenticator codes for your "
            "staff account in a row, the last from the network address ((address)). Further "
            "attempts now have to wait a little longer each time. Your account is not locked: "
            "at a browser you have signed in with before, you can sign in as usual.\n\n"
            "[Sign in to Townsquare](((link)))\n\n"
            "If this was not you, tell your council's Townsquare administrator: someone may be "
            "guessing your password, or may know it.",
        ),
        "cy": Words(
            "Ymdrechion anghywir i fewngofnodi i'ch cyfrif Townsquare",
            "# Ymdrechion anghywir i fewngofnodi i'ch cyfrif\n\n"
            "Bu ((failures)) cyfrinair neu god dilysu anghywir yn olynol ar gyfer eich cyfrif "
            "staff, yr olaf o'r cyfeiriad rhwydwaith ((address)). Rhaid i ymdrechion pellach "
            "aros ychydig yn hirach bob tro. Nid yw eich cyfrif wedi'i gloi: mewn porwr rydych "
            "wedi mewngofnodi ag ef o'r blaen, gallwch fewngofnodi fel arfer.\n\n"
            "[Mewngofnodi i Townsquare](((link)))\n\n"
            "Os nad chi oedd hyn, dywedwch wrth weinyddwr Townsquare eich cyngor: efallai bod "
            "rhywun yn dyfalu eich cyfrinair, neu'n ei wybod.",
        ),
    },
    "report_confirm": {
        "en": Words(
            "Confirm your report ((reference)) to ((council_name))",
            "Thank you for your report to ((council_name)).\n\n"
            "Your reference is **((reference))** (((service_name))).\n\n"
            "[Confirm your email address to show your report publicly](((link)))\n\n"
            "The link works for ((days)) days. If you did not make this report, ignore this "
            "email: nothing will be shown publicly.",
        ),
        "cy": Words(
            "Cadarnhewch eich adroddiad ((reference)) i ((council_name))",
            "Diolch am eich adroddiad i ((council_name)).\n\n"
            "Eich cyfeirnod yw **((reference))** (((service_name))).\n\n"
            "[Cadarnhewch eich cyfeiriad e-bost i ddangos eich adroddiad yn gyhoeddus]"
            "(((link)))\n\n"
            "Mae'r ddolen yn gweithio am ((days)) diwrnod. Os na wnaethoch yr adroddiad hwn, "
            "anwybyddwch yr e-bost hwn: ni chaiff dim byd ei ddangos yn gyhoeddus.",
        ),
    },
    # To the officer a case is assigned to (ADR 100): staff read English. No words of the
    # reply: it is the applicant's personal data, read on the case page behind sign-in.
    "applicant_replied": {
        "en": Words(
            "The applicant replied: ((reference))",
            "# The applicant replied\n\nThe applicant for **((reference))** "
            "(((service_name))) has sent more information((documents)).\n\n"
            "[Open the case](((link)))\n\nThe case is now **((state_name))**.",
        ),
        "cy": Words(
            "Mae'r ymgeisydd wedi ateb: ((reference))",
            "# Mae'r ymgeisydd wedi ateb\n\nMae'r ymgeisydd ar gyfer **((reference))** "
            "(((service_name))) wedi anfon rhagor o wybodaeth((documents)).\n\n"
            "[Agor yr achos](((link)))\n\nMae'r achos bellach yn **((state_name))**.",
        ),
    },
    # To the applicant when their payment succeeds (issue 15): the receipt, with the track link.
    "payment_receipt": {
        "en": Words(
            "Payment received: ((reference))",
            "# Payment received\n\nThank you. ((council_name)) has received your payment for "
            "((service_name)).\n\n"
            "* Reference: **((reference))**\n* Amount paid: **((amount))**\n"
            "* Paid by: ((method))\n* Date: ((paid_on))\n\n"
            "[Track your application](((link)))\n\nKeep this email as your receipt.",
        ),
        "cy": Words(
            "Taliad wedi dod i law: ((reference))",
            "# Taliad wedi dod i law\n\nDiolch. Mae ((council_name)) wedi cael eich taliad am "
            "((service_name)).\n\n"
            "* Cyfeirnod: **((reference))**\n* Swm a dalwyd: **((amount))**\n"
            "* Talwyd drwy: ((method))\n* Dyddiad: ((paid_on))\n\n"
            "[Dilyn hynt eich cais](((link)))\n\nCadwch yr e-bost hwn fel eich derbynneb.",
        ),
    },
    "application_resume": {
        "en": Words(
            "Continue your application: ((service_name))",
            "# Continue your application: ((service_name))\n\n"
            "You saved an application to ((council_name)). Use this link to carry on with "
            "it:\n\n[Continue your application](((link)))\n\n"
            "We will keep your answers until ((expires_on)). Anyone with this link can see "
            "them, so do not share it.",
        ),
        "cy": Words(
            "Parhau â'ch cais: ((service_name))",
            "# Parhau â'ch cais: ((service_name))\n\n"
            "Rydych wedi cadw cais i ((council_name)). Defnyddiwch y ddolen hon i barhau ag "
            "ef:\n\n[Parhau â'ch cais](((link)))\n\n"
            "Byddwn yn cadw eich atebion tan ((expires_on)). Gall unrhyw un sydd â'r ddolen "
            "hon eu gweld, felly peidiwch â'i rhannu.",
        ),
    },
}
