"""The password policy: long enough for the role, not the username, not a common password.

Staff (admins, reviewers) see and change every household of the community, so their
passwords need 10 characters. Surveyors see only the buildings assigned to them and type
their password on a tablet in a stairwell: 8 characters, with the login throttle
(``census.services.throttle``) bounding online guessing to a few tries per quarter of an hour.
"""

from __future__ import annotations

from census.domain.roles import ADMIN, REVIEWER, SURVEYOR

MIN_LENGTH = {ADMIN: 10, REVIEWER: 10, SURVEYOR: 8}
MAX_LENGTH = 256  # hashing a megabyte-long password is work an attacker should not get for free

# The passwords tried first by anyone guessing (lists of leaked passwords, Chinese and
# English, and the demo's own), compared in lower case.
COMMON = frozenset(
    """
    12345678 123456789 1234567890 12345678910 0123456789 87654321 987654321 9876543210
    11111111 111111111 1111111111 00000000 000000000 0000000000 88888888 66666666
    99999999 12341234 11223344 12344321 123123123 147258369 147852369 159753123
    123456abc 123456qwe 12345qwert 1234qwer qwer1234 abc12345 abcd1234 abc123456 a1234567
    a12345678 aa123456 aa12345678 qq123456 qaz12345 1qaz2wsx 1q2w3e4r 1q2w3e4r5t zaq12wsx
    qwertyui qwertyuiop qwerty123 qwe123456 asdfghjk asdfghjkl zxcvbnm123 zxcvbnma
    password password1 password12 password123 passw0rd p@ssw0rd p@ssword pass1234
    admin123 admin1234 admin12345 admin123456 administrator root1234 test1234 test12345
    iloveyou iloveyou1 woaini1314 woaini520 5201314520 52013145201314 1314520520
    welcome1 welcome123 letmein1 changeme changeme1 sunshine princess football
    baseball superman whatever trustno1 monkey123 dragon123 master123 computer
    review1234 survey1234 census123 census1234 shequ1234 shequ12345
    """.split()
)


def problem(password: str, username: str, role: str) -> str | None:
    """What is wrong with ``password`` for this account (bilingual), or None."""
    need = MIN_LENGTH.get(role, max(MIN_LENGTH.values()))
    if len(password) < need:
        return (
            f"密码至少 {need} 位（管理员和审核人员 10 位，调查员 8 位）/ the password needs at "
            f"least {need} characters (10 for admins and reviewers, 8 for surveyors)"
        )
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 位 / the password may have at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if username and username.lower() in lowered:
        return "密码不能包含用户名 / the password may not contain the username"
    if lowered in COMMON or len(set(lowered)) <= 2:
        return "密码太常见，请换一个 / this password is too common, choose another"
    return None
