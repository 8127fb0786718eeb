class TlbenchError(Exception):
    """A problem the user can fix: the message names the file (or param) and the fix.

    The command line prints it as one line and exits with status 2, without a traceback.
    """
