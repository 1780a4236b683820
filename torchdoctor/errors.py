"""The one exception type for problems the user can fix (bad input, missing file).

The CLI turns it into a single line on stderr and the exit code it carries; it is
never shown as a traceback.
"""

EXIT_OK = 0
EXIT_PROBLEM = 1  # errors found / no install fits / a smoke device failed
EXIT_USAGE = 2  # bad flags, unreadable input
EXIT_INTERNAL = 3  # a bug in the doctor itself (reported in one line, never a traceback)


class DoctorError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageError(DoctorError):
    """Bad command-line input: exit 2."""

    def __init__(self, message: str):
        super().__init__(message, EXIT_USAGE)
