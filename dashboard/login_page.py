"""The sign-in page: plain, accessible HTML served by Flask before any Dash code loads.

It uses only the local stylesheets under /assets (open without a session), has one h1,
labelled fields and an NHS Blue header like the dashboard's. Every value put into the
page is HTML-escaped.
"""

from __future__ import annotations

from html import escape

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - wholesystem</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css">
<link rel="stylesheet" href="/assets/nhs.css">
</head>
<body>
<header class="navbar navbar-dark nhs-header">
<div class="container-fluid"><span class="navbar-brand">wholesystem</span></div>
</header>
<main id="main" class="container py-4" style="max-width: 28rem">
<h1 class="h2 mb-3">Sign in</h1>
{message}
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
</main>
</body>
</html>
"""
MESSAGE = '<div class="alert alert-danger" role="alert" id="login-error">{text}</div>'


def render(csrf_token: str, next_path: str, name: str = "", error: str | None = None) -> str:
    """Returns the sign-in page's HTML, with an error sentence above the form if given."""
    return PAGE.format(
        csrf_token=escape(csrf_token),
        next_path=escape(next_path),
        name=escape(name),
        message=MESSAGE.format(text=escape(error)) if error else "",
    )
