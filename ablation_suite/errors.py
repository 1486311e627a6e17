"""The one base class of every refusal of bad input (an unknown name, a wrong type, an impossible combination,
corrupt or mismatched data): the command line prints it and exits with status 2 before anything is written;
the notebook API raises it. It is a ``ValueError`` so that callers catching that keep working."""


class UserError(ValueError):
    """Bad input, with a message that names the value, the allowed values and the fix."""
