"""Walking the sign-in forms the way an officer does."""
from tests.factories import PASSWORD, totp_now


def login(testapp, username, password=PASSWORD, totp_secret=None, status=303, extra_environ=None, code=None):
    """Sign in; `code` is the second factor's code to type (default: the one valid now for totp_secret)."""
    extra_environ = dict(extra_environ or {})  # another client address, say
    page = testapp.get("/login", extra_environ=extra_environ)
    form = page.forms[0]
    form["username"] = username
    form["password"] = password
    response = form.submit("submit", status="*", extra_environ=dict(extra_environ))
    if totp_secret is not None and response.status_int == 303 and "/login/totp" in response.location:
        code_page = response.follow()
        code_form = code_page.forms[0]
        code_form["code"] = code or totp_now(totp_secret)
        response = code_form.submit("submit", status="*")
    assert response.status_int == status, response.text[:2000]
    return response
