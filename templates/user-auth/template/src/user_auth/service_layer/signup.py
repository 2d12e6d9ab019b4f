"""Public registration that does not tell who is registered.

`POST /api/auth/register` answers 202 in every case; what happened goes by mail to the
address given: "welcome" for a new account, "you already have an account" to the owner of
an address that is taken (the attacker typing someone's email learns nothing, the owner
is told), "that username is taken" when only the username is. The mail leaves in the
background, so the answer takes the same time whichever mail it is; the password is hashed
in every case, before the insert finds the duplicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from user_auth.domain import commands
from user_auth.domain.errors import EmailTaken, UsernameTaken
from user_auth.service_layer.mail import mail_later

if TYPE_CHECKING:  # handlers.py imports this module
    from user_auth.service_layer.handlers import Dependencies


async def sign_up(cmd: commands.SignUp, deps: Dependencies) -> None:
    from user_auth.service_layer.handlers import register_user

    account = cmd.account
    try:
        await register_user(commands.RegisterUser(account), deps)
    except (UsernameTaken, EmailTaken):
        await _tell_about_the_duplicate(account, deps)
        return
    mail_later(
        deps.sessions.mailer,
        account.email,
        "Your account is ready",
        f"Welcome! Your account {account.username} was created; you can log in now.\n",
    )


async def _tell_about_the_duplicate(account: commands.NewAccount, deps: Dependencies) -> None:
    async with deps.uow() as uow:
        owner = await uow.users.get_by_email(account.email)
    if owner is not None:
        mail_later(
            deps.sessions.mailer,
            owner.profile.email,
            "Someone tried to register with your address",
            "Someone asked to create a new account with this email address, which already "
            f"has one: its username is {owner.username}. No account was created.\n\n"
            "If it was you, log in, or ask for a password reset at "
            "/api/auth/password/forgot. If not, you need not do anything.\n",
        )
        return
    mail_later(
        deps.sessions.mailer,
        account.email,
        "That username is taken",
        f"The username {account.username} is already taken, so no account was created. "
        "Register again with another username.\n",
    )
