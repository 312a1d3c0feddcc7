"""The one exception type for mistakes a user can make and fix.

The command line prints a `UserError` as one sentence and exits non-zero, never with a
traceback. Everything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A mistake in the user's input: a bad file, argument or setting."""
