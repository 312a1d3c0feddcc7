"""The sign-in and sign-out pages: plain, accessible HTML served by Flask, no Dash code.

They use only the local stylesheets under /assets (open without a session), have one h1,
labelled fields and an NHS Blue header like the dashboard's. Every value put into a page
is HTML-escaped. The sign-out page answers GET /logout: signing out itself is a POST
with the form token, so a link or a prefetch cannot sign anyone out.
"""

from __future__ import annotations

from html import escape

PAGE_START = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - wholesystem</title>
<link rel="icon" href="/_favicon.ico">
<link rel="stylesheet" href="/assets/bootstrap.min.css">
<link rel="stylesheet" href="/assets/nhs.css">
</head>
<body>
<header class="navbar navbar-dark nhs-header">
<div class="container-fluid"><span class="navbar-brand">wholesystem</span></div>
</header>
<main id="main" class="container py-4" style="max-width: 28rem">
<h1 class="h2 mb-3">{title}</h1>
{message}
"""
PAGE_END = """</main>
</body>
</html>
"""
SIGN_IN_FORM = """
<form method="post" action="/login" class="nhs-card">
<input type="hidden" name="csrf_token" value="{csrf_token}">
<input type="hidden" name="next" value="{next_path}">
<div class="mb-3">
<label for="name" class="form-label">User name</label>
<input id="name" name="name" type="text" class="form-control" value="{name}"
 autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
</div>
<div class="mb-3">
<label for="password" class="form-label">Password</label>
<input id="password" name="password" type="password" class="form-control"
 autocomplete="current-password" required>
</div>
<button type="submit" class="btn btn-primary">Sign in</button>
</form>
"""
SIGN_OUT_FORM = """<p>You are signed in as {name}. Signing out ends every session you have
open, on this device and any other.</p>
<form method="post" action="/logout" class="nhs-card">
<input type="hidden" name="csrf_token" value="{csrf_token}">
<button type="submit" class="btn btn-primary">Sign out</button>
<a href="/" class="btn btn-link">Back to the dashboard</a>
</form>
"""
MESSAGE = '<div class="alert alert-danger" role="alert" id="login-error">{text}</div>'
NOTICE = '<div class="alert alert-info" role="status" id="login-notice">{text}</div>'


def render(
    csrf_token: str, next_path: str, name: str = "", error: str | None = None,
    notice: str | None = None,
) -> str:  # fmt: skip
    """Returns the sign-in page's HTML, with an error sentence (or else a notice, such as
    why the last session ended) above the form if given."""
    form = SIGN_IN_FORM.format(
        csrf_token=escape(csrf_token), next_path=escape(next_path), name=escape(name)
    )
    return _page("Sign in", _message(error, notice), form)


def render_sign_out(csrf_token: str, name: str, error: str | None = None) -> str:
    """Returns the sign-out page's HTML: a button that POSTs the form token."""
    form = SIGN_OUT_FORM.format(csrf_token=escape(csrf_token), name=escape(name))
    return _page("Sign out", _message(error, None), form)


def _message(error: str | None, notice: str | None) -> str:
    if error:
        return MESSAGE.format(text=escape(error))
    return NOTICE.format(text=escape(notice)) if notice else ""


def _page(title: str, message: str, form: str) -> str:
    return PAGE_START.format(title=title, message=message) + form + PAGE_END
